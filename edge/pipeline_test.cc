// The parts of edge/ plugged together as a device would: window -> features -> gates -> "model" -> stats.
// The model is a stand-in (the energy of one band), so the expected counts follow from the signal alone.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "edge/gates.h"
#include "edge/inference_stats.h"
#include "edge/sensor_window.h"
#include "edge/vibration_features.h"

namespace edgeinfer::edge {
namespace {

constexpr double kPi = 3.14159265358979323846;

TEST(EdgePipeline, WindowFeaturesGatesStats) {
  // 80 s at 1024 Hz: a 25 Hz running tone with noise; a 300 Hz fault tone from 40 s; everything stops at 60 s
  // (machine off: sensor noise only).
  constexpr int kRate = 1024;
  static SensorWindow<3, 2048> window({2048, 1024});
  VibrationFeatureConfig config;  // 8 linear bands of 64 Hz: the fault lands in band 4
  std::vector<float> workspace(VibrationFeatures::workspace_floats(config.fft_length));
  VibrationFeatures features;
  ASSERT_TRUE(features.init(config, workspace.data(), workspace.size()));
  ThresholdGate floor(features.rms_all_index(), 0.1f);
  GatePipeline gates;
  gates.add(floor);
  InferenceStatsConfig stats_config;
  stats_config.score_max = 0.2f;
  stats_config.anomaly_threshold = 0.01f;
  InferenceStats stats(stats_config);

  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> planar(3 * 2048), f(features.num_features());
  int windows = 0;
  for (int i = 0; i < 80 * kRate; ++i) {
    const double t = static_cast<double>(i) / kRate;
    const bool running = i < 60 * kRate, fault = running && i >= 40 * kRate;
    float frame[3];
    for (int a = 0; a < 3; ++a) {
      frame[a] = noise(rng) * (running ? 1.0f : 0.2f);
      if (running) frame[a] += static_cast<float>(0.5 * std::sin(2 * kPi * 25 * t + a));
      if (fault) frame[a] += static_cast<float>(0.3 * std::sin(2 * kPi * 300 * t));
    }
    if (!window.push_frame(frame)) continue;
    window.take();
    ++windows;
    ASSERT_TRUE(window.copy_window(planar.data()));
    ASSERT_TRUE(features.compute(planar.data(), f.data(), features.num_features()));
    const GateResult r = gates.evaluate({f.data(), features.num_features(), static_cast<uint64_t>(i) * 977});
    if (r.decision != GateDecision::kInvoke) {
      stats.record_gated_out();
      continue;
    }
    float score = 0;
    for (int a = 0; a < 3; ++a) score += f[features.axis_offset(a) + VibrationFeatures::kStatsPerAxis + 4];
    stats.record_inference(/*latency_us=*/100.0f, score, f[features.rms_all_index()]);
  }
  // Window k (0-based) covers frames [1024 k, 1024 k + 2048): 79 windows. Those starting at or after 60 s
  // (k >= 60) hold only noise (rms ~0.01) and are gated out; windows 39 .. 59 hold some fault.
  EXPECT_EQ(windows, 79);
  const InferenceStatsSnapshot s = stats.snapshot();
  EXPECT_EQ(s.gated_out, 19u);
  EXPECT_EQ(gates.rejected_by(0), 19u);
  EXPECT_EQ(s.inferences, 60u);
  EXPECT_EQ(s.anomalies, 21u);
  EXPECT_NEAR(s.mean_input_magnitude, 0.36f, 0.05f);  // 0.5 / sqrt(2), more with the fault, less at the end
}

}  // namespace
}  // namespace edgeinfer::edge
