// SOFTMAX over the last dimension: float, int8 -> int8, int8 -> int16 (gemmlowp fixed-point exp and
// reciprocal) and int16 -> int16 (TFLM's interpolated lookup tables), bit-exact with TFLM's reference
// kernels.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"

namespace edgeinfer {
namespace reference {

// Rows are `outer` consecutive runs of `depth` elements.
void softmax_float(float beta, int64_t outer, int32_t depth, const float* in, float* out);

// int8 input: differences to the row maximum, scaled by input_scale * beta into Q5.26 by multiplier and
// left shift; differences below diff_min contribute nothing (their exp is negligible).
struct SoftmaxInt8Params {
  int32_t input_multiplier = 0;
  int32_t input_left_shift = 0;
  int32_t diff_min = 0;
};
Status make_softmax_int8_params(float input_scale, float beta, SoftmaxInt8Params* params);
// Output int8 in units of 1/256 from -128, or int16 in units of 1/65536 from -32768.
void softmax_int8(const SoftmaxInt8Params& params, int64_t outer, int32_t depth, const int8_t* in,
                  int8_t* out);
void softmax_int8_int16(const SoftmaxInt8Params& params, int64_t outer, int32_t depth, const int8_t* in,
                        int16_t* out);

// int16: exp() on [-10, 0] and 1 / (1 + x) on [0, 1] by 513-entry tables with linear interpolation.
constexpr int kSoftmaxLutSize = 513;
// Fills both tables as TFLM's preparation does (float arithmetic).
void make_softmax_int16_luts(int16_t* exp_lut, int16_t* one_over_one_plus_x_lut);
struct SoftmaxInt16Params {
  int32_t input_multiplier = 0;  // input_scale * beta on the scale where [-65535, 0] is [-10, 0]
  int32_t input_shift = 0;
  const int16_t* exp_lut = nullptr;
  const int16_t* one_over_one_plus_x_lut = nullptr;
};
Status make_softmax_int16_params(float input_scale, float beta, SoftmaxInt16Params* params);
// Output in units of 1/32768 (zero point 0). `out` may not alias `in` (it holds the exps meanwhile).
void softmax_int16(const SoftmaxInt16Params& params, int64_t outer, int32_t depth, const int16_t* in,
                   int16_t* out);

// TFLM's int16 table lookup: 9 index bits, 7 interpolation bits.
int16_t lut_lookup_int16(int16_t value, const int16_t* lut);

}  // namespace reference
}  // namespace edgeinfer
