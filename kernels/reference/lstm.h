// UNIDIRECTIONAL_SEQUENCE_LSTM as TFLM's reference kernel computes it (its "general" LSTM: four gates with
// input and recurrent weights and a bias each; no CIFG, peephole, projection or layer normalisation).
//
// Per time step, in TFLM's order:
//   forget = sigmoid(W_f x + b_f + R_f h)     input = sigmoid(W_i x + b_i + R_i h)
//   cell_gate = tanh(W_c x + b_c + R_c h)     c = forget * c + input * cell_gate   (clipped to +-cell_clip)
//   output_gate = sigmoid(W_o x + b_o + R_o h)  h = output_gate * tanh(c)   and the step's output is h.
// Batch-major inputs ([batch, time, input]) run one batch row at a time through all its steps; time-major
// ones ([time, batch, input]) run every batch row of a step together.
//
// Float keeps TFLM's operation order. The quantized variants are TFLM's integer LSTM: int8 (or int16)
// activations and hidden state, int8 weights, int32 (int64) biases and an int16 cell state whose scale is a
// power of two; every gate's pre-activation is int16 in Q3.12, gate outputs are Q0.15.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {

struct LstmDims {
  int32_t batch = 0;
  int32_t time_steps = 0;
  int32_t input_size = 0;
  int32_t state_size = 0;  // hidden and cell units
  bool time_major = false;
};

template <class Weight, class Bias>
struct LstmGateWeights {
  const Weight* input_weights = nullptr;      // [state_size, input_size]
  const Weight* recurrent_weights = nullptr;  // [state_size, state_size]
  const Bias* bias = nullptr;                 // [state_size]
};

template <class Weight, class Bias>
struct LstmWeights {
  LstmGateWeights<Weight, Bias> forget, input, cell, output;
};

// Four scratch buffers of batch * state_size cell values each.
template <class Cell>
struct LstmBuffers {
  Cell* buffer[4] = {};
};

// `input`: [batch, time, input] (or [time, batch, input] when time_major); `hidden` and `cell`: the
// [batch, state] state tensors, updated in place; `output`: [batch, time, state] (or time-major).
// cell_clip <= 0 means no clipping.
void lstm_float(const LstmDims& dims, const LstmWeights<float, float>& weights, float cell_clip,
                const float* input, float* hidden, float* cell, float* output,
                const LstmBuffers<float>& buffers);

// A gate's fully connected layer: acc = sum (w + weights_offset) * (x + input_offset) [+ bias], then
// acc * multiplier * 2^shift saturated to int16 (output zero point 0).
struct LstmFcQuant {
  int32_t input_offset = 0;
  int32_t weights_offset = 0;
  int32_t multiplier = 0;
  int shift = 0;
};

// An elementwise product of two symmetric int16 values: a * b * multiplier * 2^shift + output_offset,
// clamped to [output_min, output_max].
struct LstmMulQuant {
  int32_t output_offset = 0;
  int32_t multiplier = 0;
  int shift = 0;
  int32_t output_min = 0;
  int32_t output_max = 0;
};

struct LstmQuantParams {
  LstmFcQuant forget_input_fc, forget_recurrent_fc;
  LstmFcQuant input_input_fc, input_recurrent_fc;
  LstmFcQuant cell_input_fc, cell_recurrent_fc;
  LstmFcQuant output_input_fc, output_recurrent_fc;
  LstmMulQuant forget_times_cell;       // -> cell state
  LstmMulQuant input_times_cell_gate;   // -> cell state
  LstmMulQuant output_times_tanh_cell;  // -> hidden state
  bool clip_cell = false;
  int16_t quantized_cell_clip = 0;
  // tanh(cell state) input rescaling, as the int16 tanh of activation_functions.h takes it.
  int32_t cell_tanh_multiplier = 0;
  int32_t cell_tanh_left_shift = 0;
};

// int8 activations and hidden state, int8 weights, int32 biases, int16 cell state.
void lstm_int8(const LstmDims& dims, const LstmWeights<int8_t, int32_t>& weights,
               const LstmQuantParams& params, const int8_t* input, int8_t* hidden, int16_t* cell,
               int8_t* output, const LstmBuffers<int16_t>& buffers);

// int16 activations and hidden state, int8 weights, int64 biases, int16 cell state (TFLM ignores the input
// offsets of its 16x8 fully connected layers: int16 activations are symmetric).
void lstm_int16(const LstmDims& dims, const LstmWeights<int8_t, int64_t>& weights,
                const LstmQuantParams& params, const int16_t* input, int16_t* hidden, int16_t* cell,
                int16_t* output, const LstmBuffers<int16_t>& buffers);

}  // namespace reference
}  // namespace edgeinfer
