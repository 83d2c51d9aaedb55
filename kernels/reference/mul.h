// MUL with broadcasting (float32, int32, int8, int16), as TensorFlow Lite's reference Mul.
//
// Quantized: the product of the offset inputs, (x - zp1) * (y - zp2), is exact in int32 and is scaled to the
// output by one multiplier s1 * s2 / s_out (computed in double) before the output zero point is added.
// int16 needs all zero points 0, as in TFLM (with them the product still fits in int32).
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/broadcast.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

struct MulQuantParams {
  int32_t input1_offset = 0;  // -zero point
  int32_t input2_offset = 0;
  int32_t output_offset = 0;  // +zero point
  int32_t output_multiplier = 0;
  int output_shift = 0;
  int32_t activation_min = 0;
  int32_t activation_max = 0;
};

// Parameters for int8 or int16 (`type`) MUL. Fails for other types, non-zero int16 zero points, activations
// that are not a clamp, or a multiplier out of range.
Status make_mul_params(DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output,
                       FusedActivation activation, MulQuantParams* params);

inline int32_t quantized_mul(const MulQuantParams& p, int32_t x, int32_t y) {
  const int32_t product = (p.input1_offset + x) * (p.input2_offset + y);  // |product| <= 2^30
  const int32_t scaled = multiply_by_quantized_multiplier(product, p.output_multiplier, p.output_shift);
  return clamp_int(wrapping_add(scaled, p.output_offset), p.activation_min, p.activation_max);
}

// out = clamp(in1 * in2) over the broadcast `b`.
void mul_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output);
void mul_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output);
void mul_int8(const BinaryBroadcast& b, const MulQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output);
void mul_int16(const BinaryBroadcast& b, const MulQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output);

}  // namespace reference
}  // namespace edgeinfer
