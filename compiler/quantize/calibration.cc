#include "compiler/quantize/calibration.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

namespace edgeinfer::compiler::quantize {

namespace {

// TensorFlow's converter: calibrated ranges narrower than this are widened by it on both sides.
constexpr double kNearZeroTolerance = 1.0e-6;
// ...and per-channel weight ranges this narrow become +-kNearZeroTolerance/2 (ExpandVerySmallRange).
constexpr double kSmallestHalfRange = kNearZeroTolerance / 2;

// kMse keeps the observed range unless clipping lowers the expected error by more than this: a gain that
// small is within what the calibration sample can tell, and clipping then risks more on unseen data.
constexpr double kMseMinGain = 0.02;
// kMse searches all pairs of candidate ends up to this many, else a coarse grid refined around its best.
constexpr int64_t kMseFullGrid = int64_t{1} << 16;
constexpr int kMseCoarseCandidates = 512;
// kKl: a side of an asymmetric range left with fewer steps than this keeps its observed extreme (comparing
// distributions over a handful of levels says little, and that side holds few values anyway).
constexpr int kKlMinLevels = 16;
constexpr int kKlMaxSplitRounds = 8;
constexpr int64_t kKlCoarseCandidates = 256;

double xlogx(double x) {
  return x > 0 ? x * std::log(x) : 0.0;
}

// Contains 0 and is never narrower than the converter allows (see RangeCollector::range()).
Range finalize(double lo, double hi) {
  lo = lo < 0 ? lo : 0.0;  // also turns -0 into 0
  hi = hi > 0 ? hi : 0.0;
  if (hi - lo < kNearZeroTolerance) {
    lo -= kNearZeroTolerance;
    hi += kNearZeroTolerance;
  }
  return {static_cast<float>(lo), static_cast<float>(hi)};
}

int last_nonzero_bin(const std::vector<uint64_t>& bins) {
  for (int j = static_cast<int>(bins.size()) - 1; j >= 0; --j) {
    if (bins[j] != 0) return j;
  }
  return -1;
}

// One side's magnitude histogram as the error model sees it: values uniform within a bin, the top bin cut at
// the exact largest magnitude.
class SideModel {
 public:
  SideModel(const std::vector<uint64_t>& bins, double width, double max_magnitude)
      : bins_(bins), width_(width), max_magnitude_(max_magnitude), top_(last_nonzero_bin(bins)) {
    // Suffix sums from bin j up: count, count * center, count * (center^2 + in-bin variance).
    s0_.assign(top_ + 2, 0.0);
    s1_.assign(top_ + 2, 0.0);
    s2_.assign(top_ + 2, 0.0);
    for (int j = top_; j >= 0; --j) {
      const double n = static_cast<double>(bins_[j]);
      const double lo = lower(j), hi = upper(j);
      const double c = 0.5 * (lo + hi), v = (hi - lo) * (hi - lo) / 12.0;
      s0_[j] = s0_[j + 1] + n;
      s1_[j] = s1_[j + 1] + n * c;
      s2_[j] = s2_[j + 1] + n * (c * c + v);
    }
  }

  bool empty() const { return top_ < 0; }
  double max_magnitude() const { return max_magnitude_; }

  // Squared error of clipping this side's magnitudes at t, and how many values lie above t.
  void clip(double t, double* error, double* above) const {
    *error = 0.0;
    *above = 0.0;
    if (top_ < 0 || t >= max_magnitude_) return;
    const int k = std::min(top_, static_cast<int>(t / width_));
    *error = s2_[k + 1] - 2.0 * t * s1_[k + 1] + t * t * s0_[k + 1];
    *above = s0_[k + 1];
    const double lo = lower(k), hi = upper(k);
    if (hi > t && hi > lo) {  // the part of bin k above t
      const double n = static_cast<double>(bins_[k]);
      *error += n * (hi - t) * (hi - t) * (hi - t) / (3.0 * (hi - lo));
      *above += n * (hi - t) / (hi - lo);
    }
    *error = std::max(*error, 0.0);
  }

  // Clipping thresholds worth trying: every bin edge below the largest magnitude, then that magnitude.
  std::vector<double> candidates() const {
    std::vector<double> t;
    for (int j = 0; j <= top_; ++j) {
      if (j * width_ < max_magnitude_) t.push_back(j * width_);
    }
    t.push_back(max_magnitude_);
    return t;
  }

 private:
  double lower(int j) const { return std::min(j * width_, max_magnitude_); }
  double upper(int j) const { return std::min((j + 1) * width_, max_magnitude_); }

  const std::vector<uint64_t>& bins_;
  double width_;
  double max_magnitude_;
  int top_;
  std::vector<double> s0_, s1_, s2_;
};

// TensorRT-style entropy calibration on one magnitude histogram: for a candidate of i >= levels bins kept,
// P = bins [0, i) with everything above folded into bin i-1, Q = those bins (without the folded outliers)
// merged into `levels` groups and spread back evenly over each group's nonzero bins; the threshold is the
// edge of the i with least KL(P || Q). A group-wise closed form with prefix sums makes each candidate
// O(levels) instead of O(i).
class KlSearch {
 public:
  KlSearch(const std::vector<uint64_t>& bins, int levels) : levels_(levels) {
    const int top = last_nonzero_bin(bins);
    n_ = top + 1;
    h_.resize(n_);
    prefix_.assign(n_ + 1, 0.0);
    prefix_xlogx_.assign(n_ + 1, 0.0);
    prefix_nonzero_.assign(n_ + 1, 0.0);
    for (int64_t j = 0; j < n_; ++j) {
      h_[j] = static_cast<double>(bins[j]);
      prefix_[j + 1] = prefix_[j] + h_[j];
      prefix_xlogx_[j + 1] = prefix_xlogx_[j] + xlogx(h_[j]);
      prefix_nonzero_[j + 1] = prefix_nonzero_[j] + (h_[j] > 0 ? 1.0 : 0.0);
    }
  }

  int64_t bins_used() const { return n_; }

  // KL(P || Q) for i bins kept; infinity where Q is 0 but P is not (the outliers land on an empty group).
  double divergence(int64_t i) const {
    const double total = prefix_[n_];
    const double outliers = total - prefix_[i];
    double sum_xlogx = 0.0;  // over P's bins, h' log h'
    double sum_hlogq = 0.0;  // over P's bins, h' log q
    for (int64_t g = 0; g < levels_; ++g) {
      const int64_t s = (g * i + levels_ - 1) / levels_;
      const int64_t e = ((g + 1) * i + levels_ - 1) / levels_;
      const double group = prefix_[e] - prefix_[s];
      double nonzero = prefix_nonzero_[e] - prefix_nonzero_[s];
      double mass = group;
      double group_xlogx = prefix_xlogx_[e] - prefix_xlogx_[s];
      if (g == levels_ - 1 && outliers > 0) {  // bin i-1 carries the outliers, in P only
        const double last = h_[i - 1];
        if (last == 0) nonzero += 1;
        group_xlogx += xlogx(last + outliers) - xlogx(last);
        mass += outliers;
      }
      if (mass == 0) continue;
      if (group == 0) return std::numeric_limits<double>::infinity();
      sum_xlogx += group_xlogx;
      sum_hlogq += mass * std::log(group / nonzero);
    }
    // KL = sum P log(P/Q) with P = h'/total and Q = q/(total - outliers).
    return (sum_xlogx - xlogx(total) - sum_hlogq + total * std::log(total - outliers)) / total;
  }

 private:
  int64_t levels_;
  int64_t n_;
  std::vector<double> h_, prefix_, prefix_xlogx_, prefix_nonzero_;
};

// The magnitude threshold of the least divergence: every kKlCoarseCandidates-th candidate, then all
// candidates around the best of those (the divergence is close to smooth in i at that scale).
double kl_threshold(const std::vector<uint64_t>& bins, double width, double max_magnitude, int levels) {
  if (last_nonzero_bin(bins) < 0) return 0.0;
  const KlSearch search(bins, levels);
  const int64_t n = search.bins_used();
  if (levels < 1 || n <= levels) return max_magnitude;  // every bin gets a level of its own
  int64_t best_i = n;
  double best = search.divergence(n);
  const auto scan = [&](int64_t from, int64_t to, int64_t stride) {
    from = std::max<int64_t>(from, levels);
    to = std::min(to, n);
    for (int64_t i = from; i <= to; i += stride) {
      const double kl = search.divergence(i);
      if (kl < best) {
        best = kl;
        best_i = i;
      }
    }
  };
  const int64_t stride = std::max<int64_t>(1, (n - levels) / kKlCoarseCandidates);
  scan(levels, n, stride);
  if (stride > 1) scan(best_i - stride, best_i + stride, 1);
  return best_i == n ? max_magnitude : std::min(max_magnitude, static_cast<double>(best_i) * width);
}

bool valid_shape(std::span<const int32_t> shape, int channel_axis, int64_t* channels, int64_t* inner,
                 int64_t* total) {
  if (shape.empty() || channel_axis < 0 || channel_axis >= static_cast<int>(shape.size())) return false;
  *total = 1;
  *inner = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0) return false;
    *total *= shape[d];
    if (static_cast<int>(d) > channel_axis) *inner *= shape[d];
  }
  *channels = shape[channel_axis];
  return true;
}

}  // namespace

std::string_view calibration_method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMinMax: return "minmax";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kMse: return "mse";
    case CalibrationMethod::kKl: return "kl";
  }
  return "unknown";
}

std::optional<CalibrationMethod> parse_calibration_method(std::string_view name) {
  for (CalibrationMethod m : {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile,
                              CalibrationMethod::kMse, CalibrationMethod::kKl}) {
    if (name == calibration_method_name(m)) return m;
  }
  return std::nullopt;
}

// ---- RangeCollector ----

RangeCollector::RangeCollector(int bins_per_side) {
  int n = 256;
  while (n < bins_per_side && n < (1 << 20)) n *= 2;
  bins_per_side_ = n;
}

double RangeCollector::side_width(const Side& side) const {
  if (side.bins.empty()) return 0.0;
  return std::ldexp(1.0, side.exponent) / bins_per_side_;  // a power of two
}

double RangeCollector::bin_width(bool negative) const {
  return side_width(negative ? negative_ : positive_);
}

void RangeCollector::grow_to_cover(Side& side, double magnitude) const {
  if (magnitude <= 0) return;
  int e = 0;
  const double fraction = std::frexp(magnitude, &e);  // magnitude = fraction * 2^e, fraction in [0.5, 1)
  if (fraction == 0.5) --e;                           // exactly 2^(e-1)
  if (side.bins.empty()) {
    side.bins.assign(bins_per_side_, 0);
    side.exponent = e;
    return;
  }
  if (e <= side.exponent) return;
  // Bins [j*w, (j+1)*w) lie inside new bin j >> shift, so merging loses nothing beyond the new width.
  const int shift = std::min(e - side.exponent, 62);
  std::vector<uint64_t> merged(bins_per_side_, 0);
  for (int j = 0; j < bins_per_side_; ++j) merged[static_cast<uint64_t>(j) >> shift] += side.bins[j];
  side.bins = std::move(merged);
  side.exponent = e;
}

void RangeCollector::add(std::span<const float> values) {
  // Pass 1: extremes and counts of the finite values, branch-free so that it runs at memory speed.
  float batch_min = std::numeric_limits<float>::infinity();
  float batch_max = -std::numeric_limits<float>::infinity();
  int64_t nonfinite = 0, zeros = 0;
  for (const float v : values) {
    const bool finite = (std::bit_cast<uint32_t>(v) & 0x7f800000u) != 0x7f800000u;
    nonfinite += !finite;
    zeros += v == 0.0f;
    batch_min = std::min(batch_min, finite ? v : batch_min);
    batch_max = std::max(batch_max, finite ? v : batch_max);
  }
  nonfinite_count_ += nonfinite;
  const int64_t finite = static_cast<int64_t>(values.size()) - nonfinite;
  if (finite == 0) return;
  if (batch_min == 0.0f) batch_min = 0.0f;  // -0 as 0, so min/max never report -0
  if (batch_max == 0.0f) batch_max = 0.0f;
  const double positive_max = std::max(0.0, static_cast<double>(batch_max));
  const double negative_max = std::max(0.0, -static_cast<double>(batch_min));

  // Grow first so that every value of the batch is binned at the final resolution.
  grow_to_cover(positive_, positive_max);
  grow_to_cover(negative_, negative_max);

  // Pass 2: bin by sign. Zeros and NaN/Inf go to scratch slots instead of taking a branch (post-ReLU tensors
  // are half zeros, which would mispredict); rotating over 8 slots keeps their increments independent.
  uint64_t scratch[8] = {};
  uint64_t* const bins[3] = {positive_.bins.empty() ? scratch : positive_.bins.data(),
                             negative_.bins.empty() ? scratch : negative_.bins.data(), scratch};
  const double scale[3] = {positive_.bins.empty() ? 0.0 : 1.0 / side_width(positive_),
                           negative_.bins.empty() ? 0.0 : 1.0 / side_width(negative_), 0.0};
  const int64_t last = bins_per_side_ - 1;
  uint64_t positive_hits = 0, negative_hits = 0;  // values at the batch's extreme magnitudes
  int64_t negatives = 0;
  int64_t i = 0;
  for (const float v : values) {
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    const bool binned = (bits & 0x7f800000u) != 0x7f800000u && v != 0.0f;
    const int side = binned ? static_cast<int>(bits >> 31) : 2;
    const double magnitude = binned ? std::fabs(static_cast<double>(v)) : 0.0;
    // magnitude * scale is exact (scale is a power of two) and at most bins_per_side_.
    const int64_t j = std::min(static_cast<int64_t>(magnitude * scale[side]), last);
    ++bins[side][side == 2 ? (i & 7) : j];
    ++i;
    positive_hits += side == 0 && magnitude == positive_max;
    negative_hits += side == 1 && magnitude == negative_max;
    negatives += side == 1;
  }
  const uint64_t totals[2] = {static_cast<uint64_t>(finite - zeros - negatives),
                              static_cast<uint64_t>(negatives)};
  const double batch_extreme[2] = {positive_max, negative_max};
  const uint64_t extreme_hits[2] = {positive_hits, negative_hits};

  Side* const sides[2] = {&positive_, &negative_};
  for (int k = 0; k < 2; ++k) {
    Side& side = *sides[k];
    side.total += totals[k];
    if (batch_extreme[k] > side.max_magnitude) {
      side.max_magnitude = batch_extreme[k];
      side.max_count = extreme_hits[k];
    } else if (batch_extreme[k] == side.max_magnitude && batch_extreme[k] > 0) {
      side.max_count += extreme_hits[k];
    }
  }
  zero_count_ += zeros;
  if (count_ == 0) {
    min_ = batch_min;
    max_ = batch_max;
  } else {
    min_ = std::min(min_, batch_min);
    max_ = std::max(max_, batch_max);
  }
  count_ += finite;
}

double RangeCollector::percentile(double p) const {
  if (count_ == 0) return 0.0;
  p = std::clamp(p, 0.0, 100.0);
  const double rank = p / 100.0 * static_cast<double>(count_);
  const auto clamp = [&](double x) {
    return std::clamp(x, static_cast<double>(min_), static_cast<double>(max_));
  };
  double cumulative = 0.0;

  // Values in increasing order: negative bins from the largest magnitude down, zeros, positive bins up.
  if (!negative_.bins.empty()) {
    const double w = side_width(negative_);
    for (int j = bins_per_side_ - 1; j >= 0; --j) {
      const double c = static_cast<double>(negative_.bins[j]);
      if (c == 0) continue;
      const double lo = std::min(j * w, negative_.max_magnitude);
      const double hi = std::min((j + 1) * w, negative_.max_magnitude);
      if (cumulative + c >= rank) return clamp(-hi + (hi - lo) * (rank - cumulative) / c);
      cumulative += c;
    }
  }
  if (zero_count_ > 0) {
    cumulative += static_cast<double>(zero_count_);
    if (cumulative >= rank) return clamp(0.0);
  }
  if (!positive_.bins.empty()) {
    const double w = side_width(positive_);
    for (int j = 0; j < bins_per_side_; ++j) {
      const double c = static_cast<double>(positive_.bins[j]);
      if (c == 0) continue;
      const double lo = std::min(j * w, positive_.max_magnitude);
      const double hi = std::min((j + 1) * w, positive_.max_magnitude);
      if (cumulative + c >= rank) return clamp(lo + (hi - lo) * (rank - cumulative) / c);
      cumulative += c;
    }
  }
  return max_;
}

Range RangeCollector::range(CalibrationMethod method, const QuantTarget& target,
                            const CalibrationOptions& options) const {
  if (count_ == 0) return finalize(0.0, 0.0);
  switch (method) {
    case CalibrationMethod::kMinMax: return minmax_range();
    case CalibrationMethod::kPercentile: return percentile_range(options.percentile);
    case CalibrationMethod::kMse: return mse_range(target);
    case CalibrationMethod::kKl: return kl_range(target);
  }
  return minmax_range();
}

Range RangeCollector::minmax_range() const {
  return finalize(min_, max_);
}

Range RangeCollector::percentile_range(double p) const {
  p = std::clamp(p, 50.0, 100.0);
  return finalize(percentile(100.0 - p), percentile(p));
}

// Expected squared error of quantizing the collected values with ends [-a, b] (a, b magnitudes) and `steps`
// steps: clipping error of the values outside, plus uniform rounding noise step^2/12 for each nonzero value
// inside (zeros are exact). Both ends are searched over the bin edges of their side.
Range RangeCollector::mse_range(const QuantTarget& target) const {
  const SideModel positive(positive_.bins, side_width(positive_), positive_.max_magnitude);
  const SideModel negative(negative_.bins, side_width(negative_), negative_.max_magnitude);
  const double nonzero = static_cast<double>(positive_.total + negative_.total);
  const double steps = static_cast<double>(target.qmax) - target.qmin;
  if (nonzero == 0 || steps <= 0) return minmax_range();

  // Values at an end kept at the observed extreme land exactly on a level: no rounding noise (this keeps
  // the model from preferring to clip point masses, e.g. binary or constant tensors, by a hair).
  const auto exact = [&](double a, double b) {
    return (a >= negative_.max_magnitude ? static_cast<double>(negative_.max_count) : 0.0) +
           (b >= positive_.max_magnitude ? static_cast<double>(positive_.max_count) : 0.0);
  };
  const auto cost = [&](double a, double b, double step) {
    double ea, na, eb, nb;
    negative.clip(a, &ea, &na);
    positive.clip(b, &eb, &nb);
    return ea + eb + step * step / 12.0 * std::max(0.0, nonzero - na - nb - exact(a, b));
  };

  if (target.symmetric) {
    // One threshold t for both sides; step = 2t / steps.
    std::vector<double> ts = positive.candidates();
    const std::vector<double> tn = negative.candidates();
    ts.insert(ts.end(), tn.begin(), tn.end());
    const double max_abs = std::max(positive.max_magnitude(), negative.max_magnitude());
    const double minmax_cost = cost(max_abs, max_abs, 2.0 * max_abs / steps);
    double best_t = max_abs, best_cost = minmax_cost;
    for (double t : ts) {
      if (t <= 0 || t > max_abs) continue;
      const double c = cost(t, t, 2.0 * t / steps);
      if (c < best_cost) {
        best_cost = c;
        best_t = t;
      }
    }
    if (best_cost > (1.0 - kMseMinGain) * minmax_cost) return minmax_range();
    return finalize(std::max<double>(min_, -best_t), std::min<double>(max_, best_t));
  }

  // Asymmetric: precompute each side's clipping error per candidate, then search pairs.
  struct Table {
    std::vector<double> t, error, above;
  };
  const auto table = [](const SideModel& side) {
    Table tab;
    tab.t = side.empty() ? std::vector<double>{0.0} : side.candidates();
    tab.error.resize(tab.t.size());
    tab.above.resize(tab.t.size());
    for (size_t i = 0; i < tab.t.size(); ++i) side.clip(tab.t[i], &tab.error[i], &tab.above[i]);
    return tab;
  };
  const Table ta = table(negative), tb = table(positive);
  const int64_t na = static_cast<int64_t>(ta.t.size()), nb = static_cast<int64_t>(tb.t.size());
  const auto pair_cost = [&](int64_t i, int64_t j) {
    const double step = (ta.t[i] + tb.t[j]) / steps;
    const double inside = nonzero - ta.above[i] - tb.above[j] - exact(ta.t[i], tb.t[j]);
    return ta.error[i] + tb.error[j] + step * step / 12.0 * std::max(0.0, inside);
  };
  const double minmax_cost = pair_cost(na - 1, nb - 1);
  int64_t best_i = na - 1, best_j = nb - 1;
  double best_cost = minmax_cost;
  const auto search = [&](int64_t i0, int64_t i1, int64_t si, int64_t j0, int64_t j1, int64_t sj) {
    i0 = std::max<int64_t>(i0, 0), i1 = std::min(i1, na - 1);
    j0 = std::max<int64_t>(j0, 0), j1 = std::min(j1, nb - 1);
    for (int64_t i = i0;; i = std::min(i + si, i1)) {
      for (int64_t j = j0;; j = std::min(j + sj, j1)) {
        const double c = pair_cost(i, j);
        if (c < best_cost) {
          best_cost = c;
          best_i = i;
          best_j = j;
        }
        if (j == j1) break;
      }
      if (i == i1) break;
    }
  };
  if (na * nb <= kMseFullGrid) {
    search(0, na - 1, 1, 0, nb - 1, 1);
  } else {
    // Coarse grid (always including both last candidates, the observed extremes), then full resolution
    // around its best pair. The cost is smooth in both ends, so the refinement finds the optimum.
    const int64_t si = std::max<int64_t>(1, na / kMseCoarseCandidates);
    const int64_t sj = std::max<int64_t>(1, nb / kMseCoarseCandidates);
    search(0, na - 1, si, 0, nb - 1, sj);
    const int64_t ci = best_i, cj = best_j;
    search(ci - 2 * si, ci + 2 * si, 1, cj - 2 * sj, cj + 2 * sj, 1);
  }
  if (best_cost > (1.0 - kMseMinGain) * minmax_cost) return minmax_range();
  return finalize(-ta.t[best_i], tb.t[best_j]);
}

// Entropy calibration. Symmetric targets: one threshold on |x| (both sides merged) with qmax levels, as
// TensorRT does. Asymmetric targets: one-sided data (post-ReLU) runs on its side with all qmax - qmin steps;
// two-sided data runs on each side with the steps that side gets of the current range, repeated until the
// split settles (a side left with fewer than kKlMinLevels steps keeps its extreme). With more levels than
// histogram bins (int16) nothing can be gained and the observed range is kept.
Range RangeCollector::kl_range(const QuantTarget& target) const {
  const double wp = side_width(positive_), wn = side_width(negative_);
  const double bp = positive_.max_magnitude, bn = negative_.max_magnitude;
  if (target.symmetric) {
    // Merge both sides at the coarser width; widths are powers of two, so this is exact.
    const double w = std::max(wp, wn);
    std::vector<uint64_t> merged(bins_per_side_, 0);
    for (const Side* side : {&positive_, &negative_}) {
      if (side->bins.empty()) continue;
      const double factor = w / side_width(*side);
      for (int j = 0; j < bins_per_side_; ++j) {
        merged[static_cast<size_t>(j / factor)] += side->bins[j];
      }
    }
    const double t = kl_threshold(merged, w, std::max(bp, bn), target.qmax);
    return finalize(std::max<double>(min_, -t), std::min<double>(max_, t));
  }

  const int steps = target.qmax - target.qmin;
  if (bn == 0) return finalize(0.0, kl_threshold(positive_.bins, wp, bp, steps));
  if (bp == 0) return finalize(-kl_threshold(negative_.bins, wn, bn, steps), 0.0);
  double a = bn, b = bp;
  for (int round = 0; round < kKlMaxSplitRounds; ++round) {
    const int positive_steps = static_cast<int>(std::lround(steps * b / (a + b)));
    const int negative_steps = steps - positive_steps;
    const double next_b =
        positive_steps >= kKlMinLevels ? kl_threshold(positive_.bins, wp, bp, positive_steps) : bp;
    const double next_a =
        negative_steps >= kKlMinLevels ? kl_threshold(negative_.bins, wn, bn, negative_steps) : bn;
    if (next_a == a && next_b == b) break;
    a = next_a;
    b = next_b;
  }
  return finalize(-a, b);
}

// ---- Quantization parameters ----

QuantParamsResult choose_asymmetric_params(Range range, int qmin, int qmax) {
  // As the converter's calibration path (ConvertStatsToQDQs, then DownCastScale): min/max in double, the
  // scale recomputed in float, the zero point from min in double rounded half away from zero.
  double min = range.min < 0 ? range.min : 0.0;  // also maps NaN to 0
  double max = range.max > 0 ? range.max : 0.0;
  if (std::fabs(max - min) < kNearZeroTolerance) {
    min -= kNearZeroTolerance;
    max += kNearZeroTolerance;
  }
  QuantParamsResult result;
  result.scale = (static_cast<float>(max) - static_cast<float>(min)) / static_cast<float>(qmax - qmin);
  const float zero_point_from_min = static_cast<float>(qmin - min / static_cast<double>(result.scale));
  if (zero_point_from_min < static_cast<float>(qmin)) {
    result.zero_point = qmin;
  } else if (zero_point_from_min > static_cast<float>(qmax)) {
    result.zero_point = qmax;
  } else {
    result.zero_point = static_cast<int32_t>(std::round(zero_point_from_min));
  }
  return result;
}

QuantParamsResult choose_symmetric_params(float max_abs, int qmax) {
  double m = std::fabs(max_abs) > 0 ? std::fabs(max_abs) : 0.0;  // NaN as 0
  if (2 * m < kNearZeroTolerance) m += kNearZeroTolerance;
  return {static_cast<float>(m) / static_cast<float>(qmax), 0};
}

std::vector<float> per_channel_scales(const float* weights, std::span<const int32_t> shape, int channel_axis,
                                      int qmax) {
  int64_t channels = 0, inner = 0, total = 0;
  if (!valid_shape(shape, channel_axis, &channels, &inner, &total) || qmax < 1) return {};
  if (total > 0 && weights == nullptr) return {};
  std::vector<double> max_abs(channels, 0.0);
  for (int64_t i = 0; i < total; ++i) {
    const int64_t c = (i / inner) % channels;
    max_abs[c] = std::max(max_abs[c], std::fabs(static_cast<double>(weights[i])));  // NaN ignored
  }
  std::vector<float> scales(channels);
  for (int64_t c = 0; c < channels; ++c) {
    // ExtractMinMaxFromAttr (symmetric: [-m, m]), ExpandVerySmallRange, then DownCastScale over the
    // narrow range [-qmax, qmax].
    const double m = 2 * max_abs[c] > kNearZeroTolerance ? max_abs[c] : kSmallestHalfRange;
    scales[c] = (static_cast<float>(m) - static_cast<float>(-m)) / static_cast<float>(2 * qmax);
  }
  return scales;
}

std::vector<int8_t> quantize_symmetric(const float* weights, std::span<const int32_t> shape, int channel_axis,
                                       std::span<const float> scales, int qmax) {
  int64_t channels = 0, inner = 0, total = 0;
  if (!valid_shape(shape, channel_axis, &channels, &inner, &total) || qmax < 1 || qmax > 127 ||
      static_cast<int64_t>(scales.size()) != channels) {
    return {};
  }
  if (total > 0 && weights == nullptr) return {};
  // SymmetricPerChannelQuantizeValues with the inverses QuantizeLegacy passes: float(1.0 / scale).
  std::vector<float> inverse(channels);
  for (int64_t c = 0; c < channels; ++c) {
    inverse[c] = scales[c] != 0 ? static_cast<float>(1.0 / static_cast<double>(scales[c])) : 0.0f;
  }
  const float limit = static_cast<float>(qmax);
  std::vector<int8_t> out(total);
  for (int64_t i = 0; i < total; ++i) {
    const float r = std::round(weights[i] * inverse[(i / inner) % channels]);
    // Clamped before the integer conversion so that huge or NaN products stay defined.
    out[i] = static_cast<int8_t>(std::isnan(r) ? 0.0f : std::clamp(r, -limit, limit));
  }
  return out;
}

}  // namespace edgeinfer::compiler::quantize
