#include "edge/drift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace edgeinfer::edge {
namespace {

TEST(EdgeDrift, NormalQuantile) {
  EXPECT_NEAR(normal_quantile(0.5f), 0.0f, 1e-6);
  EXPECT_NEAR(normal_quantile(0.975f), 1.959964f, 1e-5);
  EXPECT_NEAR(normal_quantile(0.1f), -1.2815516f, 1e-5);
  EXPECT_NEAR(normal_quantile(0.9f), 1.2815516f, 1e-5);
}

TEST(EdgeDrift, PsiByHand) {
  const uint32_t expected[2] = {50, 50};
  EXPECT_FLOAT_EQ(population_stability_index(expected, 100, expected, 100, 2), 0.0f);
  const uint32_t actual[2] = {79, 19};
  // Smoothed: e = 50.5 / 101 = 0.5, a = 79.5 / 99 and 19.5 / 99.
  const double a0 = 79.5 / 99, a1 = 19.5 / 99;
  const double want = (a0 - 0.5) * std::log(a0 / 0.5) + (a1 - 0.5) * std::log(a1 / 0.5);
  EXPECT_NEAR(population_stability_index(expected, 100, actual, 98, 2), want, 1e-6);
  const uint32_t empty[2] = {0, 100};
  EXPECT_TRUE(std::isfinite(population_stability_index(expected, 100, empty, 100, 2)));
}

TEST(EdgeDrift, PageHinkleyByHand) {
  PageHinkley ph(10.0f, 2.0f, /*delta=*/0.5f, /*lambda=*/3.0f, /*clip=*/4.0f);
  // z = 1, 2, 4 (clamped from 10): up = 0.5, 2.0, 5.5 -> alarm at the third, then restarts.
  EXPECT_FALSE(ph.update(12.0f));
  EXPECT_FLOAT_EQ(ph.up(), 0.5f);
  EXPECT_FALSE(ph.update(14.0f));
  EXPECT_FLOAT_EQ(ph.up(), 2.0f);
  EXPECT_FALSE(ph.update(std::nanf("")));  // ignored
  EXPECT_TRUE(ph.update(40.0f));
  EXPECT_TRUE(ph.last_alarm_up());
  EXPECT_FLOAT_EQ(ph.up(), 0.0f);
  EXPECT_EQ(ph.alarms(), 1u);
  // Downward: z = -4 each time: down = 3.5 > 3 on the first.
  EXPECT_TRUE(ph.update(0.0f));
  EXPECT_FALSE(ph.last_alarm_up());
  EXPECT_EQ(ph.alarms(), 2u);
}

// Stationary score streams over 100k windows: no alarm; then a mean shift of 1.5 standard deviations is
// caught within 40 windows (expected lambda / (1.5 - delta) = 20).
TEST(EdgeDrift, PageHinkleyQuietWhenStationaryAndFastAfterShift) {
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(3.0f, 0.5f);
  PageHinkley ph(3.0f, 0.5f);
  for (int i = 0; i < 100000; ++i) ASSERT_FALSE(ph.update(normal(rng))) << "false alarm at " << i;
  int delay = 0;
  while (!ph.update(normal(rng) + 0.75f)) ++delay;
  EXPECT_LE(delay, 40);
  EXPECT_TRUE(ph.last_alarm_up());

  // A skewed score (log-normal, like a reconstruction error), standardized by its own mean and std.
  std::lognormal_distribution<float> skewed(0.0f, 0.5f);
  const float mean = std::exp(0.125f), sd = std::sqrt((std::exp(0.25f) - 1) * std::exp(0.25f));
  PageHinkley ph2(mean, sd);
  for (int i = 0; i < 100000; ++i) ASSERT_FALSE(ph2.update(skewed(rng))) << "false alarm at " << i;
  delay = 0;
  while (!ph2.update(skewed(rng) + 1.5f * sd)) ++delay;
  EXPECT_LE(delay, 40);
}

constexpr int kFeatures = 6;

// Six features of different shapes: normal, normal with a large offset, uniform, exponential, Poisson
// (discrete) and a constant.
struct Source {
  explicit Source(uint32_t seed) : rng(seed) {}
  void next(float* f, float* score) {
    f[0] = normal(rng);
    f[1] = 9.81f + 0.01f * normal(rng);
    f[2] = uniform(rng);
    f[3] = exponential(rng);
    f[4] = static_cast<float>(poisson(rng));
    f[5] = 1.0f;
    f[0] = f[0] * std_scale + mean_shift;
    *score = 0.2f + 0.05f * normal(rng) + score_shift;
  }
  std::mt19937 rng;
  std::normal_distribution<float> normal{0.0f, 1.0f};
  std::uniform_real_distribution<float> uniform{-2.0f, 2.0f};
  std::exponential_distribution<float> exponential{3.0f};
  std::poisson_distribution<int> poisson{2.0};
  float mean_shift = 0, std_scale = 1, score_shift = 0;
};

void build_baseline(DriftMonitor<8>& monitor, Source& source) {
  ASSERT_TRUE(monitor.init(kFeatures));
  float f[kFeatures], score;
  for (int i = 0; i < 1023; ++i) {
    source.next(f, &score);
    ASSERT_FALSE(monitor.update(f, score).baseline_ready);
  }
  source.next(f, &score);
  ASSERT_TRUE(monitor.update(f, score).baseline_ready);
}

TEST(EdgeDrift, BaselineEdgesAndProportions) {
  Source source(1);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  const FeatureBaseline<10>& b = monitor.baseline(0);
  EXPECT_NEAR(b.mean, 0.0f, 0.15f);
  EXPECT_NEAR(b.std, 1.0f, 0.1f);
  EXPECT_NEAR(b.edges[4], b.mean, 1e-6);  // the middle edge: the median of a normal
  EXPECT_NEAR(b.edges[8], b.mean + 1.2815516f * b.std, 1e-5);
  EXPECT_EQ(b.expected_total, 512u);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(b.expected[i] / 512.0, 0.1, 0.05) << "bin " << i;
  EXPECT_NEAR(monitor.score_mean(), 0.2f, 0.01f);
  EXPECT_NEAR(monitor.score_std(), 0.05f, 0.005f);
  EXPECT_EQ(monitor.baseline(5).std, 0.0f);
  EXPECT_EQ(monitor.baseline(5).expected[9], 512u);  // constant: all edges equal it, so the top bin
}

TEST(EdgeDrift, NoAlarmOnStationaryDataOver100kWindows) {
  Source source(7);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  float f[kFeatures], score;
  int tests = 0;
  float worst = 0;
  for (int i = 0; i < 100000; ++i) {
    source.next(f, &score);
    const DriftUpdate u = monitor.update(f, score);
    ASSERT_FALSE(u.psi_alert) << "window " << i << " feature " << u.worst_feature << " psi " << u.worst_psi;
    ASSERT_FALSE(u.score_alert) << "window " << i;
    if (u.psi_tested) {
      ++tests;
      if (u.worst_psi > worst) worst = u.worst_psi;
    }
  }
  EXPECT_EQ(tests, 100000 / 512);
  EXPECT_LT(worst, 0.15f);  // the threshold 0.25 has room to spare
}

// Runs `source` after its shift until a PSI alert; returns the delay in windows (or -1).
int windows_until_psi_alert(DriftMonitor<8>& monitor, Source& source, int limit) {
  float f[kFeatures], score;
  for (int i = 0; i < limit; ++i) {
    source.next(f, &score);
    if (monitor.update(f, score).psi_alert) return i + 1;
  }
  return -1;
}

TEST(EdgeDrift, MeanShiftOfOneStdAlarmsWithinTwoPsiWindows) {
  Source source(11);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  float f[kFeatures], score;
  for (int i = 0; i < 700; ++i) {  // the shift starts in the middle of the second PSI window
    source.next(f, &score);
    ASSERT_FALSE(monitor.update(f, score).psi_alert);
  }
  source.mean_shift = 1.0f;
  const int delay = windows_until_psi_alert(monitor, source, 2 * 512);
  ASSERT_GT(delay, 0);
  EXPECT_LE(delay, 1024 - 700);  // the end of the window it started in: PSI is large even for part of one
  EXPECT_TRUE(monitor.drifted(0));
  for (int i = 1; i < kFeatures; ++i) EXPECT_FALSE(monitor.drifted(i)) << "feature " << i;
  EXPECT_GT(monitor.psi(0), 0.25f);
}

TEST(EdgeDrift, DoubledStdAlarmsWithinTwoPsiWindows) {
  Source source(12);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  source.std_scale = 2.0f;
  const int delay = windows_until_psi_alert(monitor, source, 2 * 512);
  ASSERT_GT(delay, 0);
  EXPECT_LE(delay, 512);
  EXPECT_TRUE(monitor.drifted(0));
  EXPECT_NEAR(monitor.psi(0), 0.45f, 0.15f);
  for (int i = 1; i < kFeatures; ++i) EXPECT_FALSE(monitor.drifted(i)) << "feature " << i;
}

TEST(EdgeDrift, ScoreShiftRaisesPageHinkleyAlarm) {
  Source source(13);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  source.score_shift = 0.075f;  // 1.5 baseline standard deviations
  float f[kFeatures], score;
  int delay = -1;
  for (int i = 0; i < 200 && delay < 0; ++i) {
    source.next(f, &score);
    const DriftUpdate u = monitor.update(f, score);
    EXPECT_FALSE(u.psi_alert);
    if (u.score_alert) delay = i + 1;
  }
  EXPECT_GT(delay, 0);
  EXPECT_LE(delay, 40);
  EXPECT_TRUE(monitor.page_hinkley().last_alarm_up());
}

TEST(EdgeDrift, SavedBaselineRestoresTheSameTests) {
  Source source(14);
  DriftMonitor<8> monitor;
  build_baseline(monitor, source);
  FeatureBaseline<10> saved[kFeatures];
  for (int i = 0; i < kFeatures; ++i) saved[i] = monitor.baseline(i);
  DriftMonitor<8> restored;
  ASSERT_TRUE(restored.load_baseline(saved, kFeatures, monitor.score_mean(), monitor.score_std()));
  EXPECT_TRUE(restored.baseline_ready());
  float f[kFeatures], score;
  for (int i = 0; i < 1024; ++i) {
    source.next(f, &score);
    const DriftUpdate a = monitor.update(f, score);
    const DriftUpdate b = restored.update(f, score);
    ASSERT_EQ(a.psi_tested, b.psi_tested);
    ASSERT_EQ(a.worst_psi, b.worst_psi);
  }
}

TEST(EdgeDrift, RejectsBadConfiguration) {
  DriftMonitor<4> monitor;
  EXPECT_FALSE(monitor.init(5));
  EXPECT_FALSE(monitor.init(0));
  DriftConfig config;
  config.psi_window = 0;
  EXPECT_FALSE(monitor.init(2, config));
  const float f[2] = {1, 2};
  EXPECT_FALSE(monitor.update(f, 0.0f).baseline_ready);
}

// A stationary but slowly wandering level (an AR(1) process with the simulator's time scales: minutes)
// never raises level drift over 100k values; a shift of 0.25 (a machine 33% louder) raises it within one
// time constant plus the hold, and it ends after the level returns.
TEST(EdgeLevelDrift, NoAlarmOnStationaryWanderingAlarmAfterShiftAndEnd) {
  LevelDriftConfig config;  // baseline 1800, tau 1800, on 0.12, off 0.06, hold 300
  LevelDrift drift;
  ASSERT_TRUE(drift.configure(config));
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  float wander = 0;
  auto level = [&] {
    wander = 0.997f * wander + 0.077f * 0.07f * noise(rng);  // stationary sd 0.07, correlation ~ 330 values
    return -2.0f + wander + 0.05f * noise(rng);
  };
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(drift.update(level()), LevelDrift::Event::kNone) << "value " << i;
  EXPECT_TRUE(drift.baseline_ready());
  EXPECT_NEAR(drift.baseline(), -2.0f, 0.1f);
  EXPECT_LT(std::fabs(drift.shift()), 0.12f);
  int started = -1;
  for (int i = 0; i < 20000 && started < 0; ++i)
    if (drift.update(level() + 0.25f) == LevelDrift::Event::kStarted) started = i;
  ASSERT_GE(started, 0);
  EXPECT_TRUE(drift.active());
  // The average crosses 0.12 after about tau * ln(0.25 / 0.13) = 1180 values, then the hold of 300.
  EXPECT_GT(started, 300);
  EXPECT_LT(started, 2600);
  int ended = -1;
  for (int i = 0; i < 20000 && ended < 0; ++i)
    if (drift.update(level()) == LevelDrift::Event::kEnded) ended = i;
  EXPECT_GE(ended, 300);
  EXPECT_FALSE(drift.active());
}

TEST(EdgeLevelDrift, IgnoresNonFiniteValuesAndRejectsBadConfiguration) {
  LevelDrift drift;
  LevelDriftConfig config;
  config.baseline_count = 3;
  config.hold = 1;
  config.tau = 1;
  ASSERT_TRUE(drift.configure(config));
  for (float x : {1.0f, NAN, 1.0f, INFINITY, 1.0f}) EXPECT_EQ(drift.update(x), LevelDrift::Event::kNone);
  EXPECT_TRUE(drift.baseline_ready());
  EXPECT_FLOAT_EQ(drift.baseline(), 1.0f);
  EXPECT_EQ(drift.update(2.0f), LevelDrift::Event::kStarted);  // tau 1: the average is the value
  EXPECT_FLOAT_EQ(drift.shift(), 1.0f);
  EXPECT_EQ(drift.update(1.0f), LevelDrift::Event::kEnded);
  for (auto bad : {LevelDriftConfig{0, 10, 0.1f, 0.05f, 1}, LevelDriftConfig{10, 0.5f, 0.1f, 0.05f, 1},
                   LevelDriftConfig{10, 10, 0.1f, 0.2f, 1}, LevelDriftConfig{10, 10, 0.1f, 0.05f, 0}}) {
    EXPECT_FALSE(drift.configure(bad));
    EXPECT_EQ(drift.update(5.0f), LevelDrift::Event::kNone);
  }
}

}  // namespace
}  // namespace edgeinfer::edge
