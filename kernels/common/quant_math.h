// Fixed-point quantization arithmetic shared by every integer kernel and by the quantizer, so that what the
// optimizer computes is what the device does. Each function reproduces TensorFlow Lite's reference
// arithmetic bit for bit (its default "double rounding" mode, which TFLM and TFLite use).
#pragma once

#include <cstdint>
#include <limits>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {

// Activation fused into an op; values are TensorFlow Lite's ActivationFunctionType codes.
enum class FusedActivation : int8_t {
  kNone = 0,
  kRelu = 1,
  kReluN1To1 = 2,
  kRelu6 = 3,
  kTanh = 4,
  kSignBit = 5,
};

// Splits a positive real multiplier into a Q31 fixed-point `multiplier` in [2^30, 2^31) and a power-of-two
// `shift` (positive: left), as TensorFlow Lite's QuantizeMultiplier. A zero multiplier gives (0, 0).
void quantize_multiplier(double real_multiplier, int32_t* multiplier, int* shift);

// (a * b * 2) >> 32 with rounding to nearest and saturation of the single overflow case (gemmlowp's
// SaturatingRoundingDoublingHighMul).
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  const int32_t high = static_cast<int32_t>((ab + nudge) / (1ll << 31));
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}

// x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT).
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// Wrapping left shift: TensorFlow Lite computes `x * (1 << shift)` in int32, which wraps on the hardware it
// runs on; doing it in uint32 gives those bits without undefined behaviour.
// Shifts of 32 or more (only hostile models' scales produce them) give 0, as the bits would.
inline int32_t wrapping_shift_left(int32_t x, int shift) {
  return shift >= 32 ? 0 : static_cast<int32_t>(static_cast<uint32_t>(x) << shift);
}

// Integer arithmetic that TensorFlow Lite lets wrap, as plain `a + b` does on the hardware it runs on; done
// in the unsigned types it gives the same bits without undefined behaviour.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int32_t wrapping_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t wrapping_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

// x * multiplier * 2^shift (TensorFlow Lite's MultiplyByQuantizedMultiplier, int32 input).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(wrapping_shift_left(x, left_shift), multiplier), right_shift);
}

// multiply_by_quantized_multiplier() in fewer instructions, for the optimized kernels' output stages. Exactly
// equal for every input: with multiplier >= 0 (all that quantize_multiplier()
// gives) TensorFlow Lite's SaturatingRoundingDoublingHighMul cannot saturate (that needs both operands
// INT32_MIN), and its nudged, truncating division of p = x * multiplier by 2^31 is floor((p + 2^30) / 2^31)
// for both signs of p (for p < 0: trunc((p + 1 - 2^30) / 2^31) = ceil(...) = floor((p + 2^30) / 2^31)): one
// multiply-accumulate and a shift. Left shifts (shift > 0) and negative multipliers take the reference path.
inline int32_t multiply_by_quantized_multiplier_fast(int32_t x, int32_t multiplier, int shift);

// Its first step: SaturatingRoundingDoublingHighMul for multiplier >= 0, for callers that checked the
// multipliers in prepare() and apply rounding_divide_by_pot() themselves.
inline int32_t doubling_high_mul_nonnegative(int32_t x, int32_t multiplier) {
  // |x * multiplier| <= 2^62: no overflow; the result lies in [-2^31, 2^31).
  return static_cast<int32_t>((static_cast<int64_t>(x) * multiplier + (int64_t{1} << 30)) >> 31);
}

inline int32_t multiply_by_quantized_multiplier_fast(int32_t x, int32_t multiplier, int shift) {
  if (shift > 0 || multiplier < 0) return multiply_by_quantized_multiplier(x, multiplier, shift);
  return rounding_divide_by_pot(doubling_high_mul_nonnegative(x, multiplier), -shift);
}

// The int64-input variant (16x8 kernels with int64 accumulators): the multiplier is first reduced to Q15.
inline int32_t multiply_by_quantized_multiplier(int64_t x, int32_t multiplier, int shift) {
  const int32_t reduced_multiplier = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  // In uint64 so that accumulators of hostile models wrap instead of overflowing (undefined behaviour);
  // for the ranges TFLite allows (|x| < 2^47) the bits are the same.
  const uint64_t product =
      static_cast<uint64_t>(x) * static_cast<uint64_t>(static_cast<int64_t>(reduced_multiplier));
  if (total_shift <= 0) {
    // shift >= 15: kernels reject such scales in prepare(); TensorFlow Lite's arithmetic is undefined here.
    // Keep the result defined (the low bits of a left shift) for callers that do not.
    return total_shift <= -64 ? 0 : static_cast<int32_t>(product << -total_shift);
  }
  const uint64_t rounded = product + (uint64_t{1} << (total_shift - 1));
  return static_cast<int32_t>(static_cast<int64_t>(rounded) >> total_shift);
}

// TensorFlow Lite's MultiplyByQuantizedMultiplierSmallerThanOneExp: for shifts <= 0.
inline int32_t multiply_by_quantized_multiplier_smaller_than_one(int32_t x, int32_t multiplier, int shift) {
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -shift);
}

// TensorFlow Lite's MultiplyByQuantizedMultiplierGreaterThanOne: for shifts >= 0.
inline int32_t multiply_by_quantized_multiplier_greater_than_one(int32_t x, int32_t multiplier, int shift) {
  return saturating_rounding_doubling_high_mul(wrapping_shift_left(x, shift), multiplier);
}

// Range [min, max] of a quantized output after `activation`, intersected with the type's range, as
// TensorFlow Lite's CalculateActivationRangeQuantized. Fails for activations it cannot express as a clamp.
Status activation_range_quantized(FusedActivation activation, DataType output_type, float output_scale,
                                  int32_t output_zero_point, int32_t* min, int32_t* max);

// The same for float outputs (no limits for kNone).
Status activation_range_float(FusedActivation activation, float* min, float* max);

// The same for unquantized int32 outputs (TensorFlow Lite's CalculateActivationRange<int32_t>).
Status activation_range_int32(FusedActivation activation, int32_t* min, int32_t* max);

// TensorFlow Lite's CheckedLog2: log2(x) computed in float and rounded half away from zero into `*log2`;
// true when x is within 1e-3 (in the exponent) of that power of two.
bool checked_log2(float x, int* log2);

// x limited to [min, max] (a float NaN stays NaN).
template <class T>
inline T clamp_value(T x, T min, T max) {
  return x < min ? min : (x > max ? max : x);
}
inline float clamp_float(float x, float min, float max) {
  return clamp_value(x, min, max);
}
inline int32_t clamp_int(int32_t x, int32_t min, int32_t max) {
  return clamp_value(x, min, max);
}

// Limits of the integer types kernels produce.
inline int32_t type_min(DataType type) {
  switch (type) {
    case DataType::kInt8: return -128;
    case DataType::kUInt8: return 0;
    case DataType::kInt16: return -32768;
    default: return std::numeric_limits<int32_t>::min();
  }
}
inline int32_t type_max(DataType type) {
  switch (type) {
    case DataType::kInt8: return 127;
    case DataType::kUInt8: return 255;
    case DataType::kInt16: return 32767;
    default: return std::numeric_limits<int32_t>::max();
  }
}

}  // namespace edgeinfer
