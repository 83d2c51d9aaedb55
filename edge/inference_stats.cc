#include "edge/inference_stats.h"

namespace edgeinfer {
namespace edge {

void P2Quantile::add(double x) {
  if (count_ < kExact) {
    // Keep the first observations sorted (insertion): exact quantiles while there are few.
    int32_t i = static_cast<int32_t>(count_);
    while (i > 0 && first_[i - 1] > x) {
      first_[i] = first_[i - 1];
      --i;
    }
    first_[i] = x;
    ++count_;
    if (count_ == kExact) {
      // Markers at the ranks P-square would have them after kExact observations, heights read off the
      // sorted sample (the paper starts from 5 observations; this start is better for tail quantiles).
      const double increment[5] = {0, p_ / 2, p_, (1 + p_) / 2, 1};
      for (int32_t k = 0; k < 5; ++k) {
        want_[k] = 1 + (kExact - 1) * increment[k];
        int64_t n = static_cast<int64_t>(want_[k] + 0.5);
        if (k > 0 && n <= n_[k - 1]) n = n_[k - 1] + 1;
        if (n > kExact - (4 - k)) n = kExact - (4 - k);
        n_[k] = n;
      }
      for (int32_t k = 0; k < 5; ++k) q_[k] = first_[n_[k] - 1];
    }
    return;
  }
  ++count_;
  // The cell k with q_[k] <= x < q_[k + 1]; the extremes move to include x.
  int32_t k;
  if (x < q_[0]) {
    q_[0] = x;
    k = 0;
  } else if (x >= q_[4]) {
    if (x > q_[4]) q_[4] = x;
    k = 3;
  } else {
    k = 0;
    while (k < 3 && x >= q_[k + 1]) ++k;
  }
  for (int32_t i = k + 1; i < 5; ++i) ++n_[i];
  const double increment[5] = {0, p_ / 2, p_, (1 + p_) / 2, 1};
  for (int32_t i = 0; i < 5; ++i) want_[i] += increment[i];
  // Move the middle markers one position towards where they should be, if there is room.
  for (int32_t i = 1; i <= 3; ++i) {
    const double d = want_[i] - static_cast<double>(n_[i]);
    if ((d >= 1 && n_[i + 1] - n_[i] > 1) || (d <= -1 && n_[i - 1] - n_[i] < -1)) {
      const int32_t s = d > 0 ? 1 : -1;
      const double ni = static_cast<double>(n_[i]);
      const double nl = static_cast<double>(n_[i - 1]);
      const double nr = static_cast<double>(n_[i + 1]);
      // Piecewise-parabolic prediction; linear if it would leave the neighbours' interval.
      const double parabolic = q_[i] + s / (nr - nl) *
                                           ((ni - nl + s) * (q_[i + 1] - q_[i]) / (nr - ni) +
                                            (nr - ni - s) * (q_[i] - q_[i - 1]) / (ni - nl));
      if (q_[i - 1] < parabolic && parabolic < q_[i + 1]) {
        q_[i] = parabolic;
      } else {
        q_[i] = q_[i] + s * (q_[i + s] - q_[i]) / static_cast<double>(n_[i + s] - n_[i]);
      }
      n_[i] += s;
    }
  }
}

double P2Quantile::value() const {
  if (count_ == 0) return 0;
  if (count_ < kExact) {
    // Nearest rank: the ceil(p * n)-th smallest.
    const double rank = p_ * static_cast<double>(count_);
    int32_t r = static_cast<int32_t>(rank);
    if (static_cast<double>(r) < rank) ++r;
    if (r < 1) r = 1;
    return first_[r - 1];
  }
  return q_[2];
}

InferenceStats::InferenceStats(const InferenceStatsConfig& config) : config_(config) {
  if (config_.num_score_bins < 1) config_.num_score_bins = 1;
  if (config_.num_score_bins > kMaxScoreBins) config_.num_score_bins = kMaxScoreBins;
  if (!(config_.score_max > config_.score_min)) config_.score_max = config_.score_min + 1.0f;
}

bool InferenceStats::record_inference(float latency_us, float score, float input_magnitude) {
  if (inferences_ == 0 || latency_us < latency_min_) latency_min_ = latency_us;
  if (inferences_ == 0 || latency_us > latency_max_) latency_max_ = latency_us;
  ++inferences_;
  latency_sum_ += latency_us;
  latency_p95_.add(latency_us);
  magnitude_sum_ += input_magnitude;
  // NaN and Inf scores are neither binned nor averaged nor anomalies; a model returning them is broken.
  if (score != score || score > 3.4028235e38f || score < -3.4028235e38f) {
    ++invalid_scores_;
    return false;
  }
  ++valid_scores_;
  score_sum_ += score;
  if (score < config_.score_min) {
    ++below_;
  } else if (score >= config_.score_max) {
    ++above_;
  } else {
    int32_t bin = static_cast<int32_t>((score - config_.score_min) / (config_.score_max - config_.score_min) *
                                       static_cast<float>(config_.num_score_bins));
    if (bin >= config_.num_score_bins) bin = config_.num_score_bins - 1;  // rounding at the top edge
    ++bins_[bin];
  }
  const bool anomaly = score >= config_.anomaly_threshold;
  if (anomaly) ++anomalies_;
  return anomaly;
}

InferenceStatsSnapshot InferenceStats::snapshot() const {
  InferenceStatsSnapshot s;
  s.inferences = inferences_;
  s.gated_out = gated_out_;
  s.anomalies = anomalies_;
  s.invalid_scores = invalid_scores_;
  if (inferences_ > 0) {
    s.latency_min_us = latency_min_;
    s.latency_max_us = latency_max_;
    s.latency_mean_us = static_cast<float>(latency_sum_ / static_cast<double>(inferences_));
    s.latency_p95_us = static_cast<float>(latency_p95_.value());
    s.mean_input_magnitude = static_cast<float>(magnitude_sum_ / static_cast<double>(inferences_));
  }
  if (valid_scores_ > 0) s.score_mean = static_cast<float>(score_sum_ / static_cast<double>(valid_scores_));
  s.score_min = config_.score_min;
  s.score_max = config_.score_max;
  s.num_score_bins = config_.num_score_bins;
  for (int32_t i = 0; i < config_.num_score_bins; ++i) s.score_bins[i] = bins_[i];
  s.score_below = below_;
  s.score_above = above_;
  return s;
}

void InferenceStats::reset() {
  *this = InferenceStats(config_);
}

}  // namespace edge
}  // namespace edgeinfer
