// Inference statistics kept on the device: counts, latency min/mean/max and a streaming p95, a fixed-bin
// score histogram, windows gated out, mean input magnitude and anomalies; snapshot() gives a plain struct a
// report can serialize. No heap, constant memory, O(1) per inference.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace edge {

// Streaming quantile by the P-square algorithm (R. Jain and I. Chlamtac, "The P2 algorithm for dynamic
// calculation of quantiles and histograms without storing observations", CACM 28(10), 1985): five markers
// whose heights follow the quantile by piecewise-parabolic interpolation. The first kExact observations
// are kept sorted and give the exact nearest-rank quantile; the markers then start from them (the paper
// starts from 5, which leaves a tail quantile badly placed for a long time). Accuracy: no worst-case
// bound; the unit test checks that the p95 estimate's rank lies within [0.94, 0.96] against an exact sort
// on seeded uniform, exponential, log-normal and gamma data of 500 to 200k observations. It adapts slowly
// to a distribution that changes after many observations. Memory: kExact + 15 doubles.
class P2Quantile {
 public:
  static constexpr int32_t kExact = 64;

  explicit P2Quantile(double p = 0.95) : p_(p) {}
  void add(double x);
  double value() const;  // 0 before any observation
  uint64_t count() const { return count_; }
  void reset() { count_ = 0; }

 private:
  double p_;
  uint64_t count_ = 0;
  double first_[kExact] = {};  // the first observations, sorted
  double q_[5] = {};           // marker heights
  int64_t n_[5] = {};          // marker positions (1-based)
  double want_[5] = {};        // desired positions
};

struct InferenceStatsConfig {
  float score_min = 0.0f;          // histogram range [score_min, score_max), num_score_bins equal bins;
  float score_max = 1.0f;          // scores outside go to score_below / score_above
  int32_t num_score_bins = 16;     // 1 .. kMaxScoreBins
  float anomaly_threshold = 0.5f;  // score >= threshold counts as an anomaly
};

struct InferenceStatsSnapshot {
  static constexpr int32_t kMaxScoreBins = 32;
  uint64_t inferences = 0;
  uint64_t gated_out = 0;  // windows the gates did not send to the model
  uint64_t anomalies = 0;
  uint64_t invalid_scores = 0;  // NaN / Inf scores: counted here only
  float latency_min_us = 0;
  float latency_mean_us = 0;
  float latency_max_us = 0;
  float latency_p95_us = 0;  // P-square estimate
  float mean_input_magnitude = 0;
  float score_mean = 0;
  float score_min = 0;  // histogram range
  float score_max = 0;
  int32_t num_score_bins = 0;
  uint32_t score_bins[kMaxScoreBins] = {};
  uint32_t score_below = 0;
  uint32_t score_above = 0;
};

class InferenceStats {
 public:
  static constexpr int32_t kMaxScoreBins = InferenceStatsSnapshot::kMaxScoreBins;

  InferenceStats() : InferenceStats(InferenceStatsConfig{}) {}
  explicit InferenceStats(const InferenceStatsConfig& config);
  const InferenceStatsConfig& config() const { return config_; }

  // One model run: its latency, its anomaly score and the magnitude of its input (e.g. overall RMS).
  // Returns whether the score counts as an anomaly.
  bool record_inference(float latency_us, float score, float input_magnitude);
  void record_gated_out(uint64_t windows = 1) { gated_out_ += windows; }
  InferenceStatsSnapshot snapshot() const;
  void reset();

 private:
  InferenceStatsConfig config_;
  uint64_t inferences_ = 0;
  uint64_t gated_out_ = 0;
  uint64_t anomalies_ = 0;
  uint64_t invalid_scores_ = 0;
  uint64_t valid_scores_ = 0;
  float latency_min_ = 0, latency_max_ = 0;
  double latency_sum_ = 0;
  double magnitude_sum_ = 0;
  double score_sum_ = 0;
  P2Quantile latency_p95_{0.95};
  uint32_t bins_[kMaxScoreBins] = {};
  uint32_t below_ = 0, above_ = 0;
};

}  // namespace edge
}  // namespace edgeinfer
