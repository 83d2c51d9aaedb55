#include "kernels/common/fixed_point.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgeinfer::fixed_point {
namespace {

template <class F>
double to_double(F x) {
  return static_cast<double>(x.raw()) / std::ldexp(1.0, F::kFractionalBits);
}

template <class F>
F from_double(double x) {
  return F::from_raw(static_cast<typename F::RawType>(std::lround(x * std::ldexp(1.0, F::kFractionalBits))));
}

TEST(FixedPointTest, PrimitivesMatchHandComputedValues) {
  // 0.5 * 0.5 = 0.25 in Q0.31 and Q0.15.
  EXPECT_EQ(saturating_rounding_doubling_high_mul(int32_t{1 << 30}, int32_t{1 << 30}), 1 << 29);
  EXPECT_EQ(saturating_rounding_doubling_high_mul(int16_t{1 << 14}, int16_t{1 << 14}), 1 << 13);
  // -1 * -1 saturates.
  EXPECT_EQ(saturating_rounding_doubling_high_mul(int16_t{-32768}, int16_t{-32768}), 32767);
  // Ties round away from zero.
  EXPECT_EQ(rounding_divide_by_pot(int16_t{3}, 1), 2);
  EXPECT_EQ(rounding_divide_by_pot(int16_t{-3}, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot(int16_t{5}, 2), 1);
  EXPECT_EQ(rounding_half_sum(int32_t{1}, int32_t{2}), 2);
  EXPECT_EQ(rounding_half_sum(int32_t{-1}, int32_t{-2}), -2);
  EXPECT_EQ(saturating_rounding_mul_by_pot<2>(int32_t{1 << 29}), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(saturating_rounding_mul_by_pot<2>(int32_t{-(1 << 29) - 1}), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(saturating_rounding_mul_by_pot<2>(int32_t{3}), 12);
  EXPECT_EQ(saturating_rounding_mul_by_pot<-2>(int32_t{6}), 2);
  EXPECT_EQ(rescale_constant<int16_t>(1 << 30), 1 << 14);
  EXPECT_EQ(rescale_constant<int32_t>(12345), 12345);
}

TEST(FixedPointTest, SpecialValues) {
  using F5 = FixedPoint<int32_t, 5>;
  using F0 = FixedPoint<int32_t, 0>;
  EXPECT_EQ(exp_on_negative_values(F5::zero()).raw(), F0::one().raw());
  EXPECT_EQ(logistic(F5::zero()).raw(), 1 << 30);
  EXPECT_EQ(tanh(F5::zero()).raw(), 0);
  EXPECT_EQ(F5::one().raw(), 1 << 26);
  EXPECT_EQ(F0::one().raw(), std::numeric_limits<int32_t>::max());
  // exp(-32) and below clamp to zero when there are more than 5 integer bits.
  using F6 = FixedPoint<int32_t, 6>;
  EXPECT_EQ(exp_on_negative_values(from_double<F6>(-40.0)).raw(), 0);
}

// Accuracy bounds: exp's 4th-order Taylor polynomial on [-1/4, 0) around -1/8 leaves up to
// (1/8)^5 / 120 = 2.5e-7 (int32); int16 results are limited by Q0.15 steps (3e-5) plus the int16 constants'
// rounding. A wrong constant, mask or Newton step gives errors orders of magnitude larger.
TEST(FixedPointTest, ExpOnNegativeValuesInt32) {
  using F5 = FixedPoint<int32_t, 5>;
  double max_error = 0;
  for (double x = -31.99; x <= 0; x += 0.0137) {
    const double got = to_double(exp_on_negative_values(from_double<F5>(x)));
    max_error = std::max(max_error, std::abs(got - std::exp(x)));
  }
  EXPECT_LT(max_error, 3e-7);
}

TEST(FixedPointTest, ExpOnNegativeValuesInt16) {
  using F3 = FixedPoint<int16_t, 3>;
  double max_error = 0;
  for (int raw = -32768; raw <= 0; raw += 7) {
    const F3 x = F3::from_raw(static_cast<int16_t>(raw));
    max_error = std::max(max_error, std::abs(to_double(exp_on_negative_values(x)) - std::exp(to_double(x))));
  }
  EXPECT_LT(max_error, 4e-4);
}

TEST(FixedPointTest, LogisticAndTanhInt32) {
  using F4 = FixedPoint<int32_t, 4>;
  double logistic_error = 0;
  double tanh_error = 0;
  for (double x = -15.99; x < 15.99; x += 0.0173) {
    const F4 f = from_double<F4>(x);
    logistic_error =
        std::max(logistic_error, std::abs(to_double(logistic(f)) - 1 / (1 + std::exp(-to_double(f)))));
    tanh_error = std::max(tanh_error, std::abs(to_double(tanh(f)) - std::tanh(to_double(f))));
  }
  EXPECT_LT(logistic_error, 3e-7);
  EXPECT_LT(tanh_error, 3e-7);
  // Symmetry: logistic(-x) = 1 - logistic(x) up to Q0.31's missing +1; tanh is odd.
  const F4 a = from_double<F4>(1.25);
  EXPECT_EQ(tanh(-a).raw(), -tanh(a).raw());
  EXPECT_NEAR(logistic(-a).raw(), std::numeric_limits<int32_t>::max() - logistic(a).raw(), 1);
}

TEST(FixedPointTest, LogisticAndTanhInt16) {
  using F3 = FixedPoint<int16_t, 3>;
  double logistic_error = 0;
  double tanh_error = 0;
  for (int raw = -32768; raw <= 32767; raw += 3) {
    const F3 f = F3::from_raw(static_cast<int16_t>(raw));
    const double x = to_double(f);
    logistic_error = std::max(logistic_error, std::abs(to_double(logistic(f)) - 1 / (1 + std::exp(-x))));
    tanh_error = std::max(tanh_error, std::abs(to_double(tanh(f)) - std::tanh(x)));
  }
  EXPECT_LT(logistic_error, 4e-4);
  EXPECT_LT(tanh_error, 8e-4);
}

TEST(FixedPointTest, Reciprocal) {
  // 1 / 3 with 12 integer bits: 3 = 1.5 * 2^1, reciprocal of 1.5 in Q0.31 and one bit over unit.
  int bits = 0;
  const int32_t three_q12 = 3 << 19;
  const int32_t r = get_reciprocal(three_q12, 12, &bits);
  EXPECT_EQ(bits, 1);
  EXPECT_NEAR(r / std::ldexp(1.0, 31), 1 / 1.5, 1e-8);
  for (double y = 1.001; y < 2000; y *= 1.37) {
    const int32_t raw = static_cast<int32_t>(std::lround(y * (1 << 19)));
    const double got = get_reciprocal(raw, 12, &bits) / std::ldexp(1.0, 31) / std::ldexp(1.0, bits);
    EXPECT_NEAR(got * (raw / std::ldexp(1.0, 19)), 1.0, 1e-8) << y;
  }
}

}  // namespace
}  // namespace edgeinfer::fixed_point
