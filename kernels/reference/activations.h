// RELU, RELU6, LEAKY_RELU and HARD_SWISH: the pure elementwise functions, bit-exact with TFLM's reference
// kernels, and the prepare checks every unary elementwise activation kernel shares. activations.cc holds the
// kernels of these and of LOGISTIC and TANH (whose pure functions are in activation_functions.h).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// Checks a one-input one-output elementwise op: counts, input type among `types`, output type equal to the
// input's, equal element counts.
Status check_unary_elementwise(const KernelContext& context, std::initializer_list<DataType> types);

// ---- RELU / RELU6 ----

void relu_float(int64_t size, const float* in, float* out);
void relu6_float(int64_t size, const float* in, float* out);

// Quantized RELU requantizes: out = clamp(out_zp + (in - in_zp) * multiplier * 2^shift, [min, max]).
struct ReluQuantParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t output_multiplier = 0;
  int32_t output_shift = 0;
  int32_t activation_min = 0;
  int32_t activation_max = 0;
};
void relu_int8(const ReluQuantParams& params, int64_t size, const int8_t* in, int8_t* out);
void relu_int16(const ReluQuantParams& params, int64_t size, const int16_t* in, int16_t* out);

// Quantized RELU6 clamps in the input's quantization to [quantized 0, quantized 6] (no requantization, as
// TFLM: the output is assumed to share the input's quantization).
void relu6_int8(int32_t lower, int32_t upper, int64_t size, const int8_t* in, int8_t* out);
void relu6_int16(int32_t lower, int32_t upper, int64_t size, const int16_t* in, int16_t* out);

// ---- LEAKY_RELU ----

void leaky_relu_float(float alpha, int64_t size, const float* in, float* out);

// Non-negative inputs are rescaled with the identity multiplier, negative ones with alpha's.
struct LeakyReluQuantParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t multiplier_identity = 0;
  int32_t shift_identity = 0;
  int32_t multiplier_alpha = 0;
  int32_t shift_alpha = 0;
};
// TFLM's preparation: both multipliers come from float products/quotients of the scales and alpha.
LeakyReluQuantParams make_leaky_relu_params(float input_scale, int32_t input_zero_point, float output_scale,
                                            int32_t output_zero_point, float alpha);
void leaky_relu_int8(const LeakyReluQuantParams& params, int64_t size, const int8_t* in, int8_t* out);
void leaky_relu_int16(const LeakyReluQuantParams& params, int64_t size, const int16_t* in, int16_t* out);

// ---- HARD_SWISH: x * relu6(x + 3) / 6 ----

void hard_swish_float(int64_t size, const float* in, float* out);

// 16-bit fixed-point parameters of the int8 kernel.
struct HardSwishParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int16_t output_multiplier = 0;   // Q0.15, input on a 2^-7 finer scale -> output
  int32_t output_exponent = 0;     // <= 0
  int16_t reluish_multiplier = 0;  // Q0.15, fine input -> [-3, 3] as [-32768, 32767]
  int32_t reluish_exponent = 0;
};
Status make_hard_swish_params(float input_scale, int32_t input_zero_point, float output_scale,
                              int32_t output_zero_point, HardSwishParams* params);
void hard_swish_int8(const HardSwishParams& params, int64_t size, const int8_t* in, int8_t* out);

}  // namespace reference
}  // namespace edgeinfer
