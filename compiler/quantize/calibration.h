// Calibration math of the post-training quantizer: per-tensor value statistics, clipping-range methods, and
// TFLite's quantization parameters. Host only (C++20).
//
// The quantizer runs the float model over calibration samples and feeds each activation tensor's values to a
// RangeCollector of its own, then asks it for a clipping range; choose_asymmetric_params() (int8) or
// choose_symmetric_params() (int16) turn the range into scale and zero point as TFLite's converter does.
//
//   RangeCollector collector;
//   for (const auto& sample : samples) collector.add(activation_values(sample));
//   Range r = collector.range(CalibrationMethod::kMse, QuantTarget::int8_asymmetric());
//   QuantParamsResult p = choose_asymmetric_params(r, -128, 127);
//
// Histogram: two magnitude histograms, one for x > 0 and one for x < 0, each of `bins_per_side` equal bins
// over (0, 2^e]. Exact zeros are counted apart (they quantize exactly, so they must neither blur bin 0 nor
// count as rounding noise), as are NaN/Inf (skipped). When a batch holds a magnitude above 2^e, the side's
// range grows to the next power of two that covers it (e += k) and each group of 2^k neighbouring bins
// merges into one. Merging is exact, so data seen earlier keeps exactly the resolution later data gets,
// whatever order the batches come in; bin widths are powers of two, so binning is exact arithmetic. A side's
// largest value always lies in the upper half of its bins, and a one-sided tensor (post-ReLU) gets all of
// them. Memory: 8 bytes per bin per side actually seen (32 KiB per side by default), fixed after the first
// value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace edgeinfer::compiler::quantize {

enum class CalibrationMethod {
  kMinMax,      // exact observed min/max (TensorFlow's converter default)
  kPercentile,  // the (100-p)-th and p-th percentiles
  kMse,         // least expected squared error (clipping + rounding noise step^2/12); keeps min/max unless
                // clipping lowers that error by more than 2%
  kKl,          // TensorRT-style entropy calibration (least KL divergence); per side for asymmetric targets
};

// "minmax", "percentile", "mse", "kl".
std::string_view calibration_method_name(CalibrationMethod method);
// Exact names as above; nullopt otherwise.
std::optional<CalibrationMethod> parse_calibration_method(std::string_view name);

struct Range {
  float min = 0.0f;
  float max = 0.0f;
};

// How a range will be quantized: levels qmin..qmax; `symmetric` means zero point 0 and scale max|x|/qmax.
struct QuantTarget {
  int qmin = -128;
  int qmax = 127;
  bool symmetric = false;

  static constexpr QuantTarget int8_asymmetric() { return {-128, 127, false}; }
  static constexpr QuantTarget int16_symmetric() { return {-32767, 32767, true}; }
  static constexpr QuantTarget int8_symmetric() { return {-127, 127, true}; }
};

struct CalibrationOptions {
  // kPercentile clips at the (100-p)-th and p-th percentiles; clamped to [50, 100].
  double percentile = 99.99;
};

class RangeCollector {
 public:
  static constexpr int kDefaultBinsPerSide = 4096;

  // `bins_per_side` is rounded up to a power of two in [256, 2^20].
  explicit RangeCollector(int bins_per_side = kDefaultBinsPerSide);

  // One sample's values. NaN and +-Inf are skipped and counted in nonfinite_count().
  void add(std::span<const float> values);

  // The clipping range for `method`, for values quantized as `target`. Always min <= 0 <= max (TFLite needs
  // 0 exactly representable) and never beyond the observed min/max except for that. A range narrower than
  // 1e-6 (an all-zero or constant tiny tensor, or no values at all) is widened by 1e-6 on both sides, as
  // TensorFlow's converter does, so min < max: an all-zero tensor gives [-1e-6, 1e-6].
  // For a symmetric target only max(|min|, |max|) of the result matters; methods that clip return the
  // observed range cut to [-t, t].
  Range range(CalibrationMethod method, const QuantTarget& target,
              const CalibrationOptions& options = {}) const;

  int64_t count() const { return count_; }  // finite values added (zeros included)
  int64_t zero_count() const { return zero_count_; }
  int64_t nonfinite_count() const { return nonfinite_count_; }
  // Exact observed extremes of the finite values; 0 while count() == 0.
  float min() const { return count_ > 0 ? min_ : 0.0f; }
  float max() const { return count_ > 0 ? max_ : 0.0f; }

  // The p-th percentile (p in [0, 100]) from the histogram, linear within a bin, clamped to [min, max];
  // accurate to one bin width of the side it falls on. 0 while count() == 0.
  double percentile(double p) const;
  // Current bin width of the positive (or negative) side; 0 while that side has no values.
  double bin_width(bool negative) const;

 private:
  struct Side {
    std::vector<uint64_t> bins;  // empty until the side's first value
    int exponent = 0;            // bins cover magnitudes (0, 2^exponent]
    double max_magnitude = 0.0;  // exact largest |x| seen on this side
    uint64_t max_count = 0;      // values with exactly that magnitude
    uint64_t total = 0;
  };

  void grow_to_cover(Side& side, double magnitude) const;
  double side_width(const Side& side) const;

  // Per-method magnitude thresholds; see calibration.cc.
  Range minmax_range() const;
  Range percentile_range(double p) const;
  Range mse_range(const QuantTarget& target) const;
  Range kl_range(const QuantTarget& target) const;

  int bins_per_side_;
  Side positive_;
  Side negative_;
  int64_t count_ = 0;
  int64_t zero_count_ = 0;
  int64_t nonfinite_count_ = 0;
  float min_ = 0.0f;
  float max_ = 0.0f;
};

// ---- Quantization parameters, exactly as TensorFlow's converter computes them ----

struct QuantParamsResult {
  float scale = 0.0f;
  int32_t zero_point = 0;
};

// Asymmetric (activations): the range is widened to contain 0, and by 1e-6 on both sides if narrower than
// 1e-6 (the converter's calibration sanity check, so scale is never 0); scale = (max - min) / (qmax - qmin)
// in float; zero point = round_half_away(qmin - min / scale), clamped to [qmin, qmax].
QuantParamsResult choose_asymmetric_params(Range range, int qmin, int qmax);

// Symmetric (int16 activations): scale = max_abs / qmax in float, zero point 0. A max_abs below 5e-7 is
// widened by 1e-6 as above.
QuantParamsResult choose_symmetric_params(float max_abs, int qmax);

// Per-channel symmetric weights (zero point 0): one scale per index of `channel_axis` of `shape` (row-major
// `weights`), max|w| of the channel / qmax in float. A channel whose max|w| is at most 5e-7 (all zeros) gets
// the converter's smallest range, +-5e-7: scale float(1e-6) / (2 * qmax), 3.937e-9 for int8, never 0.
// Empty when `channel_axis` or `shape` is invalid.
std::vector<float> per_channel_scales(const float* weights, std::span<const int32_t> shape, int channel_axis,
                                      int qmax = 127);

// Quantizes `weights` with per-channel `scales` as the converter does: multiplies by the float inverse
// float(1.0 / scale) (not a division), rounds half away from zero, clamps to [-qmax, qmax]. Empty when the
// arguments do not fit each other (axis, scales.size() != channels, qmax outside 1..127).
std::vector<int8_t> quantize_symmetric(const float* weights, std::span<const int32_t> shape, int channel_axis,
                                       std::span<const float> scales, int qmax = 127);

}  // namespace edgeinfer::compiler::quantize
