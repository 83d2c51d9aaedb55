#include "kernels/common/float16.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgeinfer {
namespace {

TEST(Float16, EveryHalfSurvivesARoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(float_to_half(f), h) << std::hex << h;
  }
}

TEST(Float16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00);  // halfway between 1 and 1+2^-10: even (1)
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02);  // halfway, rounds up to even
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);            // rounds past the largest half: infinity
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(2.9802322387695312e-8f), 0x0000);  // 2^-25: halfway to the smallest subnormal, even
  EXPECT_EQ(float_to_half(4.0e-8f), 0x0001);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(NAN) & 0x7e00, 0x7e00);
}

}  // namespace
}  // namespace edgeinfer
