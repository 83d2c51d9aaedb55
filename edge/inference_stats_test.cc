#include "edge/inference_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace edgeinfer::edge {
namespace {

// Fraction of `sorted` below `value`: the estimate's rank.
double rank_of(const std::vector<double>& sorted, double value) {
  return static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin()) /
         static_cast<double>(sorted.size());
}

template <class Distribution>
void expect_p95_rank(Distribution distribution, uint32_t seed, int n) {
  std::mt19937 rng(seed);
  P2Quantile q(0.95);
  std::vector<double> all;
  for (int i = 0; i < n; ++i) {
    const double x = distribution(rng);
    q.add(x);
    all.push_back(x);
  }
  std::sort(all.begin(), all.end());
  const double rank = rank_of(all, q.value());
  EXPECT_GE(rank, 0.94) << "n " << n << " estimate " << q.value() << " exact " << all[n * 95 / 100];
  EXPECT_LE(rank, 0.96) << "n " << n << " estimate " << q.value() << " exact " << all[n * 95 / 100];
}

TEST(EdgeInferenceStats, P2QuantileMatchesSortWithinOnePoint) {
  for (int n : {500, 10000, 200000}) {
    expect_p95_rank(std::uniform_real_distribution<double>(100.0, 900.0), 1, n);
    expect_p95_rank(std::exponential_distribution<double>(1.0 / 300.0), 2, n);
    expect_p95_rank(std::lognormal_distribution<double>(6.0, 0.5), 3, n);
  }
}

TEST(EdgeInferenceStats, P2QuantileExactForFewObservations) {
  P2Quantile exact(0.95);
  std::mt19937 rng(5);
  std::vector<double> seen;
  for (int i = 0; i < P2Quantile::kExact - 1; ++i) {
    seen.push_back(std::uniform_real_distribution<double>(0, 1)(rng));
    exact.add(seen.back());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(exact.value(), seen[static_cast<size_t>(std::ceil(0.95 * seen.size())) - 1]);

  P2Quantile q(0.95);
  EXPECT_EQ(q.value(), 0.0);
  q.add(5);
  EXPECT_EQ(q.value(), 5.0);
  q.add(1);
  q.add(3);
  EXPECT_EQ(q.value(), 5.0);  // nearest rank ceil(0.95 * 3) = 3
  P2Quantile median(0.5);
  for (double x : {4.0, 1.0, 3.0, 2.0}) median.add(x);
  EXPECT_EQ(median.value(), 2.0);  // ceil(0.5 * 4) = 2nd smallest
}

TEST(EdgeInferenceStats, CountsLatencyScoresAndAnomalies) {
  InferenceStatsConfig config;
  config.score_min = 0;
  config.score_max = 2;
  config.num_score_bins = 4;
  config.anomaly_threshold = 1.2f;
  InferenceStats stats(config);
  EXPECT_FALSE(stats.record_inference(100, 0.1f, 1.0f));
  EXPECT_FALSE(stats.record_inference(300, 0.6f, 2.0f));
  EXPECT_TRUE(stats.record_inference(200, 1.2f, 3.0f));
  EXPECT_TRUE(stats.record_inference(400, 5.0f, 4.0f));
  EXPECT_FALSE(stats.record_inference(500, -1.0f, 5.0f));
  EXPECT_FALSE(stats.record_inference(600, std::nanf(""), 6.0f));
  stats.record_gated_out(7);
  stats.record_gated_out();
  const InferenceStatsSnapshot s = stats.snapshot();
  EXPECT_EQ(s.inferences, 6u);
  EXPECT_EQ(s.gated_out, 8u);
  EXPECT_EQ(s.anomalies, 2u);
  EXPECT_EQ(s.invalid_scores, 1u);
  EXPECT_EQ(s.latency_min_us, 100.0f);
  EXPECT_EQ(s.latency_max_us, 600.0f);
  EXPECT_FLOAT_EQ(s.latency_mean_us, 350.0f);
  EXPECT_EQ(s.latency_p95_us, 600.0f);  // six observations, exact nearest rank: the 6th smallest
  EXPECT_FLOAT_EQ(s.mean_input_magnitude, 3.5f);
  EXPECT_FLOAT_EQ(s.score_mean, (0.1f + 0.6f + 1.2f + 5.0f - 1.0f) / 5);
  EXPECT_EQ(s.num_score_bins, 4);
  EXPECT_EQ(s.score_bins[0], 1u);  // [0, 0.5)
  EXPECT_EQ(s.score_bins[1], 1u);  // [0.5, 1)
  EXPECT_EQ(s.score_bins[2], 1u);  // [1, 1.5)
  EXPECT_EQ(s.score_bins[3], 0u);
  EXPECT_EQ(s.score_below, 1u);
  EXPECT_EQ(s.score_above, 1u);
  stats.reset();
  EXPECT_EQ(stats.snapshot().inferences, 0u);
  EXPECT_EQ(stats.snapshot().score_bins[0], 0u);
  EXPECT_EQ(stats.snapshot().latency_max_us, 0.0f);
}

TEST(EdgeInferenceStats, LatencyP95OnSeededRun) {
  InferenceStats stats;
  std::mt19937 rng(42);
  std::gamma_distribution<double> latency(4.0, 250.0);
  std::vector<double> all;
  for (int i = 0; i < 20000; ++i) {
    const float l = static_cast<float>(latency(rng));
    all.push_back(l);
    stats.record_inference(l, 0.0f, 0.0f);
  }
  std::sort(all.begin(), all.end());
  const double rank = rank_of(all, stats.snapshot().latency_p95_us);
  EXPECT_GE(rank, 0.94);
  EXPECT_LE(rank, 0.96);
}

}  // namespace
}  // namespace edgeinfer::edge
