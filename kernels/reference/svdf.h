// SVDF: a rank-`rank` factorisation of a time-convolution layer, as TFLM's reference SVDF computes it.
//
// The state holds the last `memory_size` feature activations of every filter ([batch][filter][memory]).
// Each invoke shifts it left by one element, writes this step's feature matmul into the last column,
// convolves every filter's row with its time weights, sums the `rank` filters of each unit and adds the bias.
//
// Float keeps TFLM's operation order (so results are byte-identical). Quantized SVDF takes int8 input,
// feature weights and output with an int16 (or int8) state and time weights, an int32 bias, and TFLM's two
// requantisations; the fused activation is not applied on that path (TFLM ignores it there too: the int8
// output clamp is all that happens).
#pragma once

#include <cstdint>

#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {

struct SvdfDims {
  int32_t batch = 0;
  int32_t input_size = 0;
  int32_t num_filters = 0;  // num_units * rank
  int32_t num_units = 0;
  int32_t rank = 0;
  int32_t memory_size = 0;
};

// `state`: batch * num_filters * memory_size, updated in place. `scratch`: batch * num_filters floats.
// `bias` may be null. `output`: batch * num_units.
void svdf_float(const SvdfDims& dims, FusedActivation activation, const float* input,
                const float* weights_feature, const float* weights_time, const float* bias, float* state,
                float* scratch, float* output);

struct SvdfQuantParams {
  int32_t input_zero_point = 0;
  int32_t state_zero_point = 0;
  int32_t output_zero_point = 0;
  // input * weights_feature -> state, and state * weights_time -> output.
  int32_t feature_multiplier = 0;
  int feature_shift = 0;
  int32_t time_multiplier = 0;
  int time_shift = 0;
};

// Quantized SVDF with an int16 state and time weights (the usual case) or an int8 one. `scratch`:
// batch * num_filters, `scratch_output`: batch * num_units. `bias` may be null.
void svdf_int8(const SvdfDims& dims, const SvdfQuantParams& params, const int8_t* input,
               const int8_t* weights_feature, const int16_t* weights_time, const int32_t* bias,
               int16_t* state, int32_t* scratch, int32_t* scratch_output, int8_t* output);
void svdf_int8(const SvdfDims& dims, const SvdfQuantParams& params, const int8_t* input,
               const int8_t* weights_feature, const int8_t* weights_time, const int32_t* bias, int8_t* state,
               int32_t* scratch, int32_t* scratch_output, int8_t* output);

}  // namespace reference
}  // namespace edgeinfer
