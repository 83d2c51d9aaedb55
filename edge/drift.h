// Drift detection against a baseline captured at deployment. Two streaming tests:
//
// PSI (population stability index) per feature. Baseline: during the first baseline_windows / 2 windows
// each feature's mean and standard deviation are accumulated; the bin edges are then placed at
// mean + std * z_i, with z_i the standard normal quantiles i / B (i = 1 .. B-1): equal-probability bins for
// a normal feature, and still well spread for others. During the next baseline_windows / 2 windows the
// proportion of values per bin is counted: the expected proportions are measured, not assumed, so skewed
// or discrete features are compared with what they really looked like. Test: over tumbling windows of
// psi_window windows, PSI = sum_b (a_b - e_b) ln(a_b / e_b) with proportions smoothed as
// (count + 0.5) / (total + 0.5 B) so that empty bins stay finite. A feature whose PSI exceeds
// psi_threshold is reported as drifted. With defaults (B = 10, 512 windows per side) a stationary feature's
// PSI is about chi^2_9 / 256 (mean 0.035); 0.25 is chi^2_9 = 64, far in its tail (p ~ 1e-10), while a one
// standard deviation shift of the mean gives PSI ~ 1 and a doubled standard deviation ~ 0.45. Delay: a
// shift is reported at the end of the first PSI window that lies (mostly) after it: at most
// 2 * psi_window windows.
//
// Page-Hinkley on the anomaly score (or any scalar, e.g. one feature), in its cumulative form against the
// baseline: z_t = clamp((x_t - mean0) / std0, -clip, clip), up_t = max(0, up_{t-1} + z_t - delta),
// down_t = max(0, down_{t-1} - z_t - delta); an alarm when either exceeds lambda, after which that
// statistic restarts from 0 (a lasting shift alarms again every ~lambda / (shift - delta) windows).
// Defaults delta = 0.5, lambda = 20 (in baseline standard deviations): on stationary normal data the mean
// time between false alarms is ~ exp(2 delta lambda) / (2 delta^2) ~ 1e9 windows; a shift of the mean by
// s > delta standard deviations alarms after about lambda / (s - delta) windows (20 for s = 1.5). The
// clamp bounds the effect of single outliers of heavy-tailed scores. The classical test compares with the
// running mean; comparing with the deployment baseline detects a shift however long ago it began.
//
// No heap: capacities are template parameters.
#pragma once

#include <cmath>
#include <cstdint>

namespace edgeinfer {
namespace edge {

struct DriftConfig {
  int32_t baseline_windows = 1024;  // first half: mean/std -> bin edges; second half: expected proportions
  int32_t psi_window = 512;         // windows per PSI test (tumbling)
  float psi_threshold = 0.25f;
  float ph_delta = 0.5f;    // Page-Hinkley allowance, in baseline standard deviations
  float ph_lambda = 20.0f;  // Page-Hinkley alarm threshold
  float ph_clip = 4.0f;     // standardized values are clamped to [-clip, clip]
};

// The standard normal quantile (inverse CDF) of p in (0, 1), by bisection on erfc: used once at baseline.
float normal_quantile(float p);

// PSI of `bins` bins from counts, smoothed as above.
float population_stability_index(const uint32_t* expected_counts, uint32_t expected_total,
                                 const uint32_t* actual_counts, uint32_t actual_total, int32_t bins);

class PageHinkley {
 public:
  PageHinkley() = default;
  PageHinkley(float mean, float std, float delta = 0.5f, float lambda = 20.0f, float clip = 4.0f) {
    configure(mean, std, delta, lambda, clip);
  }
  void configure(float mean, float std, float delta, float lambda, float clip);
  // Adds one value; returns true if it raises an alarm (non-finite values are ignored).
  bool update(float x);
  float up() const { return up_; }
  float down() const { return down_; }
  bool last_alarm_up() const { return last_up_; }
  uint32_t alarms() const { return alarms_; }
  void reset() { up_ = down_ = 0; }

 private:
  float mean_ = 0, inv_std_ = 1, delta_ = 0.5f, lambda_ = 20.0f, clip_ = 4.0f;
  float up_ = 0, down_ = 0;
  bool last_up_ = false;
  uint32_t alarms_ = 0;
};

// A feature's baseline: what is stored at deployment (and could be saved and restored).
template <int kBins>
struct FeatureBaseline {
  float mean = 0;
  float std = 0;
  float edges[kBins - 1] = {};    // ascending; bin b holds edges[b-1] <= x < edges[b]
  uint32_t expected[kBins] = {};  // baseline counts per bin
  uint32_t expected_total = 0;
};

struct DriftUpdate {
  bool baseline_ready = false;  // the baseline is complete (tests run from the next window)
  bool psi_tested = false;      // this window completed a PSI window
  bool psi_alert = false;       // ... and some feature drifted
  bool score_alert = false;     // Page-Hinkley alarm on the score with this window
  int32_t num_drifted = 0;      // features over the threshold in the last PSI test
  int32_t worst_feature = -1;   // highest PSI in the last test
  float worst_psi = 0;
};

template <int kMaxFeatures, int kBins = 10>
class DriftMonitor {
  static_assert(kBins >= 2 && kBins <= 64, "2 to 64 bins");
  static_assert(kMaxFeatures >= 1, "at least one feature");

 public:
  DriftMonitor() = default;

  // Starts a new baseline; false if the arguments are invalid.
  bool init(int32_t num_features, const DriftConfig& config = DriftConfig{}) {
    ok_ = num_features >= 1 && num_features <= kMaxFeatures && config.baseline_windows >= 2 &&
          config.psi_window >= 1 && config.psi_threshold > 0;
    num_features_ = ok_ ? num_features : 0;
    config_ = config;
    seen_ = 0;
    in_window_ = 0;
    ready_ = false;
    last_ = DriftUpdate{};
    score_n_ = 0;
    score_mean_ = score_m2_ = 0;
    for (int32_t f = 0; f < kMaxFeatures; ++f) {
      baseline_[f] = FeatureBaseline<kBins>{};
      n_[f] = 0;
      mean_[f] = m2_[f] = 0;
      psi_[f] = 0;
      drifted_[f] = false;
      for (int32_t b = 0; b < kBins; ++b) counts_[f][b] = 0;
      window_total_[f] = 0;
    }
    for (int32_t i = 0; i < kBins - 1; ++i) {
      z_[i] = normal_quantile(static_cast<float>(i + 1) / static_cast<float>(kBins));
    }
    return ok_;
  }

  // Restores a saved baseline (per feature, and the score's mean and std) and starts testing.
  bool load_baseline(const FeatureBaseline<kBins>* features, int32_t num_features, float score_mean,
                     float score_std, const DriftConfig& config = DriftConfig{}) {
    if (!init(num_features, config)) return false;
    for (int32_t f = 0; f < num_features; ++f) baseline_[f] = features[f];
    finish_baseline(score_mean, score_std);
    return true;
  }

  // One window's features (num_features floats) and anomaly score. Non-finite values are skipped.
  DriftUpdate update(const float* features, float score) {
    DriftUpdate u = last_;
    u.psi_tested = u.psi_alert = u.score_alert = false;
    if (!ok_) return u;
    if (!ready_) {
      accumulate_baseline(features, score);
      u.baseline_ready = ready_;
      last_ = u;
      return u;
    }
    u.score_alert = ph_.update(score);
    for (int32_t f = 0; f < num_features_; ++f) {
      const float x = features[f];
      if (!finite(x)) continue;
      ++counts_[f][bin_of(baseline_[f], x)];
      ++window_total_[f];
    }
    if (++in_window_ == config_.psi_window) {
      in_window_ = 0;
      u.psi_tested = true;
      u.num_drifted = 0;
      u.worst_feature = -1;
      u.worst_psi = 0;
      for (int32_t f = 0; f < num_features_; ++f) {
        psi_[f] = window_total_[f] == 0
                      ? 0.0f
                      : population_stability_index(baseline_[f].expected, baseline_[f].expected_total,
                                                   counts_[f], window_total_[f], kBins);
        drifted_[f] = psi_[f] > config_.psi_threshold;
        if (drifted_[f]) ++u.num_drifted;
        if (u.worst_feature < 0 || psi_[f] > u.worst_psi) {
          u.worst_feature = f;
          u.worst_psi = psi_[f];
        }
        for (int32_t b = 0; b < kBins; ++b) counts_[f][b] = 0;
        window_total_[f] = 0;
      }
      u.psi_alert = u.num_drifted > 0;
    }
    last_ = u;
    return u;
  }

  bool baseline_ready() const { return ready_; }
  int32_t num_features() const { return num_features_; }
  const FeatureBaseline<kBins>& baseline(int32_t feature) const { return baseline_[feature]; }
  float score_mean() const { return score_baseline_mean_; }
  float score_std() const { return score_baseline_std_; }
  // Results of the last PSI test.
  float psi(int32_t feature) const { return psi_[feature]; }
  bool drifted(int32_t feature) const { return drifted_[feature]; }
  const PageHinkley& page_hinkley() const { return ph_; }
  const DriftConfig& config() const { return config_; }

 private:
  static bool finite(float x) { return x == x && x <= 3.4028235e38f && x >= -3.4028235e38f; }

  static int32_t bin_of(const FeatureBaseline<kBins>& base, float x) {
    int32_t lo = 0, hi = kBins - 1;  // binary search: the number of edges <= x
    while (lo < hi) {
      const int32_t mid = (lo + hi) / 2;
      if (x >= base.edges[mid]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  void accumulate_baseline(const float* features, float score) {
    const int32_t half = config_.baseline_windows / 2;
    if (finite(score)) {
      ++score_n_;  // Welford over the whole baseline period
      const double d = score - score_mean_;
      score_mean_ += d / static_cast<double>(score_n_);
      score_m2_ += d * (score - score_mean_);
    }
    for (int32_t f = 0; f < num_features_; ++f) {
      const float x = features[f];
      if (!finite(x)) continue;
      if (seen_ < half) {
        ++n_[f];
        const double d = x - mean_[f];
        mean_[f] += d / static_cast<double>(n_[f]);
        m2_[f] += d * (x - mean_[f]);
      } else {
        ++baseline_[f].expected[bin_of(baseline_[f], x)];
        ++baseline_[f].expected_total;
      }
    }
    ++seen_;
    if (seen_ == half) {
      for (int32_t f = 0; f < num_features_; ++f) {
        FeatureBaseline<kBins>& b = baseline_[f];
        b.mean = static_cast<float>(mean_[f]);
        b.std = n_[f] > 1 ? static_cast<float>(std::sqrt(m2_[f] / static_cast<double>(n_[f] - 1))) : 0.0f;
        for (int32_t i = 0; i < kBins - 1; ++i) b.edges[i] = b.mean + b.std * z_[i];
      }
    }
    if (seen_ == config_.baseline_windows) {
      const float std =
          score_n_ > 1 ? static_cast<float>(std::sqrt(score_m2_ / static_cast<double>(score_n_ - 1))) : 0.0f;
      finish_baseline(static_cast<float>(score_mean_), std);
    }
  }

  void finish_baseline(float score_mean, float score_std) {
    score_baseline_mean_ = score_mean;
    score_baseline_std_ = score_std;
    ph_.configure(score_mean, score_std, config_.ph_delta, config_.ph_lambda, config_.ph_clip);
    ready_ = true;
    in_window_ = 0;
  }

  DriftConfig config_{};
  bool ok_ = false;
  bool ready_ = false;
  int32_t num_features_ = 0;
  int32_t seen_ = 0;       // baseline windows seen
  int32_t in_window_ = 0;  // windows in the current PSI window
  float z_[kBins - 1] = {};
  FeatureBaseline<kBins> baseline_[kMaxFeatures];
  uint32_t n_[kMaxFeatures] = {};
  double mean_[kMaxFeatures] = {};
  double m2_[kMaxFeatures] = {};
  uint32_t counts_[kMaxFeatures][kBins] = {};
  uint32_t window_total_[kMaxFeatures] = {};
  float psi_[kMaxFeatures] = {};
  bool drifted_[kMaxFeatures] = {};
  uint32_t score_n_ = 0;
  double score_mean_ = 0, score_m2_ = 0;
  float score_baseline_mean_ = 0, score_baseline_std_ = 0;
  PageHinkley ph_;
  DriftUpdate last_{};
};

// A slow shift of one quantity (e.g. the overall vibration level, log10 of its energy) away from its value
// at deployment: the baseline is the mean of the first `baseline_count` values; after it, an exponential
// average (time constant `tau` values) is compared with it. Drift starts when the average has been more than
// `on` from the baseline for `hold` consecutive values, and ends when it has been within `off` for as long.
// Meant for shifts slower than the average's time constant (hours against minutes); callers leave out values
// they know are not normal (e.g. during a fault), so that only the slow part is seen.
struct LevelDriftConfig {
  int32_t baseline_count = 1800;
  float tau = 1800;
  float on = 0.12f, off = 0.06f;
  int32_t hold = 300;
};

class LevelDrift {
 public:
  enum class Event : uint8_t { kNone, kStarted, kEnded };
  // False (and unusable) for a non-positive count, tau < 1, hold < 1 or not 0 <= off <= on.
  bool configure(const LevelDriftConfig& config);
  // Adds one value (non-finite values are ignored) and says whether drift started or ended with it.
  Event update(float x);
  bool baseline_ready() const { return count_ >= config_.baseline_count; }
  bool active() const { return active_; }
  float baseline() const { return baseline_; }
  // The averaged value minus the baseline (0 before the baseline is ready).
  float shift() const { return baseline_ready() ? average_ - baseline_ : 0.0f; }

 private:
  LevelDriftConfig config_;
  bool ok_ = false;
  int32_t count_ = 0;
  double sum_ = 0;
  float baseline_ = 0, average_ = 0;
  bool active_ = false;
  int32_t over_ = 0, under_ = 0;
};

}  // namespace edge
}  // namespace edgeinfer
