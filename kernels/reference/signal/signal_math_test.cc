#include "kernels/reference/signal/signal_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace edgeinfer {
namespace {

using namespace reference::signal;

TEST(SignalMath, MostSignificantBit) {
  EXPECT_EQ(msb32(1), 1);
  EXPECT_EQ(msb32(2), 2);
  EXPECT_EQ(msb32(3), 2);
  EXPECT_EQ(msb32(0x80000000u), 32);
  EXPECT_EQ(msb64(uint64_t{1} << 32), 33);
  EXPECT_EQ(msb64(~uint64_t{0}), 64);
}

// floor(sqrt(x)) computed independently (exact integer correction of a floating estimate).
uint64_t floor_sqrt(uint64_t x) {
  uint64_t r = static_cast<uint64_t>(std::sqrt(static_cast<long double>(x)));
  while (r > 0 && static_cast<unsigned __int128>(r) * r > x) --r;
  while (static_cast<unsigned __int128>(r + 1) * (r + 1) <= x) ++r;
  return r;
}

// The root rounds up exactly when the remainder exceeds it (x > r^2 + r, i.e. x >= (r + 1/2)^2), unless it is
// the largest value of its path.
TEST(SignalMath, SquareRootsRoundToNearest) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t x32 = static_cast<uint32_t>(rng() >> (rng() % 32));
    const uint64_t r32 = floor_sqrt(x32);
    const uint64_t expected32 = (x32 - r32 * r32 > r32 && r32 != 0xFFFF) ? r32 + 1 : r32;
    ASSERT_EQ(sqrt32(x32), expected32) << x32;
    const uint64_t x64 = rng() >> (rng() % 32);  // >= 2^32: the 64-bit path
    const uint64_t r64 = floor_sqrt(x64);
    const uint64_t expected64 = (x64 - r64 * r64 > r64 && r64 != 0xFFFFFFFFull) ? r64 + 1 : r64;
    ASSERT_EQ(sqrt64(x64), expected64) << x64;
  }
  EXPECT_EQ(sqrt32(0), 0);
  EXPECT_EQ(sqrt32(0xFFFFFFFFu), 0xFFFF);     // 65535.99..., capped
  EXPECT_EQ(sqrt64(0xFFFFFFFFull), 0xFFFFu);  // below 2^32: the 32-bit path
  EXPECT_EQ(sqrt64(~uint64_t{0}), 0xFFFFFFFFu);
}

TEST(SignalMath, LogCorrectionTableIsLog2MinusLinear) {
  for (int i = 0; i < kLog2CorrectionEntries; ++i) {
    const double f = i / 128.0;
    EXPECT_EQ(log2_correction(i), static_cast<uint16_t>(std::lround((std::log2(1.0 + f) - f) * 65536.0)))
        << "entry " << i;
  }
}

// The fixed-point log stays within 3 output steps of the exact one at scale 1000 (for scales that do not
// wrap). The error is mostly TFLM's in-segment step being scaled by 2^-16 instead of 2^-9: the correction
// keeps its segment-start value, off by up to 224 / 2^16 in log2 (0.0024 in ln).
TEST(SignalMath, LogScaledApproximatesTheNaturalLog) {
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t x = std::max<uint32_t>(2, static_cast<uint32_t>(rng()) >> (rng() % 31));
    const double exact = 1000.0 * std::log(static_cast<double>(x));
    ASSERT_NEAR(static_cast<double>(log_scaled(x, 1000)), exact, 3.0) << x;
  }
  EXPECT_EQ(log_scaled(2, 1000), 693u);
  EXPECT_EQ(log_scaled(65536, 1000), 11090u);
}

// See pcan_test.cc for the derivations: entries 0..2 directly, octave 2 from coefficients {1000, 100, 32}.
TEST(SignalMath, PcanGainAndShrink) {
  int16_t lut[kPcanGainLutSize] = {};
  lut[0] = 4096;
  lut[1] = -1;
  lut[2] = 1000;
  lut[3] = 100;
  lut[4] = 32;
  EXPECT_EQ(pcan_gain(0, lut), 4096);
  EXPECT_EQ(pcan_gain(1, lut), -1);
  EXPECT_EQ(pcan_gain(2, lut), 1000);
  EXPECT_EQ(pcan_gain(3, lut), 1058);
  // Octave 3 (noise 4..7) reads entries 6..8: all zero here, so the rounding term alone remains: 0.
  EXPECT_EQ(pcan_gain(5, lut), 0);
  EXPECT_EQ(pcan_shrink(4096), 16u);    // 1.0^2 / 4 = 0.25 in Q6
  EXPECT_EQ(pcan_shrink(8191), 63u);    // just below 2: 8191^2 >> 20
  EXPECT_EQ(pcan_shrink(8192), 64u);    // 2 - 1 = 1.0 in Q6
  EXPECT_EQ(pcan_shrink(16384), 192u);  // 4 - 1 = 3.0
  EXPECT_EQ(pcan_shrink(0xFFFFFFFFu), 67108799u);
}

}  // namespace
}  // namespace edgeinfer
