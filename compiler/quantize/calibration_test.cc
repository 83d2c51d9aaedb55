#include "compiler/quantize/calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace edgeinfer::compiler::quantize {
namespace {

constexpr CalibrationMethod kAllMethods[] = {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                                             CalibrationMethod::kMse, CalibrationMethod::kKl};
constexpr QuantTarget kInt8 = QuantTarget::int8_asymmetric();
constexpr QuantTarget kInt16 = QuantTarget::int16_symmetric();

// Deterministic samples on every platform (std:: distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double uniform() {  // [0, 1)
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state_ >> 11) * 0x1.0p-53;
  }
  double gaussian() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double laplace() {
    const double u = uniform() - 0.5;
    return u < 0 ? std::log1p(2 * u) : -std::log1p(-2 * u);
  }

 private:
  uint64_t state_;
};

RangeCollector collect(const std::vector<float>& values, size_t batch = 4096) {
  RangeCollector collector;
  for (size_t i = 0; i < values.size(); i += batch) {
    collector.add(std::span<const float>(values).subspan(i, std::min(batch, values.size() - i)));
  }
  return collector;
}

// Quantize then dequantize as TFLite's QUANTIZE and DEQUANTIZE do; mean squared error.
double qdq_mse(const std::vector<float>& values, Range range) {
  const QuantParamsResult p = choose_asymmetric_params(range, -128, 127);
  double sum = 0;
  for (float v : values) {
    const int32_t q = std::clamp(static_cast<int32_t>(std::round(v / p.scale)) + p.zero_point, -128, 127);
    const double d = (q - p.zero_point) * static_cast<double>(p.scale) - v;
    sum += d * d;
  }
  return sum / values.size();
}

TEST(CalibrationMethod, NamesRoundTrip) {
  for (CalibrationMethod m : kAllMethods) EXPECT_EQ(parse_calibration_method(calibration_method_name(m)), m);
  EXPECT_EQ(calibration_method_name(CalibrationMethod::kMinMax), "minmax");
  EXPECT_EQ(calibration_method_name(CalibrationMethod::kPercentile), "percentile");
  EXPECT_EQ(calibration_method_name(CalibrationMethod::kMse), "mse");
  EXPECT_EQ(calibration_method_name(CalibrationMethod::kKl), "kl");
  EXPECT_FALSE(parse_calibration_method("MinMax"));
  EXPECT_FALSE(parse_calibration_method(""));
  EXPECT_FALSE(parse_calibration_method("entropy"));
}

TEST(CalibRangeCollector, MinMaxIsExactOverBatches) {
  Rng rng(1);
  std::vector<float> values(50000);
  for (float& v : values) v = static_cast<float>(rng.uniform() * 10.0 - 3.0);
  values[123] = -3.25f;
  values[45678] = 7.5f;
  const RangeCollector collector = collect(values, 1000);
  EXPECT_EQ(collector.count(), 50000);
  EXPECT_EQ(collector.min(), -3.25f);
  EXPECT_EQ(collector.max(), 7.5f);
  for (QuantTarget target : {kInt8, kInt16}) {
    const Range r = collector.range(CalibrationMethod::kMinMax, target);
    EXPECT_EQ(r.min, -3.25f);
    EXPECT_EQ(r.max, 7.5f);
  }
}

TEST(CalibRangeCollector, SkipsAndCountsNonFinite) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  RangeCollector collector;
  const std::vector<float> only_bad = {nan, inf};
  collector.add(only_bad);
  EXPECT_EQ(collector.count(), 0);
  EXPECT_EQ(collector.nonfinite_count(), 2);
  const std::vector<float> mixed = {1.0f, nan, -2.0f, inf, -inf, 0.0f, -0.0f};
  collector.add(mixed);
  EXPECT_EQ(collector.count(), 4);
  EXPECT_EQ(collector.zero_count(), 2);
  EXPECT_EQ(collector.nonfinite_count(), 5);
  EXPECT_EQ(collector.min(), -2.0f);
  EXPECT_EQ(collector.max(), 1.0f);
  for (CalibrationMethod m : kAllMethods) {
    const Range r = collector.range(m, kInt8);
    EXPECT_TRUE(std::isfinite(r.min) && std::isfinite(r.max)) << calibration_method_name(m);
    EXPECT_GE(r.min, -2.0f);
    EXPECT_LE(r.max, 1.0f);
  }
  EXPECT_EQ(collector.percentile(0), -2.0);
  EXPECT_EQ(collector.percentile(100), 1.0);
}

TEST(CalibRangeCollector, EmptyAndAllZeroGiveTheConvertersTinyRange) {
  RangeCollector empty;
  RangeCollector zeros;
  const std::vector<float> z(1000, 0.0f);
  zeros.add(z);
  zeros.add(z);
  EXPECT_EQ(zeros.count(), 2000);
  EXPECT_EQ(zeros.zero_count(), 2000);
  for (const RangeCollector* c : {&empty, &zeros}) {
    for (CalibrationMethod m : kAllMethods) {
      for (QuantTarget target : {kInt8, kInt16}) {
        const Range r = c->range(m, target);
        EXPECT_EQ(r.min, -1e-6f) << calibration_method_name(m);
        EXPECT_EQ(r.max, 1e-6f) << calibration_method_name(m);
      }
    }
  }
  // float(2e-6) / 255; zero point round(-128 + 127.49999) = 0.
  const QuantParamsResult p =
      choose_asymmetric_params(zeros.range(CalibrationMethod::kMinMax, kInt8), -128, 127);
  EXPECT_FLOAT_EQ(p.scale, 7.843137e-9f);
  EXPECT_EQ(p.zero_point, 0);
}

TEST(CalibRangeCollector, RangeAlwaysContainsZeroAndIsNeverEmpty) {
  Rng rng(2);
  std::vector<float> positive(20000), negative(20000);
  for (float& v : positive) v = static_cast<float>(2.0 + 3.0 * rng.uniform());
  for (float& v : negative) v = static_cast<float>(-2.0 - 3.0 * std::fabs(rng.gaussian()));
  const RangeCollector pos = collect(positive), neg = collect(negative);
  RangeCollector constant;
  const std::vector<float> c(500, 0.75f);
  constant.add(c);
  for (CalibrationMethod m : kAllMethods) {
    for (QuantTarget target : {kInt8, kInt16}) {
      const Range rp = pos.range(m, target);
      EXPECT_EQ(rp.min, 0.0f) << calibration_method_name(m);
      EXPECT_GT(rp.max, 2.0f) << calibration_method_name(m);
      EXPECT_LE(rp.max, pos.max());
      const Range rn = neg.range(m, target);
      EXPECT_EQ(rn.max, 0.0f) << calibration_method_name(m);
      EXPECT_LT(rn.min, -2.0f) << calibration_method_name(m);
      EXPECT_GE(rn.min, neg.min());
      const Range rc = constant.range(m, target);
      EXPECT_EQ(rc.min, 0.0f) << calibration_method_name(m);
      EXPECT_EQ(rc.max, 0.75f) << calibration_method_name(m);
    }
  }
}

TEST(CalibRangeCollector, ExtremeMagnitudesStayFinite) {
  // A subnormal first batch, then the largest floats: the histogram grows by 2^277 in one step.
  RangeCollector collector;
  const std::vector<float> tiny = {1e-45f, -1e-45f, 0.0f};
  const std::vector<float> huge = {3e38f, -3e38f, 1.0f};
  collector.add(tiny);
  collector.add(huge);
  EXPECT_EQ(collector.min(), -3e38f);
  EXPECT_EQ(collector.max(), 3e38f);
  for (CalibrationMethod m : kAllMethods) {
    for (QuantTarget target : {kInt8, kInt16}) {
      const Range r = collector.range(m, target);
      EXPECT_TRUE(std::isfinite(r.min) && std::isfinite(r.max)) << calibration_method_name(m);
      EXPECT_LE(r.min, 0.0f);
      EXPECT_GT(r.max, 0.0f);
    }
  }
}

TEST(CalibPercentile, UniformWithFewOutliers) {
  Rng rng(3);
  std::vector<float> values(100000);
  for (float& v : values) v = static_cast<float>(rng.uniform());
  values.insert(values.end(), 5, 50.0f);
  const RangeCollector collector = collect(values, 10000);
  const Range minmax = collector.range(CalibrationMethod::kMinMax, kInt8);
  EXPECT_EQ(minmax.max, 50.0f);
  const Range r = collector.range(CalibrationMethod::kPercentile, kInt8);
  EXPECT_EQ(r.min, 0.0f);
  EXPECT_GT(r.max, 0.99f);
  EXPECT_LT(r.max, 1.0f + collector.bin_width(false));
  // p = 100 is minmax; a lower p clips more.
  EXPECT_EQ(collector.range(CalibrationMethod::kPercentile, kInt8, {.percentile = 100}).max, 50.0f);
  EXPECT_NEAR(collector.range(CalibrationMethod::kPercentile, kInt8, {.percentile = 90}).max, 0.9, 0.01);
}

TEST(CalibHistogram, GrowthKeepsExtremesAndPercentilesWithinABin) {
  Rng rng(4);
  std::vector<float> small(10000), large(10000), small_again(10000);
  for (float& v : small) v = static_cast<float>(rng.uniform() * 0.02 - 0.01);
  for (float& v : large) v = static_cast<float>(rng.uniform() * 400.0 - 100.0);
  for (float& v : small_again) v = static_cast<float>(rng.gaussian() * 0.001);
  RangeCollector growing, reverse;
  growing.add(small);
  const float small_max = *std::max_element(small.begin(), small.end());
  EXPECT_EQ(growing.max(), small_max);
  EXPECT_LE(growing.bin_width(false), 0.01 / 2048);  // fine while the range is small
  growing.add(large);
  growing.add(small_again);
  reverse.add(small_again);
  reverse.add(large);
  reverse.add(small);

  std::vector<float> all = small;
  all.insert(all.end(), large.begin(), large.end());
  all.insert(all.end(), small_again.begin(), small_again.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(growing.min(), all.front());
  EXPECT_EQ(growing.max(), all.back());
  EXPECT_EQ(growing.count(), 30000);
  for (double p : {0.01, 0.1, 1.0, 10.0, 25.0, 40.0, 50.0, 60.0, 75.0, 90.0, 99.0, 99.9, 99.99}) {
    const double rank = p / 100.0 * all.size();
    const double exact = all[static_cast<size_t>(std::max(0.0, std::ceil(rank) - 1))];
    const double width = growing.bin_width(exact < 0);
    EXPECT_NEAR(growing.percentile(p), exact, width) << "p=" << p;
    // Merging is exact: the order in which ranges arrive does not matter.
    EXPECT_EQ(growing.percentile(p), reverse.percentile(p)) << "p=" << p;
  }
  EXPECT_EQ(growing.bin_width(false), 512.0 / RangeCollector::kDefaultBinsPerSide);  // 300 -> 2^9
  EXPECT_EQ(growing.bin_width(true), 128.0 / RangeCollector::kDefaultBinsPerSide);   // 100 -> 2^7
}

TEST(CalibMse, ClipsLaplaceAndBeatsMinMax) {
  Rng rng(5);
  std::vector<float> values(1000000);
  for (float& v : values) v = static_cast<float>(rng.laplace());
  const RangeCollector collector = collect(values, 10000);
  const Range minmax = collector.range(CalibrationMethod::kMinMax, kInt8);
  const Range mse = collector.range(CalibrationMethod::kMse, kInt8);
  // Laplace(b = 1) with 256 levels: the analytic optimum clips at about 9.9 b (Banner et al., ACIQ), far
  // inside the extremes of a million samples (about +-13.8).
  EXPECT_LT(mse.max, 0.85f * minmax.max);
  EXPECT_GT(mse.min, 0.85f * minmax.min);
  EXPECT_NEAR(mse.max, 9.9, 1.0);
  EXPECT_NEAR(mse.min, -9.9, 1.0);
  const double mse_error = qdq_mse(values, mse), minmax_error = qdq_mse(values, minmax);
  EXPECT_LT(mse_error, 0.85 * minmax_error) << mse_error << " vs " << minmax_error;
}

TEST(CalibMse, UniformKeepsMinMaxExactly) {
  Rng rng(6);
  std::vector<float> values(100000);
  for (float& v : values) v = static_cast<float>(rng.uniform() * 4.0 - 1.0);
  const RangeCollector collector = collect(values);
  for (QuantTarget target : {kInt8, kInt16, QuantTarget::int8_symmetric()}) {
    const Range minmax = collector.range(CalibrationMethod::kMinMax, target);
    const Range mse = collector.range(CalibrationMethod::kMse, target);
    EXPECT_EQ(mse.min, minmax.min);
    EXPECT_EQ(mse.max, minmax.max);
  }
}

TEST(CalibMse, Int16KeepsTheGaussiansRange) {
  Rng rng(7);
  std::vector<float> values(100000);
  for (float& v : values) v = static_cast<float>(rng.gaussian());
  const RangeCollector collector = collect(values);
  // 65535 levels make rounding noise negligible next to clipping any sample: nothing worth clipping.
  const Range mse16 = collector.range(CalibrationMethod::kMse, kInt16);
  EXPECT_EQ(mse16.min, collector.min());
  EXPECT_EQ(mse16.max, collector.max());
  // With 256 levels the optimum is near 4 sigma, inside the extremes (about +-4.4 sigma here).
  const Range mse8 = collector.range(CalibrationMethod::kMse, kInt8);
  EXPECT_LT(mse8.max, collector.max());
  EXPECT_GT(mse8.max, 3.5f);
  EXPECT_LT(qdq_mse(values, mse8), qdq_mse(values, collector.range(CalibrationMethod::kMinMax, kInt8)));
}

TEST(CalibKl, ClipsLaplaceAndBeatsMinMax) {
  Rng rng(8);
  std::vector<float> values(1000000);
  for (float& v : values) v = static_cast<float>(rng.laplace());
  const RangeCollector collector = collect(values, 10000);
  const Range minmax = collector.range(CalibrationMethod::kMinMax, kInt8);
  const Range kl = collector.range(CalibrationMethod::kKl, kInt8);
  // KL divergence is not squared error: it clips less than kMse here, but still well inside the extremes.
  EXPECT_LT(kl.max, 0.95f * minmax.max);
  EXPECT_GT(kl.min, 0.95f * minmax.min);
  EXPECT_LT(qdq_mse(values, kl), 0.95 * qdq_mse(values, minmax));
}

TEST(CalibKl, UniformStaysNearMinMax) {
  Rng rng(9);
  std::vector<float> values(100000);
  for (float& v : values) v = static_cast<float>(rng.uniform() * 4.0 - 1.0);
  const RangeCollector collector = collect(values);
  const Range kl = collector.range(CalibrationMethod::kKl, kInt8);
  EXPECT_NEAR(kl.min, collector.min(), 0.01);
  EXPECT_NEAR(kl.max, collector.max(), 0.03);
}

TEST(CalibKl, ReluDataStaysOneSidedAndBeatsMinMax) {
  Rng rng(10);
  std::vector<float> values(1000000);
  for (float& v : values) v = static_cast<float>(std::max(0.0, rng.gaussian()));
  const RangeCollector collector = collect(values, 10000);
  const Range kl = collector.range(CalibrationMethod::kKl, kInt8);
  const Range minmax = collector.range(CalibrationMethod::kMinMax, kInt8);
  EXPECT_EQ(kl.min, 0.0f);
  EXPECT_LT(kl.max, collector.max());
  EXPECT_GT(kl.max, 3.5f);
  EXPECT_LT(qdq_mse(values, kl), qdq_mse(values, minmax));
  // int16: more levels than histogram bins, nothing to gain from clipping.
  const Range kl16 = collector.range(CalibrationMethod::kKl, kInt16);
  EXPECT_EQ(kl16.max, collector.max());
}

TEST(CalibParams, AsymmetricMatchesTflite) {
  // scale = (max - min) / 255 in float; zero point = round(-128 - min / scale).
  QuantParamsResult p = choose_asymmetric_params({-1.0f, 3.0f}, -128, 127);
  EXPECT_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -64);  // round(-128 + 63.75)
  p = choose_asymmetric_params({0.0f, 1.0f}, -128, 127);
  EXPECT_EQ(p.scale, 1.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -128);
  p = choose_asymmetric_params({0.5f, 2.0f}, -128, 127);  // widened to [0, 2]
  EXPECT_EQ(p.scale, 2.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -128);
  p = choose_asymmetric_params({-3.0f, -1.0f}, -128, 127);  // widened to [-3, 0]
  EXPECT_EQ(p.scale, 3.0f / 255.0f);
  EXPECT_EQ(p.zero_point, 127);
  p = choose_asymmetric_params({-0.5f, 0.25f}, -128, 127);
  EXPECT_EQ(p.scale, 0.75f / 255.0f);
  EXPECT_EQ(p.zero_point, 42);  // round(-128 + 170 - 3e-6)
  // float(2/255) is above 2/255, so -128 + 1/scale = -0.5000075 rounds away from zero.
  p = choose_asymmetric_params({-1.0f, 1.0f}, -128, 127);
  EXPECT_EQ(p.scale, 2.0f / 255.0f);
  EXPECT_EQ(p.zero_point, -1);
  p = choose_asymmetric_params({-1.0f, 3.0f}, -32768, 32767);
  EXPECT_EQ(p.scale, 4.0f / 65535.0f);
  EXPECT_EQ(p.zero_point, -16384);                        // round(-32768 + 16383.75)
  p = choose_asymmetric_params({0.0f, 0.0f}, -128, 127);  // widened by 1e-6 on both sides
  EXPECT_GT(p.scale, 0.0f);
  EXPECT_EQ(p.scale, static_cast<float>(2e-6) / 255.0f);
}

TEST(CalibParams, SymmetricInt16) {
  QuantParamsResult p = choose_symmetric_params(3.0f, 32767);
  EXPECT_EQ(p.scale, 3.0f / 32767.0f);
  EXPECT_EQ(p.zero_point, 0);
  p = choose_symmetric_params(0.0f, 32767);
  EXPECT_EQ(p.scale, static_cast<float>(1e-6) / 32767.0f);
}

TEST(CalibParams, PerChannelScales) {
  // OHWI filter [3][1][1][2], channels along axis 0; channel 1 is all zeros.
  const float w[] = {0.5f, -1.27f, 0.0f, 0.0f, 2.54f, 1.0f};
  const int32_t shape[] = {3, 1, 1, 2};
  const std::vector<float> scales = per_channel_scales(w, shape, 0);
  ASSERT_EQ(scales.size(), 3u);
  EXPECT_EQ(scales[0], 1.27f / 127.0f);
  EXPECT_EQ(scales[2], 2.54f / 127.0f);
  // The converter's smallest range +-5e-7: float(1e-6) / 254 = 3.937e-9, never 0.
  EXPECT_EQ(scales[1], 2.0f * static_cast<float>(5e-7) / 254.0f);
  EXPECT_FLOAT_EQ(scales[1], 3.937008e-9f);
  // Depthwise [1][1][2][3], channels along the last axis.
  const float dw[] = {1.0f, -2.0f, 0.0f, -3.0f, 0.5f, 0.0f};
  const int32_t dw_shape[] = {1, 1, 2, 3};
  const std::vector<float> dw_scales = per_channel_scales(dw, dw_shape, 3);
  ASSERT_EQ(dw_scales.size(), 3u);
  EXPECT_EQ(dw_scales[0], 3.0f / 127.0f);
  EXPECT_EQ(dw_scales[1], 2.0f / 127.0f);
  EXPECT_EQ(dw_scales[2], scales[1]);
  EXPECT_TRUE(per_channel_scales(dw, dw_shape, 4).empty());
  EXPECT_TRUE(per_channel_scales(dw, dw_shape, -1).empty());
}

TEST(CalibParams, QuantizeSymmetricRoundsLikeTflite) {
  // Channel 0 has scale 1: round half away from zero, clamp to +-127.
  const float w[] = {2.5f, -2.5f, 0.5f, -0.5f, 126.6f, 200.0f, -300.0f, 1.49f,  // channel 0
                     0.0f, 0.0f,  0.0f, 0.0f,  0.0f,   0.0f,   0.0f,    0.0f};  // channel 1
  const int32_t shape[] = {2, 8};
  const std::vector<float> scales = {1.0f,
                                     per_channel_scales(w + 8, std::span<const int32_t>(shape + 1, 1), 0)[0]};
  const std::vector<int8_t> q = quantize_symmetric(w, shape, 0, scales);
  const std::vector<int8_t> expected = {3, -3, 1, -1, 127, 127, -127, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(q, expected);

  // The converter multiplies by float(1 / scale) instead of dividing: here w * inv = 71.49999 -> 71 where
  // w / scale = 71.5 would round to 72.
  const float w2[] = {0x1.6c4f3ap-3f, 0x1.438c3p-2f};
  const int32_t shape2[] = {1, 2};
  const std::vector<float> s2 = per_channel_scales(w2, shape2, 0);
  ASSERT_EQ(s2.size(), 1u);
  EXPECT_EQ(std::round(w2[0] / s2[0]), 72.0f);
  EXPECT_EQ(quantize_symmetric(w2, shape2, 0, s2), (std::vector<int8_t>{71, 127}));

  EXPECT_TRUE(quantize_symmetric(w2, shape2, 0, std::vector<float>{1.0f, 1.0f}).empty());
  EXPECT_TRUE(quantize_symmetric(w2, shape2, 2, s2).empty());
}

}  // namespace
}  // namespace edgeinfer::compiler::quantize
