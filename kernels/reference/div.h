// DIV with broadcasting (float32, int32, int8), as TFLM's DIV over TensorFlow Lite's reference Div.
//
// float32: x / y (IEEE: division by zero gives an infinity or NaN), then the fused activation's clamp.
// int32 (unquantized inputs only, as TFLM checks): C++ integer division, truncating toward zero, then the
// activation's clamp. TensorFlow Lite leaves x / 0 and INT32_MIN / -1 undefined (a host build of TFLM traps
// on both); here they give what Cortex-M's SDIV gives, the instruction TFLM runs on its target (with division
// by zero traps off, their reset state): x / 0 = 0, INT32_MIN / -1 = INT32_MIN. Untrusted data cannot crash
// the process and the result is defined.
// int8: q = zo + (x - z1) / (y - z2) * s1 / (s2 so), in TensorFlow Lite's fixed point: the divisor's sign is
// moved to the dividend, the divisor's Q0.31 reciprocal (GetReciprocal) multiplies the dividend shifted to
// full headroom, and one output multiplier, s1 / (s2 so) computed in float as TFLM does, scales the quotient
// with a rounding right shift. Where TFLM's arithmetic is undefined this kernel pins it down:
//  - a zero divisor (y == z2) takes the reciprocal path with what GetReciprocal gives for 0 on every build
//    (its 32-bit shift of a zero is zero either way): the Newton steps run on -1.0 (raw INT32_MIN) with
//    int32 wrap-around and the shift is -1. This is the value TFLM computes in practice (no trap);
//  - right shifts beyond 31 give the correctly rounded value (0) and left shifts (absurd output scales)
//    saturate, instead of depending on how the hardware masks shift counts;
//  - the output offset is added in 64 bits before the activation clamp.
#pragma once

#include <cstdint>
#include <limits>

#include "edgeinfer/status.h"
#include "kernels/common/broadcast.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

struct DivQuantParams {
  int32_t input1_offset = 0;  // -zero point
  int32_t input2_offset = 0;
  int32_t output_offset = 0;  // +zero point
  int32_t output_multiplier = 0;
  int output_shift = 0;
  int32_t activation_min = 0;
  int32_t activation_max = 0;
};

// Parameters for int8 DIV (the only quantized type TFLM divides). Fails for activations that are not a
// clamp or a multiplier out of range.
Status make_div_params(AffineQuant input1, AffineQuant input2, AffineQuant output, FusedActivation activation,
                       DivQuantParams* params);

// x / y truncated toward zero, with x / 0 = 0 and INT32_MIN / -1 = INT32_MIN (Cortex-M's SDIV).
inline int32_t int32_divide(int32_t x, int32_t y) {
  if (y == 0) return 0;
  if (y == -1) return wrapping_sub(0, x);
  return x / y;
}

// Leading bits equal to the sign bit, not counting the sign bit itself (31 for 0 and -1).
inline int count_leading_sign_bits(int32_t x) {
  const uint32_t magnitude_bits = x >= 0 ? static_cast<uint32_t>(x) : ~static_cast<uint32_t>(x);
  return magnitude_bits == 0 ? 31 : __builtin_clz(magnitude_bits) - 1;
}

// TensorFlow Lite's GetReciprocal(x, 31, shift) for x >= 0: the Q0.31 reciprocal of x scaled into [1, 2) and
// in *shift the number of powers of two taken out; x = 0 as TFLM computes it (see the file comment).
int32_t div_reciprocal(int32_t x, int* shift);

// x / 2^exponent rounded half away from zero for any exponent; a negative exponent is a saturating left
// shift.
inline int32_t rounding_shift_any(int32_t x, int exponent) {
  if (exponent < 0) {
    const int64_t shifted = static_cast<int64_t>(x) * (int64_t{1} << (-exponent < 32 ? -exponent : 32));
    return static_cast<int32_t>(clamp_value<int64_t>(shifted, std::numeric_limits<int32_t>::min(),
                                                     std::numeric_limits<int32_t>::max()));
  }
  if (exponent <= 31) return rounding_divide_by_pot(x, exponent);
  // |x| <= 2^31, so |x / 2^exponent| <= 1/2: only -2^31 / 2^32 is a tie (away from zero: -1).
  return exponent == 32 && x == std::numeric_limits<int32_t>::min() ? -1 : 0;
}

inline int32_t quantized_div(const DivQuantParams& p, int32_t x, int32_t y) {
  int32_t dividend = p.input1_offset + x;  // |.| <= 255: zero points lie in int8's range
  int32_t divisor = p.input2_offset + y;
  if (divisor < 0) {  // the reciprocal must be positive to serve as a multiplier
    dividend = -dividend;
    divisor = -divisor;
  }
  int reciprocal_shift;
  const int32_t reciprocal = div_reciprocal(divisor, &reciprocal_shift);
  const int headroom = count_leading_sign_bits(dividend);
  const int32_t unscaled = multiply_by_quantized_multiplier_greater_than_one(dividend, reciprocal, headroom);
  const int total_shift = p.output_shift - reciprocal_shift - headroom;
  const int32_t scaled =
      rounding_shift_any(saturating_rounding_doubling_high_mul(unscaled, p.output_multiplier), -total_shift);
  const int64_t result = static_cast<int64_t>(p.output_offset) + scaled;
  return static_cast<int32_t>(clamp_value<int64_t>(result, p.activation_min, p.activation_max));
}

// out = clamp(in1 / in2) over the broadcast `b`.
void div_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output);
void div_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output);
void div_int8(const BinaryBroadcast& b, const DivQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output);

}  // namespace reference
}  // namespace edgeinfer
