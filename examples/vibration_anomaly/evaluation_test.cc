#include "examples/vibration_anomaly/evaluation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

namespace edgeinfer::vibration {
namespace {

// Pairwise definition, O(n m): the reference the rank formula must match.
double auc_by_pairs(const std::vector<double>& neg, const std::vector<double>& pos) {
  double wins = 0;
  for (double p : pos)
    for (double n : neg) wins += p > n ? 1.0 : (p == n ? 0.5 : 0.0);
  return wins / (neg.size() * pos.size());
}

TEST(Auc, PerfectInvertedTiedAndHandComputed) {
  EXPECT_DOUBLE_EQ(*auc(std::vector<double>{0.1, 0.2, 0.3}, std::vector<double>{0.5, 0.9}), 1.0);
  EXPECT_DOUBLE_EQ(*auc(std::vector<double>{0.5, 0.9}, std::vector<double>{0.1, 0.2, 0.3}), 0.0);
  EXPECT_DOUBLE_EQ(*auc(std::vector<double>{1, 1, 1}, std::vector<double>{1, 1}), 0.5);
  // Positive 2 beats 1, ties 2, loses to 3 (1.5); positive 4 beats all three (3): 4.5 / 6.
  EXPECT_DOUBLE_EQ(*auc(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4}), 0.75);
  EXPECT_FALSE(auc(std::vector<double>{}, std::vector<double>{1}).has_value());
  EXPECT_FALSE(auc(std::vector<double>{1}, std::vector<double>{}).has_value());
  EXPECT_FALSE(auc(std::vector<double>{1, std::nan("")}, std::vector<double>{2}).has_value());
}

TEST(Auc, MatchesPairwiseCountingWithManyTies) {
  Pcg32 rng(5, 1);
  std::vector<double> neg, pos;
  for (int i = 0; i < 300; ++i) neg.push_back(static_cast<double>(rng.below(20)));
  for (int i = 0; i < 170; ++i) pos.push_back(static_cast<double>(rng.below(20) + 4));
  const double expected = auc_by_pairs(neg, pos);
  EXPECT_GT(expected, 0.55);  // the case is not trivial
  EXPECT_LT(expected, 0.95);
  EXPECT_NEAR(*auc(neg, pos), expected, 1e-12);
}

Schedule test_schedule() {
  Schedule s;
  s.duration_s = 7200;  // two hours
  s.add({EventType::kImbalance, 1000, 100, 0.8f});
  s.add({EventType::kBearing, 3000, 200, 0.6f});
  s.add({EventType::kDrift, 4000, 2000, 0.9f});
  s.add({EventType::kLooseness, 5000, 60, 0.7f});
  s.sort();
  return s;
}

TEST(Evaluate, DelaysMissesFalseAlarmsAndDrift) {
  const Schedule s = test_schedule();
  const std::vector<Alert> alerts = {
      {5003.5, AlertKind::kFault},  // looseness, 3.5 s (given out of order)
      {1002.0, AlertKind::kFault},  // imbalance detected after 2 s
      {1050.0, AlertKind::kFault},  // repeat within the fault: neither detection nor false alarm
      {1105.0, AlertKind::kFault},  // 5 s after the end, within the 10 s grace: not a false alarm
      {1200.0, AlertKind::kFault},  // false alarm
      {2999.0, AlertKind::kFault},  // 1 s before the bearing fault: false alarm; the bearing fault is missed
      {4500.0, AlertKind::kDrift},  // drift reported
      {4600.0, AlertKind::kFault},  // drift reported as a fault: false alarm
      {100.0, AlertKind::kDrift},   // drift report with no drift: false alarm
  };
  const Evaluation ev = evaluate(s, alerts);
  ASSERT_EQ(ev.faults.size(), 3u);
  EXPECT_EQ(ev.faults[0].type, EventType::kImbalance);
  EXPECT_DOUBLE_EQ(*ev.faults[0].detected_at_s, 1002.0);
  EXPECT_DOUBLE_EQ(*ev.faults[0].delay_s, 2.0);
  EXPECT_EQ(ev.faults[1].type, EventType::kBearing);
  EXPECT_FALSE(ev.faults[1].detected_at_s.has_value());
  EXPECT_FALSE(ev.faults[1].delay_s.has_value());
  EXPECT_DOUBLE_EQ(*ev.faults[2].delay_s, 3.5);
  EXPECT_EQ(ev.faults_detected, 2);
  EXPECT_EQ(ev.faults_missed, 1);
  EXPECT_DOUBLE_EQ(*ev.max_delay_s, 3.5);
  EXPECT_EQ(ev.fault_alerts, 7);
  EXPECT_EQ(ev.drift_alerts, 2);
  EXPECT_EQ(ev.false_alarms, 4);
  EXPECT_DOUBLE_EQ(ev.hours, 2.0);
  EXPECT_DOUBLE_EQ(ev.false_alarms_per_hour, 2.0);
  ASSERT_EQ(ev.drifts.size(), 1u);
  EXPECT_DOUBLE_EQ(*ev.drifts[0].reported_at_s, 4500.0);
  EXPECT_EQ(ev.drifts[0].fault_alerts, 1);  // 4600; 5003.5 is inside the looseness fault
  EXPECT_TRUE(ev.drift_reported);
  EXPECT_EQ(ev.drift_reported_as_fault, 1);
  EXPECT_FALSE(ev.drift_never_as_fault);
}

TEST(Evaluate, GraceWindowsAreConfigurable) {
  const Schedule s = test_schedule();
  const std::vector<Alert> alerts = {{1105.0, AlertKind::kFault}, {6000.0 + 100, AlertKind::kDrift}};
  EvaluationConfig strict;
  strict.grace_s = 2;
  strict.drift_grace_s = 60;
  const Evaluation ev = evaluate(s, alerts, strict);
  EXPECT_FALSE(ev.faults[0].detected_at_s.has_value());  // 5 s after the end, beyond a 2 s grace
  EXPECT_FALSE(ev.drift_reported);
  EXPECT_EQ(ev.false_alarms, 2);
  const Evaluation lenient = evaluate(s, alerts);
  EXPECT_DOUBLE_EQ(*lenient.faults[0].delay_s, 105.0);  // late but within [start, end + 10 s)
  EXPECT_TRUE(lenient.drift_reported);
  EXPECT_EQ(lenient.false_alarms, 0);
}

TEST(Evaluate, NoAlertsMissesEverythingWithoutFalseAlarms) {
  const Evaluation ev = evaluate(test_schedule(), {});
  EXPECT_EQ(ev.faults_missed, 3);
  EXPECT_EQ(ev.false_alarms, 0);
  EXPECT_DOUBLE_EQ(ev.false_alarms_per_hour, 0.0);
  EXPECT_FALSE(ev.drift_reported);
  EXPECT_TRUE(ev.drift_never_as_fault);
  EXPECT_FALSE(ev.max_delay_s.has_value());
}

TEST(Evaluate, JsonHasTheDemoFields) {
  const std::vector<Alert> alerts = {{1002.0, AlertKind::kFault}};
  const nlohmann::json j = evaluate(test_schedule(), alerts);
  ASSERT_EQ(j["faults"].size(), 3u);
  EXPECT_EQ(j["faults"][0]["type"], "imbalance");
  EXPECT_EQ(j["faults"][0]["injected_at_s"], 1000.0);
  EXPECT_EQ(j["faults"][0]["detected_at_s"], 1002.0);
  EXPECT_EQ(j["faults"][0]["delay_s"], 2.0);
  EXPECT_TRUE(j["faults"][1]["delay_s"].is_null());
  EXPECT_EQ(j["false_alarms_per_hour"], 0.0);
  EXPECT_EQ(j["drift_reported"], false);
}

TEST(WindowLabels, FaultHealthyAndExcluded) {
  const Schedule s = test_schedule();
  WindowLabelConfig cfg;
  cfg.onset_s = 1;
  EXPECT_EQ(label_window(s, 1010, 1012, cfg).cls, WindowClass::kFault);
  EXPECT_EQ(label_window(s, 1010, 1012, cfg).fault, EventType::kImbalance);
  EXPECT_EQ(label_window(s, 1000.5, 1002.5, cfg).cls, WindowClass::kExcluded);  // in the onset ramp
  EXPECT_EQ(label_window(s, 1099, 1101, cfg).cls, WindowClass::kExcluded);      // straddles the end
  EXPECT_EQ(label_window(s, 1105, 1107, cfg).cls, WindowClass::kExcluded);      // within grace
  EXPECT_EQ(label_window(s, 1111, 1113, cfg).cls, WindowClass::kHealthy);
  EXPECT_EQ(label_window(s, 4500, 4502, cfg).cls, WindowClass::kHealthy);  // drift is not a fault
  cfg.drift_is_healthy = false;
  EXPECT_EQ(label_window(s, 4500, 4502, cfg).cls, WindowClass::kExcluded);
}

TEST(WindowLabels, AucPerFaultType) {
  const Schedule s = test_schedule();
  std::vector<ScoredWindow> windows;
  for (double t = 0; t + 2 <= 7200; t += 1) {
    const Truth truth = truth_at(s, t);
    double score = 0.1 + 0.001 * std::fmod(t, 7);                                   // healthy: 0.100..0.106
    if (truth.fault == EventType::kImbalance) score = 0.5;                          // separated
    if (truth.fault == EventType::kBearing) score = 0.1 + 0.001 * std::fmod(t, 7);  // indistinguishable
    if (truth.fault == EventType::kLooseness) score = 0.0;                          // inverted
    windows.push_back({t, t + 2, score});
  }
  const auto per_type = auc_per_fault_type(s, windows);
  ASSERT_EQ(per_type.size(), 4u);
  EXPECT_EQ(per_type[0].type, EventType::kImbalance);
  EXPECT_EQ(per_type[0].positives, 99);  // windows [1000, 1002) .. [1098, 1100)
  EXPECT_DOUBLE_EQ(*per_type[0].auc, 1.0);
  EXPECT_FALSE(per_type[1].auc.has_value());  // no misalignment in this schedule
  EXPECT_EQ(per_type[1].positives, 0);
  EXPECT_NEAR(*per_type[2].auc, 0.5, 0.02);
  EXPECT_DOUBLE_EQ(*per_type[3].auc, 0.0);
  const nlohmann::json j = per_type[1];
  EXPECT_TRUE(j["auc"].is_null());
}

// End to end: a naive detector (per-axis log RMS, kurtosis of the second difference, 2x/1x and 1/2x
// amplitudes from the tachometer speed; score = largest |z| against the first 20 minutes) on 3 simulated
// hours with one fault of each type separates every type from healthy windows, drift included as healthy.
// Guards the simulator against a fault signature that silently stops being generated.
TEST(EndToEnd, NaiveFeaturesSeparateEveryFaultType) {
  static Schedule s;
  make_schedule(2, 3, &s);
  MachineSimulator sim(MachineConfig(), &s, 2);
  constexpr int kWindow = 2048, kFeatures = 12;
  std::vector<float> buf(3 * kWindow);
  std::vector<std::vector<double>> features;
  std::vector<ScoredWindow> windows;
  for (int w = 0; w < 3 * 1800; ++w) {
    const double start = sim.time_s();
    sim.generate(buf.data(), kWindow);
    const double step = 2 * 3.14159265358979323846 * sim.shaft_hz() / 1024;
    std::vector<double> v(kFeatures);
    for (int a = 0; a < 3; ++a) {
      double sum_sq = 0, hp2 = 0, hp4 = 0;
      std::complex<double> half = 0, one = 0, two = 0, rot = 1;
      const std::complex<double> turn = std::polar(1.0, step / 2);
      for (int i = 0; i < kWindow; ++i) {
        const double x = buf[3 * i + a];
        sum_sq += x * x;
        const std::complex<double> r2 = rot * rot;
        half += x * std::conj(rot);
        one += x * std::conj(r2);
        two += x * std::conj(r2 * r2);
        rot *= turn;
        if (i >= 2) {
          const double d = x - 2 * buf[3 * (i - 1) + a] + buf[3 * (i - 2) + a];
          hp2 += d * d;
          hp4 += d * d * d * d;
        }
      }
      const double n = kWindow - 2;
      v[4 * a] = std::log(std::sqrt(sum_sq / kWindow));
      v[4 * a + 1] = (hp4 / n) / ((hp2 / n) * (hp2 / n));
      v[4 * a + 2] = std::log(std::abs(two) + 1) - std::log(std::abs(one) + 1);
      v[4 * a + 3] = std::log(std::abs(half) + 1);
    }
    features.push_back(v);
    windows.push_back({start, start + 2, 0});
  }
  constexpr int kBaseline = 600;  // 20 minutes, inside the healthy lead
  for (int j = 0; j < kFeatures; ++j) {
    double mean = 0, sq = 0;
    for (int i = 0; i < kBaseline; ++i) mean += features[i][j], sq += features[i][j] * features[i][j];
    mean /= kBaseline;
    const double sd = std::sqrt(sq / kBaseline - mean * mean) + 1e-12;
    for (size_t i = 0; i < windows.size(); ++i)
      windows[i].score = std::max(windows[i].score, std::fabs(features[i][j] - mean) / sd);
  }
  WindowLabelConfig cfg;
  cfg.onset_s = 1;
  for (const FaultTypeAuc& r : auc_per_fault_type(s, windows, cfg)) {
    EXPECT_GT(r.positives, 50) << event_type_name(r.type);
    ASSERT_TRUE(r.auc.has_value()) << event_type_name(r.type);
    EXPECT_GT(*r.auc, 0.95) << event_type_name(r.type);
  }
}

}  // namespace
}  // namespace edgeinfer::vibration
