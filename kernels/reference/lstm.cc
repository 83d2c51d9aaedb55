#include "kernels/reference/lstm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/fixed_point.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/activation_functions.h"

namespace edgeinfer {
namespace reference {
namespace {

using fixed_point::wrapping_add;

// ---- Elementwise building blocks, one overload per element type ----

// TFLite's ActivationFunctionWithMinMax with the "no activation" limits: infinities become the largest
// finite floats, NaN passes.
inline float clamp_to_finite(float x) {
  return std::min(std::max(x, std::numeric_limits<float>::lowest()), std::numeric_limits<float>::max());
}

void gate_fc(const LstmFcQuant& /*quant*/, int rows, int input_size, int output_size, const float* x,
             const float* w, const float* bias, float* y) {
  for (int r = 0; r < rows; ++r) {
    const float* x_row = x + static_cast<int64_t>(r) * input_size;
    for (int o = 0; o < output_size; ++o) {
      const float* w_row = w + static_cast<int64_t>(o) * input_size;
      float total = 0.0f;
      for (int d = 0; d < input_size; ++d) total += x_row[d] * w_row[d];
      const float bias_value = bias != nullptr ? bias[o] : 0.0f;
      y[static_cast<int64_t>(r) * output_size + o] = clamp_to_finite(total + bias_value);
    }
  }
}

void gate_fc(const LstmFcQuant& quant, int rows, int input_size, int output_size, const int8_t* x,
             const int8_t* w, const int32_t* bias, int16_t* y) {
  for (int r = 0; r < rows; ++r) {
    const int8_t* x_row = x + static_cast<int64_t>(r) * input_size;
    for (int o = 0; o < output_size; ++o) {
      const int8_t* w_row = w + static_cast<int64_t>(o) * input_size;
      int32_t acc = 0;
      for (int d = 0; d < input_size; ++d) {
        acc = wrapping_add(acc, (static_cast<int32_t>(w_row[d]) + quant.weights_offset) *
                                    (static_cast<int32_t>(x_row[d]) + quant.input_offset));
      }
      if (bias != nullptr) acc = wrapping_add(acc, bias[o]);
      acc = multiply_by_quantized_multiplier(acc, quant.multiplier, quant.shift);
      y[static_cast<int64_t>(r) * output_size + o] = static_cast<int16_t>(clamp_int(acc, -32768, 32767));
    }
  }
}

// 16x8: int64 accumulator; int16 activations are symmetric, so there is no input offset.
void gate_fc(const LstmFcQuant& quant, int rows, int input_size, int output_size, const int16_t* x,
             const int8_t* w, const int64_t* bias, int16_t* y) {
  for (int r = 0; r < rows; ++r) {
    const int16_t* x_row = x + static_cast<int64_t>(r) * input_size;
    for (int o = 0; o < output_size; ++o) {
      const int8_t* w_row = w + static_cast<int64_t>(o) * input_size;
      uint64_t acc = 0;  // wraps like the int64 hardware accumulator, without signed-overflow UB
      for (int d = 0; d < input_size; ++d) {
        acc += static_cast<uint64_t>(static_cast<int64_t>(
            (static_cast<int32_t>(w_row[d]) + quant.weights_offset) * static_cast<int32_t>(x_row[d])));
      }
      if (bias != nullptr) acc += static_cast<uint64_t>(bias[o]);
      const int32_t scaled =
          multiply_by_quantized_multiplier(static_cast<int64_t>(acc), quant.multiplier, quant.shift);
      y[static_cast<int64_t>(r) * output_size + o] = static_cast<int16_t>(clamp_int(scaled, -32768, 32767));
    }
  }
}

void add_elementwise(int64_t n, const float* a, const float* b, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void add_elementwise(int64_t n, const int16_t* a, const int16_t* b, int16_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<int16_t>(clamp_int(static_cast<int32_t>(a[i]) + b[i], -32768, 32767));
  }
}

// Gates: sigmoid, or tanh for the cell gate, in place. int16 pre-activations are Q3.12, which the int16
// table functions take without rescaling (multiplier 0, shift 0).
void gate_activation(bool is_tanh, int64_t n, float* data) {
  if (is_tanh) {
    tanh_float(n, data, data);
  } else {
    logistic_float(n, data, data);
  }
}

void gate_activation(bool is_tanh, int64_t n, int16_t* data) {
  if (is_tanh) {
    tanh_int16(0, 0, n, data, data);
  } else {
    logistic_int16(0, 0, n, data, data);
  }
}

void cell_tanh(const LstmQuantParams& /*quant*/, int64_t n, const float* cell, float* out) {
  tanh_float(n, cell, out);
}

void cell_tanh(const LstmQuantParams& quant, int64_t n, const int16_t* cell, int16_t* out) {
  tanh_int16(quant.cell_tanh_multiplier, quant.cell_tanh_left_shift, n, cell, out);
}

void mul_elementwise(const LstmMulQuant& /*quant*/, int64_t n, const float* a, const float* b, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = clamp_to_finite(a[i] * b[i]);
}

template <class Out>
void mul_elementwise(const LstmMulQuant& quant, int64_t n, const int16_t* a, const int16_t* b, Out* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t product = static_cast<int32_t>(a[i]) * static_cast<int32_t>(b[i]);
    const int32_t scaled =
        quant.output_offset + multiply_by_quantized_multiplier(product, quant.multiplier, quant.shift);
    out[i] = static_cast<Out>(clamp_int(scaled, quant.output_min, quant.output_max));
  }
}

void clip_cell(const LstmQuantParams& /*quant*/, float cell_clip, int64_t n, float* cell) {
  if (!(cell_clip > 0.0f)) return;
  for (int64_t i = 0; i < n; ++i) cell[i] = std::max(std::min(cell_clip, cell[i]), -cell_clip);
}

void clip_cell(const LstmQuantParams& quant, float /*cell_clip*/, int64_t n, int16_t* cell) {
  if (!quant.clip_cell) return;
  const int16_t hi = quant.quantized_cell_clip;
  const int16_t lo = static_cast<int16_t>(-quant.quantized_cell_clip);
  for (int64_t i = 0; i < n; ++i) cell[i] = std::max(std::min(hi, cell[i]), lo);
}

// ---- One time step and the sequence loop ----

template <class Act, class Weight, class Bias, class Cell>
struct Step {
  const LstmWeights<Weight, Bias>& weights;
  const LstmQuantParams& quant;  // unused for float
  float cell_clip;               // float only (the integer path uses quant)
  const LstmBuffers<Cell>& buffers;
  int input_size;
  int state_size;

  // activation(W x + b + R h) for `rows` batch rows.
  void gate(const LstmGateWeights<Weight, Bias>& gate_weights, const LstmFcQuant& input_fc,
            const LstmFcQuant& recurrent_fc, bool is_tanh, int rows, const Act* x, const Act* h,
            Cell* out) const {
    Cell* recurrent = buffers.buffer[3];
    gate_fc(input_fc, rows, input_size, state_size, x, gate_weights.input_weights, gate_weights.bias, out);
    gate_fc(recurrent_fc, rows, state_size, state_size, h, gate_weights.recurrent_weights,
            static_cast<const Bias*>(nullptr), recurrent);
    const int64_t n = static_cast<int64_t>(rows) * state_size;
    add_elementwise(n, out, recurrent, out);
    gate_activation(is_tanh, n, out);
  }

  void run(int rows, const Act* x, Act* h, Cell* c, Act* out) const {
    const int64_t n = static_cast<int64_t>(rows) * state_size;
    Cell* forget_gate = buffers.buffer[0];
    Cell* input_gate = buffers.buffer[1];
    Cell* cell_gate = buffers.buffer[2];
    gate(weights.forget, quant.forget_input_fc, quant.forget_recurrent_fc, false, rows, x, h, forget_gate);
    gate(weights.input, quant.input_input_fc, quant.input_recurrent_fc, false, rows, x, h, input_gate);
    gate(weights.cell, quant.cell_input_fc, quant.cell_recurrent_fc, true, rows, x, h, cell_gate);

    // c = forget * c + input * cell_gate; the input gate's buffer takes the product.
    mul_elementwise(quant.forget_times_cell, n, forget_gate, c, c);
    mul_elementwise(quant.input_times_cell_gate, n, input_gate, cell_gate, input_gate);
    add_elementwise(n, c, input_gate, c);
    clip_cell(quant, cell_clip, n, c);

    // h = tanh(c) * output_gate, which is also this step's output.
    Cell* output_gate = buffers.buffer[1];
    Cell* tanh_cell = buffers.buffer[0];
    gate(weights.output, quant.output_input_fc, quant.output_recurrent_fc, false, rows, x, h, output_gate);
    cell_tanh(quant, n, c, tanh_cell);
    mul_elementwise(quant.output_times_tanh_cell, n, tanh_cell, output_gate, h);
    std::memcpy(out, h, static_cast<size_t>(n) * sizeof(Act));
  }
};

template <class Act, class Weight, class Bias, class Cell>
void run_sequence(const LstmDims& dims, const Step<Act, Weight, Bias, Cell>& step, const Act* input,
                  Act* hidden, Cell* cell, Act* output) {
  const int64_t input_size = dims.input_size;
  const int64_t state_size = dims.state_size;
  if (dims.time_major) {
    // All batch rows of a step at once; the states are [batch, state].
    for (int t = 0; t < dims.time_steps; ++t) {
      const int64_t row = static_cast<int64_t>(t) * dims.batch;
      step.run(dims.batch, input + row * input_size, hidden, cell, output + row * state_size);
    }
  } else {
    for (int b = 0; b < dims.batch; ++b) {
      for (int t = 0; t < dims.time_steps; ++t) {
        const int64_t row = static_cast<int64_t>(b) * dims.time_steps + t;
        step.run(1, input + row * input_size, hidden + b * state_size, cell + b * state_size,
                 output + row * state_size);
      }
    }
  }
}

}  // namespace

void lstm_float(const LstmDims& dims, const LstmWeights<float, float>& weights, float cell_clip,
                const float* input, float* hidden, float* cell, float* output,
                const LstmBuffers<float>& buffers) {
  const LstmQuantParams unused;
  const Step<float, float, float, float> step{weights, unused,          cell_clip,
                                              buffers, dims.input_size, dims.state_size};
  run_sequence(dims, step, input, hidden, cell, output);
}

void lstm_int8(const LstmDims& dims, const LstmWeights<int8_t, int32_t>& weights,
               const LstmQuantParams& params, const int8_t* input, int8_t* hidden, int16_t* cell,
               int8_t* output, const LstmBuffers<int16_t>& buffers) {
  const Step<int8_t, int8_t, int32_t, int16_t> step{weights, params,          0.0f,
                                                    buffers, dims.input_size, dims.state_size};
  run_sequence(dims, step, input, hidden, cell, output);
}

void lstm_int16(const LstmDims& dims, const LstmWeights<int8_t, int64_t>& weights,
                const LstmQuantParams& params, const int16_t* input, int16_t* hidden, int16_t* cell,
                int16_t* output, const LstmBuffers<int16_t>& buffers) {
  const Step<int16_t, int8_t, int64_t, int16_t> step{weights, params,          0.0f,
                                                     buffers, dims.input_size, dims.state_size};
  run_sequence(dims, step, input, hidden, cell, output);
}

// ---- Kernel glue ----

namespace {

// TensorFlow Lite's operand order.
enum LstmTensor : int {
  kInput = 0,
  kInputToInputWeights = 1,
  kInputToForgetWeights = 2,
  kInputToCellWeights = 3,
  kInputToOutputWeights = 4,
  kRecurrentToInputWeights = 5,
  kRecurrentToForgetWeights = 6,
  kRecurrentToCellWeights = 7,
  kRecurrentToOutputWeights = 8,
  kCellToInputWeights = 9,
  kCellToOutputWeights = 11,
  kInputGateBias = 12,
  kForgetGateBias = 13,
  kCellGateBias = 14,
  kOutputGateBias = 15,
  kProjectionWeights = 16,
  kProjectionBias = 17,
  kHiddenState = 18,
  kCellState = 19,
  kInputLayerNorm = 20,
  kOutputLayerNorm = 23,
  kNumLstmInputs = 24,
};

struct LstmOpData {
  LstmDims dims;
  LstmQuantParams quant;
  float cell_clip;
  int buffer_index[4];
};

// 2^-12 (the gates' Q3.12 pre-activations) and 2^-15 (their Q0.15 outputs), as TFLM writes them.
constexpr float kGateInputScale = 0.000244140625f;
constexpr float kGateOutputScale = 0.000030517578125f;

Status check_quantized(const Tensor& tensor, const char* what) {
  if (!tensor.quant.is_quantized() || tensor.quant.is_per_channel()) {
    return Status::error(StatusCode::kUnsupported, "%s needs per-tensor quantization", what);
  }
  if (!(tensor.quant.scale() > 0.0f)) {
    return Status::error(StatusCode::kInvalidModel, "%s has a non-positive scale", what);
  }
  return Status::ok();
}

// The int32 MultiplyByQuantizedMultiplier shifts left by up to `shift` bits: keep that defined.
Status check_shift(int shift, int max_shift, const char* what) {
  if (shift > max_shift) {
    return Status::error(StatusCode::kUnsupported, "%s rescale factor is too large (shift %d)", what, shift);
  }
  return Status::ok();
}

// A gate's fully connected parameters, as TFLM's CalculateOpDataFullyConnected with an int16 output of
// scale 2^-12: the product of the two scales is taken in float, the division in double.
Status make_fc_quant(const Tensor& x, const Tensor& weights, int max_shift, const char* what,
                     LstmFcQuant* quant) {
  const double multiplier =
      static_cast<double>(x.quant.scale() * weights.quant.scale()) / static_cast<double>(kGateInputScale);
  quantize_multiplier(multiplier, &quant->multiplier, &quant->shift);
  quant->input_offset = -x.quant.zero_point();
  quant->weights_offset = -weights.quant.zero_point();
  return check_shift(quant->shift, max_shift, what);
}

// TFLM's CreateInterGateMulParams: both inputs symmetric, the scale ratio in double.
Status make_mul_quant(float input1_scale, float input2_scale, float output_scale, DataType output_type,
                      int32_t output_zero_point, const char* what, LstmMulQuant* quant) {
  const double product = static_cast<double>(input1_scale) * static_cast<double>(input2_scale);
  quantize_multiplier(product / static_cast<double>(output_scale), &quant->multiplier, &quant->shift);
  quant->output_offset = output_zero_point;
  quant->output_min = type_min(output_type);
  quant->output_max = type_max(output_type);
  return check_shift(quant->shift, 30, what);
}

Status check_shape_2d(const Tensor& tensor, int32_t rows, int32_t cols, const char* what) {
  if (tensor.shape.rank != 2 || tensor.shape.dims[0] != rows || tensor.shape.dims[1] != cols) {
    char text[80];
    tensor.shape.format(text, sizeof(text));
    return Status::error(StatusCode::kInvalidModel, "%s has shape %s, expected [%d,%d]", what, text,
                         static_cast<int>(rows), static_cast<int>(cols));
  }
  return Status::ok();
}

const char* weight_name(int index) {
  static const char* const kNames[] = {"input",
                                       "input_to_input_weights",
                                       "input_to_forget_weights",
                                       "input_to_cell_weights",
                                       "input_to_output_weights",
                                       "recurrent_to_input_weights",
                                       "recurrent_to_forget_weights",
                                       "recurrent_to_cell_weights",
                                       "recurrent_to_output_weights",
                                       "cell_to_input_weights",
                                       "cell_to_forget_weights",
                                       "cell_to_output_weights",
                                       "input_gate_bias",
                                       "forget_gate_bias",
                                       "cell_gate_bias",
                                       "output_gate_bias",
                                       "projection_weights",
                                       "projection_bias",
                                       "output_state",
                                       "cell_state",
                                       "input_layer_norm_coefficients",
                                       "forget_layer_norm_coefficients",
                                       "cell_layer_norm_coefficients",
                                       "output_layer_norm_coefficients"};
  return kNames[index];
}

// Which operands exist, their shapes and types (TFLM's ValidateTensorStatus / ValidateTensorSize, plus the
// rank and type checks that keep eval in bounds).
Status check_operands(const KernelContext& context, LstmDims* dims) {
  if (context.num_inputs() != kNumLstmInputs || context.num_outputs() != 1) {
    return Status::error(StatusCode::kInvalidModel, "needs %d inputs and 1 output, has %d and %d",
                         kNumLstmInputs, context.num_inputs(), context.num_outputs());
  }
  for (int i = kInput; i <= kRecurrentToOutputWeights; ++i) {
    if (!context.has_input(i))
      return Status::error(StatusCode::kUnsupported, "%s is missing (CIFG LSTM is not supported)",
                           weight_name(i));
  }
  for (int i = kInputGateBias; i <= kOutputGateBias; ++i) {
    if (!context.has_input(i))
      return Status::error(StatusCode::kUnsupported, "%s is missing", weight_name(i));
  }
  for (int i : {kHiddenState, kCellState}) {
    if (!context.has_input(i))
      return Status::error(StatusCode::kInvalidModel, "%s is missing", weight_name(i));
  }
  for (int i = kCellToInputWeights; i <= kCellToOutputWeights; ++i) {
    if (context.has_input(i))
      return Status::error(StatusCode::kUnsupported, "peephole LSTM is not supported");
  }
  for (int i : {kProjectionWeights, kProjectionBias}) {
    if (context.has_input(i))
      return Status::error(StatusCode::kUnsupported, "projection LSTM is not supported");
  }
  for (int i = kInputLayerNorm; i <= kOutputLayerNorm; ++i) {
    if (context.has_input(i)) {
      return Status::error(StatusCode::kUnsupported, "layer-normalised LSTM is not supported");
    }
  }

  const Tensor input = context.input(kInput);
  const Tensor hidden = context.input(kHiddenState);
  const Tensor cell = context.input(kCellState);
  const Tensor output = context.output(0);
  const auto* options = context.op()->builtin_options_as_UnidirectionalSequenceLSTMOptions();
  if (input.shape.rank != 3) {
    return Status::error(StatusCode::kInvalidModel, "input must have rank 3, has rank %d",
                         static_cast<int>(input.shape.rank));
  }
  if (hidden.shape.rank != 2) {
    return Status::error(StatusCode::kInvalidModel, "output_state must have rank 2, has rank %d",
                         static_cast<int>(hidden.shape.rank));
  }
  dims->time_major = options != nullptr && options->time_major();
  dims->batch = dims->time_major ? input.shape.dims[1] : input.shape.dims[0];
  dims->time_steps = dims->time_major ? input.shape.dims[0] : input.shape.dims[1];
  dims->input_size = input.shape.dims[2];
  dims->state_size = hidden.shape.dims[1];
  if (dims->batch < 1 || dims->time_steps < 1 || dims->input_size < 1 || dims->state_size < 1) {
    return Status::error(StatusCode::kInvalidModel, "empty LSTM (batch %d, time %d, input %d, state %d)",
                         static_cast<int>(dims->batch), static_cast<int>(dims->time_steps),
                         static_cast<int>(dims->input_size), static_cast<int>(dims->state_size));
  }

  for (int i = kInputToInputWeights; i <= kInputToOutputWeights; ++i) {
    EI_RETURN_IF_ERROR(check_shape_2d(context.input(i), dims->state_size, dims->input_size, weight_name(i)));
  }
  for (int i = kRecurrentToInputWeights; i <= kRecurrentToOutputWeights; ++i) {
    EI_RETURN_IF_ERROR(check_shape_2d(context.input(i), dims->state_size, dims->state_size, weight_name(i)));
  }
  for (int i = kInputGateBias; i <= kOutputGateBias; ++i) {
    const Tensor bias = context.input(i);
    if (bias.shape.rank != 1 || bias.shape.dims[0] != dims->state_size) {
      return Status::error(StatusCode::kInvalidModel, "%s must have shape [%d]", weight_name(i),
                           static_cast<int>(dims->state_size));
    }
  }
  const int64_t state_elements = static_cast<int64_t>(dims->batch) * dims->state_size;
  if (hidden.num_elements() != state_elements || cell.num_elements() != state_elements) {
    return Status::error(StatusCode::kInvalidModel,
                         "output_state and cell_state need batch x state = %lld elements, have %lld and %lld",
                         static_cast<long long>(state_elements),
                         static_cast<long long>(hidden.num_elements()),
                         static_cast<long long>(cell.num_elements()));
  }
  if (!hidden.is_variable || !cell.is_variable) {
    return Status::error(StatusCode::kInvalidModel, "output_state and cell_state must be variable tensors");
  }
  if (output.shape.rank != 3 || output.shape.dims[0] != input.shape.dims[0] ||
      output.shape.dims[1] != input.shape.dims[1] || output.shape.dims[2] != dims->state_size) {
    char text[80];
    output.shape.format(text, sizeof(text));
    return Status::error(StatusCode::kInvalidModel, "output has shape %s, expected [%d,%d,%d]", text,
                         static_cast<int>(input.shape.dims[0]), static_cast<int>(input.shape.dims[1]),
                         static_cast<int>(dims->state_size));
  }

  // Types: activations, hidden state and output share one; weights share one; biases share one.
  EI_RETURN_IF_ERROR(check_same_type(hidden, "output_state", input, "input"));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  const Tensor first_weights = context.input(kInputToInputWeights);
  for (int i = kInputToForgetWeights; i <= kRecurrentToOutputWeights; ++i) {
    EI_RETURN_IF_ERROR(check_same_type(context.input(i), weight_name(i), first_weights, weight_name(1)));
  }
  const Tensor first_bias = context.input(kInputGateBias);
  for (int i = kForgetGateBias; i <= kOutputGateBias; ++i) {
    EI_RETURN_IF_ERROR(
        check_same_type(context.input(i), weight_name(i), first_bias, weight_name(kInputGateBias)));
  }
  DataType weight_type = DataType::kFloat32, bias_type = DataType::kFloat32, cell_type = DataType::kFloat32;
  switch (input.type) {
    case DataType::kFloat32: break;
    case DataType::kInt8:
      weight_type = DataType::kInt8;
      bias_type = DataType::kInt32;
      cell_type = DataType::kInt16;
      break;
    case DataType::kInt16:
      weight_type = DataType::kInt8;
      bias_type = DataType::kInt64;
      cell_type = DataType::kInt16;
      break;
    default:
      return Status::error(StatusCode::kUnsupported,
                           "input type %s is not supported (float32, int8 or int16)",
                           data_type_name(input.type));
  }
  EI_RETURN_IF_ERROR(check_type(first_weights, "weights", {weight_type}));
  EI_RETURN_IF_ERROR(check_type(first_bias, "biases", {bias_type}));
  EI_RETURN_IF_ERROR(check_type(cell, "cell_state", {cell_type}));
  return Status::ok();
}

Status prepare_quantized(const KernelContext& context, float cell_clip, LstmQuantParams* quant) {
  const Tensor input = context.input(kInput);
  const Tensor hidden = context.input(kHiddenState);
  const Tensor cell = context.input(kCellState);
  EI_RETURN_IF_ERROR(check_quantized(input, "input"));
  EI_RETURN_IF_ERROR(check_quantized(hidden, "output_state"));
  EI_RETURN_IF_ERROR(check_quantized(cell, "cell_state"));
  for (int i = kInputToInputWeights; i <= kRecurrentToOutputWeights; ++i) {
    EI_RETURN_IF_ERROR(check_quantized(context.input(i), weight_name(i)));
  }
  if (cell.quant.zero_point() != 0) {
    return Status::error(StatusCode::kUnsupported, "cell_state needs zero point 0, has %d",
                         static_cast<int>(cell.quant.zero_point()));
  }
  const bool int16_activations = input.type == DataType::kInt16;
  if (int16_activations && (input.quant.zero_point() != 0 || hidden.quant.zero_point() != 0)) {
    return Status::error(StatusCode::kUnsupported, "int16 input and output_state need zero point 0");
  }
  // The int64 rescale of 16x8 layers divides by 2^(15 - shift).
  const int max_fc_shift = int16_activations ? 14 : 30;

  struct GateOperands {
    int input_weights, recurrent_weights;
    LstmFcQuant* input_fc;
    LstmFcQuant* recurrent_fc;
  };
  const GateOperands gates[] = {
      {kInputToForgetWeights, kRecurrentToForgetWeights, &quant->forget_input_fc,
       &quant->forget_recurrent_fc},
      {kInputToInputWeights, kRecurrentToInputWeights, &quant->input_input_fc, &quant->input_recurrent_fc},
      {kInputToCellWeights, kRecurrentToCellWeights, &quant->cell_input_fc, &quant->cell_recurrent_fc},
      {kInputToOutputWeights, kRecurrentToOutputWeights, &quant->output_input_fc,
       &quant->output_recurrent_fc},
  };
  for (const GateOperands& gate : gates) {
    EI_RETURN_IF_ERROR(make_fc_quant(input, context.input(gate.input_weights), max_fc_shift,
                                     weight_name(gate.input_weights), gate.input_fc));
    EI_RETURN_IF_ERROR(make_fc_quant(hidden, context.input(gate.recurrent_weights), max_fc_shift,
                                     weight_name(gate.recurrent_weights), gate.recurrent_fc));
  }

  const float cell_scale = cell.quant.scale();
  EI_RETURN_IF_ERROR(make_mul_quant(kGateOutputScale, cell_scale, cell_scale, DataType::kInt16, 0,
                                    "forget gate x cell state", &quant->forget_times_cell));
  EI_RETURN_IF_ERROR(make_mul_quant(kGateOutputScale, kGateOutputScale, cell_scale, DataType::kInt16, 0,
                                    "input gate x cell gate", &quant->input_times_cell_gate));
  EI_RETURN_IF_ERROR(make_mul_quant(kGateOutputScale, kGateOutputScale, hidden.quant.scale(), hidden.type,
                                    hidden.quant.zero_point(), "output gate x tanh(cell)",
                                    &quant->output_times_tanh_cell));

  // tanh(cell): the cell state in Q3.12 units is cell * 2^(12 + log2(scale)); TFLM rescales by a left shift,
  // or multiplies by 3 and shifts right when that exponent is negative. TFLM uses CheckedLog2's exponent even
  // when the scale is not a power of two.
  int scale_power = 0;
  checked_log2(cell_scale, &scale_power);
  int32_t tanh_shift = 12 + scale_power;
  int32_t tanh_multiplier = 0;
  if (tanh_shift < 0) {
    tanh_shift = -tanh_shift;
    tanh_multiplier = 3;
  }
  // Multiplier 0 means 3 << shift, multiplied with an int16: keep it within int32; right shifts below 32.
  if ((tanh_multiplier == 0 && tanh_shift > 14) || tanh_shift > 31) {
    return Status::error(StatusCode::kUnsupported,
                         "cell_state scale %g (2^%d) is outside the supported range",
                         static_cast<double>(cell_scale), scale_power);
  }
  quant->cell_tanh_multiplier = tanh_multiplier;
  quant->cell_tanh_left_shift = tanh_shift;

  quant->clip_cell = cell_clip > 0.0f;
  const double clip =
      std::min(std::max(static_cast<double>(cell_clip) / static_cast<double>(cell_scale), -32768.0), 32767.0);
  quant->quantized_cell_clip = quant->clip_cell ? static_cast<int16_t>(clip) : 0;
  return Status::ok();
}

Status prepare(KernelContext& context) {
  LstmDims dims;
  EI_RETURN_IF_ERROR(check_operands(context, &dims));
  const auto* options = context.op()->builtin_options_as_UnidirectionalSequenceLSTMOptions();
  // The cell gate's activation comes from the options; TFLM evaluates only tanh (and sigmoid, which the
  // schema cannot express).
  const auto activation =
      options != nullptr ? options->fused_activation_function() : tflite::ActivationFunctionType::NONE;
  if (activation != tflite::ActivationFunctionType::TANH) {
    return Status::error(StatusCode::kUnsupported, "cell gate activation %d is not supported (TANH only)",
                         static_cast<int>(activation));
  }
  const float cell_clip = options != nullptr ? options->cell_clip() : 0.0f;

  auto* data = static_cast<LstmOpData*>(context.allocate_persistent(sizeof(LstmOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->dims = dims;
  data->quant = LstmQuantParams{};
  data->cell_clip = cell_clip;
  const Tensor input = context.input(kInput);
  if (input.type != DataType::kFloat32)
    EI_RETURN_IF_ERROR(prepare_quantized(context, cell_clip, &data->quant));

  const size_t cell_bytes = input.type == DataType::kFloat32 ? sizeof(float) : sizeof(int16_t);
  const size_t buffer_bytes =
      static_cast<size_t>(dims.batch) * static_cast<size_t>(dims.state_size) * cell_bytes;
  for (int& index : data->buffer_index) EI_RETURN_IF_ERROR(context.request_scratch(buffer_bytes, &index));
  context.set_op_data(data);
  return Status::ok();
}

template <class Weight, class Bias>
LstmWeights<Weight, Bias> gather_weights(const KernelContext& context) {
  auto gate = [&](int input_weights, int recurrent_weights, int bias) {
    LstmGateWeights<Weight, Bias> g;
    g.input_weights = context.input(input_weights).data_as<const Weight>();
    g.recurrent_weights = context.input(recurrent_weights).data_as<const Weight>();
    g.bias = context.input(bias).data_as<const Bias>();
    return g;
  };
  LstmWeights<Weight, Bias> weights;
  weights.forget = gate(kInputToForgetWeights, kRecurrentToForgetWeights, kForgetGateBias);
  weights.input = gate(kInputToInputWeights, kRecurrentToInputWeights, kInputGateBias);
  weights.cell = gate(kInputToCellWeights, kRecurrentToCellWeights, kCellGateBias);
  weights.output = gate(kInputToOutputWeights, kRecurrentToOutputWeights, kOutputGateBias);
  return weights;
}

template <class Cell>
LstmBuffers<Cell> gather_buffers(const KernelContext& context, const LstmOpData& data) {
  LstmBuffers<Cell> buffers;
  for (int i = 0; i < 4; ++i) buffers.buffer[i] = static_cast<Cell*>(context.scratch(data.buffer_index[i]));
  return buffers;
}

Status eval(KernelContext& context) {
  const auto& data = *context.op_data_as<LstmOpData>();
  const Tensor input = context.input(kInput);
  const Tensor hidden = context.input(kHiddenState);
  const Tensor cell = context.input(kCellState);
  const Tensor output = context.output(0);
  switch (input.type) {
    case DataType::kFloat32:
      lstm_float(data.dims, gather_weights<float, float>(context), data.cell_clip,
                 input.data_as<const float>(), hidden.data_as<float>(), cell.data_as<float>(),
                 output.data_as<float>(), gather_buffers<float>(context, data));
      break;
    case DataType::kInt8:
      lstm_int8(data.dims, gather_weights<int8_t, int32_t>(context), data.quant,
                input.data_as<const int8_t>(), hidden.data_as<int8_t>(), cell.data_as<int16_t>(),
                output.data_as<int8_t>(), gather_buffers<int16_t>(context, data));
      break;
    default:
      lstm_int16(data.dims, gather_weights<int8_t, int64_t>(context), data.quant,
                 input.data_as<const int16_t>(), hidden.data_as<int16_t>(), cell.data_as<int16_t>(),
                 output.data_as<int16_t>(), gather_buffers<int16_t>(context, data));
      break;
  }
  return Status::ok();
}

}  // namespace

const Kernel& unidirectional_sequence_lstm() {
  static const Kernel kernel = {"reference/unidirectional_sequence_lstm", prepare, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
