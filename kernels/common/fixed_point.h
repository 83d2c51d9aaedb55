// gemmlowp-style fixed-point arithmetic: the Q-format values and the exp / tanh / logistic / reciprocal
// approximations that TensorFlow Lite's integer softmax, logistic, tanh and LSTM kernels are built on. Every
// function reproduces gemmlowp's scalar implementation bit for bit (including its rounding and saturation),
// for int32 and int16 raw values.
//
// FixedPoint<Raw, kIntegerBits> holds real = raw / 2^kFractionalBits with kFractionalBits =
// bits(Raw) - 1 - kIntegerBits, i.e. the range [-2^kIntegerBits, 2^kIntegerBits).
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace fixed_point {

// ---- Raw integer primitives (int32 versions live in quant_math.h) ----

inline int16_t saturating_rounding_doubling_high_mul(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  const int32_t ab = static_cast<int32_t>(a) * static_cast<int32_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  return ::edgeinfer::saturating_rounding_doubling_high_mul(a, b);
}

// int16: gemmlowp truncates the mask to 16 bits, which only matters for exponents above 15.
inline int16_t rounding_divide_by_pot(int16_t x, int exponent) {
  const int32_t mask = static_cast<int16_t>((1ll << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return static_cast<int16_t>((x >> exponent) + (remainder > threshold ? 1 : 0));
}
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  return ::edgeinfer::rounding_divide_by_pot(x, exponent);
}

// Two's complement wrap-around, as the hardware gemmlowp targets does (and without signed-overflow UB).
template <class Raw>
inline Raw wrapping_add(Raw a, Raw b) {
  using U = std::make_unsigned_t<Raw>;
  return static_cast<Raw>(
      static_cast<U>(static_cast<uint32_t>(static_cast<U>(a)) + static_cast<uint32_t>(static_cast<U>(b))));
}
template <class Raw>
inline Raw wrapping_sub(Raw a, Raw b) {
  using U = std::make_unsigned_t<Raw>;
  return static_cast<Raw>(
      static_cast<U>(static_cast<uint32_t>(static_cast<U>(a)) - static_cast<uint32_t>(static_cast<U>(b))));
}
template <class Raw>
inline Raw wrapping_neg(Raw a) {
  return wrapping_sub<Raw>(0, a);
}

// int16 additions saturate in gemmlowp's exp() (AddSaturatingIf16Bit); int32 ones wrap.
inline int16_t add_saturating_if_16bit(int16_t a, int16_t b) {
  const int32_t sum = static_cast<int32_t>(a) + static_cast<int32_t>(b);
  return static_cast<int16_t>(sum < -32768 ? -32768 : (sum > 32767 ? 32767 : sum));
}
inline int32_t add_saturating_if_16bit(int32_t a, int32_t b) {
  return wrapping_add(a, b);
}

// (a + b) / 2 rounded half away from zero (ARM's VRHADD).
template <class Raw>
inline Raw rounding_half_sum(Raw a, Raw b) {
  const int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  const int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<Raw>((sum + sign) / 2);
}

// x * 2^kExponent: saturating for kExponent > 0, rounding to nearest for kExponent < 0.
template <int kExponent, class Raw>
inline Raw saturating_rounding_mul_by_pot(Raw x) {
  if constexpr (kExponent == 0) {
    return x;
  } else if constexpr (kExponent < 0) {
    return rounding_divide_by_pot(x, -kExponent);
  } else {
    constexpr int kBits = 8 * sizeof(Raw);
    constexpr int32_t kThreshold = (1 << (kBits - 1 - kExponent)) - 1;
    if (x > kThreshold) return std::numeric_limits<Raw>::max();
    if (x < -kThreshold) return std::numeric_limits<Raw>::min();
    using U = std::make_unsigned_t<Raw>;
    return static_cast<Raw>(static_cast<U>(static_cast<uint32_t>(static_cast<U>(x)) << kExponent));
  }
}

// gemmlowp writes its constants as Q0.31-scaled int32 values; for int16 they are rounded down to 16 bits.
template <class Raw>
inline Raw rescale_constant(int32_t value) {
  return static_cast<Raw>(rounding_divide_by_pot(value, 32 - 8 * static_cast<int>(sizeof(Raw))));
}

// ---- FixedPoint ----

template <class Raw, int kIntegerBitsParam>
class FixedPoint {
  static_assert(std::is_same_v<Raw, int32_t> || std::is_same_v<Raw, int16_t>, "int32 or int16 raw values");

 public:
  using RawType = Raw;
  static constexpr int kTotalBits = 8 * sizeof(Raw);
  static constexpr int kIntegerBits = kIntegerBitsParam;
  static constexpr int kFractionalBits = kTotalBits - 1 - kIntegerBits;
  static_assert(kIntegerBits >= 0 && kIntegerBits < kTotalBits, "bad integer bits");

  static FixedPoint from_raw(Raw raw) {
    FixedPoint f;
    f.raw_ = raw;
    return f;
  }
  // A constant given as gemmlowp's int32 raw value (rescaled for int16).
  static FixedPoint from_constant(int32_t int32_raw) { return from_raw(rescale_constant<Raw>(int32_raw)); }
  static FixedPoint zero() { return from_raw(0); }
  // 1.0, or the largest value below it when there are no integer bits.
  static FixedPoint one() {
    return from_raw(kIntegerBits == 0
                        ? std::numeric_limits<Raw>::max()
                        : static_cast<Raw>(Raw{1} << (kIntegerBits == 0 ? 0 : kFractionalBits)));
  }
  // 2^kExponent, exactly representable.
  template <int kExponent>
  static FixedPoint constant_pot() {
    constexpr int kOffset = kFractionalBits + kExponent;
    static_assert(kOffset >= 0 && kOffset < kTotalBits - 1, "power of two not representable");
    return from_raw(static_cast<Raw>(Raw{1} << kOffset));
  }

  Raw raw() const { return raw_; }

 private:
  Raw raw_ = 0;
};

template <class Raw, int kA, int kB>
inline FixedPoint<Raw, kA + kB> operator*(FixedPoint<Raw, kA> a, FixedPoint<Raw, kB> b) {
  return FixedPoint<Raw, kA + kB>::from_raw(saturating_rounding_doubling_high_mul(a.raw(), b.raw()));
}
template <class Raw, int kBits>
inline FixedPoint<Raw, kBits> operator+(FixedPoint<Raw, kBits> a, FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::from_raw(wrapping_add(a.raw(), b.raw()));
}
template <class Raw, int kBits>
inline FixedPoint<Raw, kBits> operator-(FixedPoint<Raw, kBits> a, FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::from_raw(wrapping_sub(a.raw(), b.raw()));
}
template <class Raw, int kBits>
inline FixedPoint<Raw, kBits> operator-(FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits>::from_raw(wrapping_neg(a.raw()));
}
template <class Raw, int kBits>
inline FixedPoint<Raw, kBits> rounding_half_sum(FixedPoint<Raw, kBits> a, FixedPoint<Raw, kBits> b) {
  return FixedPoint<Raw, kBits>::from_raw(rounding_half_sum(a.raw(), b.raw()));
}

// Same raw bits, reinterpreted with kExponent more integer bits: an exact multiplication by 2^kExponent.
template <int kExponent, class Raw, int kBits>
inline FixedPoint<Raw, kBits + kExponent> exact_mul_by_pot(FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits + kExponent>::from_raw(a.raw());
}

// a * 2^kExponent keeping the format (saturating / rounding).
template <int kExponent, class Raw, int kBits>
inline FixedPoint<Raw, kBits> saturating_rounding_mul_by_pot(FixedPoint<Raw, kBits> a) {
  return FixedPoint<Raw, kBits>::from_raw(saturating_rounding_mul_by_pot<kExponent>(a.raw()));
}

// The same value in a format with kDstBits integer bits.
template <int kDstBits, class Raw, int kSrcBits>
inline FixedPoint<Raw, kDstBits> rescale(FixedPoint<Raw, kSrcBits> a) {
  return FixedPoint<Raw, kDstBits>::from_raw(saturating_rounding_mul_by_pot<kSrcBits - kDstBits>(a.raw()));
}

// ---- Transcendental approximations ----

// exp(a) for a in [-1/4, 0): fourth-order Taylor expansion around -1/8.
template <class Raw>
inline FixedPoint<Raw, 0> exp_on_interval_between_negative_one_quarter_and_0_excl(FixedPoint<Raw, 0> a) {
  using F = FixedPoint<Raw, 0>;
  const F exp_minus_one_eighth = F::from_constant(1895147668);
  const F one_third = F::from_constant(715827883);
  const F x = a + F::template constant_pot<-3>();
  const F x2 = x * x;
  const F x3 = x2 * x;
  const F x4 = x2 * x2;
  const F x4_over_4 = saturating_rounding_mul_by_pot<-2>(x4);
  const F poly = saturating_rounding_mul_by_pot<-1>(((x4_over_4 + x3) * one_third) + x2);
  return F::from_raw(
      add_saturating_if_16bit(exp_minus_one_eighth.raw(), (exp_minus_one_eighth * (x + poly)).raw()));
}

// exp(a) for a <= 0 (exp(0) gives one()). The input is split into a multiple of 1/4 handled by a barrel of
// constant multipliers exp(-2^k) and a remainder in [-1/4, 0) handled by the polynomial.
template <class Raw, int kIntegerBits>
inline FixedPoint<Raw, 0> exp_on_negative_values(FixedPoint<Raw, kIntegerBits> a) {
  using InputF = FixedPoint<Raw, kIntegerBits>;
  using ResultF = FixedPoint<Raw, 0>;
  constexpr int kFractionalBits = InputF::kFractionalBits;
  const InputF one_quarter = InputF::template constant_pot<-2>();
  const Raw mask = static_cast<Raw>(one_quarter.raw() - 1);
  const InputF a_mod_quarter_minus_one_quarter =
      InputF::from_raw(static_cast<Raw>(a.raw() & mask)) - one_quarter;
  ResultF result =
      exp_on_interval_between_negative_one_quarter_and_0_excl(rescale<0>(a_mod_quarter_minus_one_quarter));
  const Raw remainder = (a_mod_quarter_minus_one_quarter - a).raw();

  // Multipliers exp(-2^k) for k = -2..4, as gemmlowp's Q0.31 constants.
  constexpr int32_t kMultipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  for (int k = -2; k <= 4; ++k) {
    if (kIntegerBits > k) {
      const int shift = kFractionalBits + k;
      if ((static_cast<int32_t>(remainder) & (int32_t{1} << shift)) != 0) {
        result = result * ResultF::from_constant(kMultipliers[k + 2]);
      }
    }
  }

  if constexpr (kIntegerBits > 5) {
    // Below -32 the result is zero.
    constexpr int kClampBits = 36 - kIntegerBits;
    const InputF clamp = InputF::from_constant(-(int32_t{1} << kClampBits));
    if (a.raw() < clamp.raw()) result = ResultF::zero();
  }
  if (a.raw() == 0) result = ResultF::one();
  return result;
}

// (1 - a) / (1 + a) for a in (0, 1), by three Newton-Raphson steps.
template <class Raw>
inline FixedPoint<Raw, 0> one_minus_x_over_one_plus_x_for_x_in_0_1(FixedPoint<Raw, 0> a) {
  using F0 = FixedPoint<Raw, 0>;
  using F2 = FixedPoint<Raw, 2>;
  const F0 half_denominator = rounding_half_sum(a, F0::one());
  const F2 c48_over_17 = F2::from_constant(1515870810);
  const F2 c_neg_32_over_17 = F2::from_constant(-1010580540);
  F2 x = c48_over_17 + half_denominator * c_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus_half_denominator_times_x = F2::one() - half_denominator_times_x;
    x = x + rescale<2>(x * one_minus_half_denominator_times_x);
  }
  return rescale<0>(x - F2::one());
}

// 1 / (1 + a) for a in (0, 1), by three Newton-Raphson steps.
template <class Raw>
inline FixedPoint<Raw, 0> one_over_one_plus_x_for_x_in_0_1(FixedPoint<Raw, 0> a) {
  using F0 = FixedPoint<Raw, 0>;
  using F2 = FixedPoint<Raw, 2>;
  const F0 half_denominator = rounding_half_sum(a, F0::one());
  const F2 c48_over_17 = F2::from_constant(1515870810);
  const F2 c_neg_32_over_17 = F2::from_constant(-1010580540);
  F2 x = c48_over_17 + half_denominator * c_neg_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const F2 half_denominator_times_x = half_denominator * x;
    const F2 one_minus_half_denominator_times_x = F2::one() - half_denominator_times_x;
    x = x + rescale<2>(x * one_minus_half_denominator_times_x);
  }
  return rescale<0>(exact_mul_by_pot<-1>(x));
}

// tanh(a) for any a: -tanh(-|a|) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)).
template <class Raw, int kIntegerBits>
inline FixedPoint<Raw, 0> tanh(FixedPoint<Raw, kIntegerBits> a) {
  using InputF = FixedPoint<Raw, kIntegerBits>;
  using ResultF = FixedPoint<Raw, 0>;
  if (a.raw() == 0) return ResultF::zero();
  const bool negative = a.raw() < 0;
  const InputF n = negative ? a : -a;
  const ResultF t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(exact_mul_by_pot<1>(n)));
  return negative ? -t : t;
}

// logistic(a) = 1 / (1 + exp(-a)) for any a.
template <class Raw, int kIntegerBits>
inline FixedPoint<Raw, 0> logistic(FixedPoint<Raw, kIntegerBits> a) {
  using InputF = FixedPoint<Raw, kIntegerBits>;
  using ResultF = FixedPoint<Raw, 0>;
  if (a.raw() == 0) return ResultF::from_constant(1 << 30);
  const bool positive = a.raw() > 0;
  const InputF abs_a = positive ? a : -a;
  const ResultF result_if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_a));
  return positive ? result_if_positive : ResultF::one() - result_if_positive;
}

// ---- TensorFlow Lite helpers built on the above ----

inline int count_leading_zeros(uint32_t x) {
  return x == 0 ? 32 : __builtin_clz(x);
}

// 1 / x for a positive x with x_integer_digits integer bits: returns the Q0.31 reciprocal of x scaled into
// [1, 2), and in *num_bits_over_unit how many powers of two were taken out (TensorFlow Lite's GetReciprocal).
inline int32_t get_reciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = count_leading_zeros(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one =
      static_cast<int32_t>((static_cast<uint32_t>(x) << headroom_plus_one) - (uint32_t{1} << 31));
  return one_over_one_plus_x_for_x_in_0_1(FixedPoint<int32_t, 0>::from_raw(shifted_sum_minus_one)).raw();
}

}  // namespace fixed_point
}  // namespace edgeinfer
