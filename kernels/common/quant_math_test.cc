#include "kernels/common/quant_math.h"

#include <gtest/gtest.h>

namespace edgeinfer {
namespace {

constexpr int32_t kHalf = 1 << 30;  // 0.5 in Q31

TEST(MultiplyByQuantizedMultiplier, Int32ScalesAndRoundsTwiceLikeTflite) {
  EXPECT_EQ(multiply_by_quantized_multiplier(int32_t{100}, kHalf, 0), 50);
  // 101 * 0.5 * 0.5 = 25.25, but TFLite rounds the doubling high multiply (50.5 -> 51) and then the shift
  // (25.5 -> 26): the result is 26, not 25.
  EXPECT_EQ(multiply_by_quantized_multiplier(int32_t{101}, kHalf, -1), 26);
  // Negative: the doubling high multiply rounds -50.5 towards zero (-50), the shift then gives -25.
  EXPECT_EQ(multiply_by_quantized_multiplier(int32_t{-101}, kHalf, -1), -25);
  // Left shifts wrap like TFLite's int32 arithmetic; 32 or more give 0 (hostile scales).
  EXPECT_EQ(multiply_by_quantized_multiplier(int32_t{3}, kHalf, 2), 6);
  EXPECT_EQ(multiply_by_quantized_multiplier(int32_t{3}, kHalf, 40), 0);
}

TEST(MultiplyByQuantizedMultiplier, Int64ReducesTheMultiplierToQ15) {
  // Reduced multiplier 2^14: (100 * 2^14 + 2^14) >> 15 = 50 (50.5 floors after the rounding offset).
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{100}, kHalf, 0), 50);
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{101}, kHalf, 0), 51);
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{-101}, kHalf, 0), -50);
}

TEST(MultiplyByQuantizedMultiplier, Int64HostileShiftsStayDefined) {
  // shift >= 15 leaves no right shift: TFLite's arithmetic is undefined there; ours gives the low bits of
  // the left shift (checked by UBSan in the sanitizer build).
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{3}, kHalf, 15), 3 * (1 << 14));
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{3}, kHalf, 20), 3 * (1 << 14) * 32);
  EXPECT_EQ(multiply_by_quantized_multiplier(int64_t{3}, kHalf, 100), 0);
}

TEST(QuantizeMultiplier, SplitsIntoQ31AndExponent) {
  int32_t multiplier = 0;
  int shift = 0;
  quantize_multiplier(0.75, &multiplier, &shift);
  EXPECT_EQ(multiplier, 3 << 29);
  EXPECT_EQ(shift, 0);
  quantize_multiplier(3.0, &multiplier, &shift);
  EXPECT_EQ(multiplier, 3 << 29);
  EXPECT_EQ(shift, 2);
  quantize_multiplier(1e-12, &multiplier, &shift);  // below 2^-31: TFLite flushes to zero
  EXPECT_EQ(multiplier, 0);
  EXPECT_EQ(shift, 0);
}

}  // namespace
}  // namespace edgeinfer
