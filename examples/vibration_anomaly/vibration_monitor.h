// The flagship's device pipeline: 3-axis samples -> sensor window (2 s, every 1 s) -> vibration features ->
// gate (machine running) -> level-invariant model inputs -> int8 autoencoder -> anomaly score -> fault alerts
// (confirmed over consecutive windows) and drift alerts (the slow overall level against its baseline), with
// inference statistics. Freestanding C++17, no heap: the same code runs on the host (the demo) and on a
// Cortex-M4 (the firmware test).
//
// Model inputs (kModelInputs, per axis a then band b): log10(band energy_{a,b} / total energy) for the kBands
// bands of each axis, then log10(crest_a) and log10(kurtosis_a); total energy = sum over axes of rms_a^2. A
// change of the overall level (speed, load, the slow drift of a warming machine) leaves them unchanged; a
// fault changes the spectrum's shape (1x, 2x, the resonance rung by bearing impacts, the harmonics of
// looseness) or the impulsiveness. The level itself, log10(total energy), goes to the drift detector.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/drift.h"
#include "edge/gates.h"
#include "edge/inference_stats.h"
#include "edge/sensor_window.h"
#include "edge/vibration_features.h"
#include "edgeinfer/interpreter.h"

namespace edgeinfer::vibration {

constexpr int kAxes = 3;
constexpr int kBands = 8;
constexpr int kInputsPerAxis = kBands + 2;
constexpr int kModelInputs = kAxes * kInputsPerAxis;
constexpr int kWindowFrames = 2048;  // 2 s at 1024 Hz
constexpr int kHopFrames = 1024;     // a window every second
constexpr int kFftLength = 256;

struct MonitorConfig {
  float sample_rate_hz = 1024;
  float min_rms_g = 0.005f;  // the gate: windows quieter than this (machine stopped) skip the model
  float max_abs_g = 50;      // sensor values beyond this (or NaN, Inf) are invalid: counted, held
  int confirm_windows = 2;   // consecutive windows above the threshold before a fault alert
  int clear_windows = 10;    // consecutive windows at or below it before the fault is over
  // Drift: the level of healthy-looking windows against its mean over the first 30 minutes after
  // deployment (edge::LevelDrift; thresholds in log10 energy: 0.12 is 32% more energy).
  edge::LevelDriftConfig drift;  // in windows: baseline 30 min, average over 30 min, 0.12 for 5 min
};

// What training gives the monitor: the inputs' standardization, the score threshold and the level baseline,
// all from the normal data.
struct DetectorParams {
  float input_mean[kModelInputs] = {};
  float input_std[kModelInputs] = {};
  float score_threshold = 1;
};

enum class AlertEvent : uint8_t { kNone, kFaultStarted, kFaultCleared, kDriftStarted, kDriftEnded };

struct WindowResult {
  bool gated_out = false;     // the gate kept the window from the model
  bool scored = false;        // the model ran (a model was given and the window passed the gate)
  float score = 0;            // mean squared reconstruction error of the standardized inputs
  float level = 0;            // log10(total energy)
  float drift_statistic = 0;  // the averaged level minus the baseline
  float rms_all = 0;
  AlertEvent fault_event = AlertEvent::kNone;
  AlertEvent drift_event = AlertEvent::kNone;
  const float* inputs = nullptr;     // kModelInputs raw (unstandardized) model inputs
  const float* features = nullptr;   // the feature vector (VibrationFeatures layout)
  uint32_t invoke_instructions = 0;  // filled by the caller's measurement, if any
};

// The model inputs of one feature vector (see above); false if the features are not finite.
bool model_inputs_from_features(const edge::VibrationFeatures& extractor, const float* features,
                                float* inputs, float* level);

class VibrationMonitor {
 public:
  // `model`: an allocated interpreter of the autoencoder ([1, kModelInputs] in and out, int8 or float), or
  // null to compute inputs only (collecting training data). False with error() set on a bad configuration.
  bool init(const MonitorConfig& config, const DetectorParams& params, Interpreter* model);
  const char* error() const { return error_; }

  // Takes frames (interleaved x, y, z in g) until a window completes or they run out; returns how many it
  // took. When a window completed, processes it and fills *result and sets *window_done.
  int push(const float* xyz, int frames, uint64_t now_us, WindowResult* result, bool* window_done);

  // The anomaly score of raw model inputs (kModelInputs, as WindowResult::inputs): standardized, run
  // through the model, mean squared reconstruction error. False if there is no model or it fails.
  bool score_inputs(const float* inputs, float* score);

  // An interrupt (e.g. a shock sensor) asks for the next window to be evaluated whatever the gates say.
  void wake() { gates_.wake(); }

  bool fault_active() const { return fault_active_; }
  bool drift_active() const { return drift_.active(); }
  bool baseline_ready() const { return drift_.baseline_ready(); }
  const edge::InferenceStats& stats() const { return stats_; }
  const edge::SensorWindowCounters& sensor_counters() const { return window_.counters(); }
  const edge::GatePipeline& gates() const { return gates_; }
  const edge::VibrationFeatures& features() const { return extractor_; }

 private:
  bool process(uint64_t now_us, WindowResult* result);

  MonitorConfig config_;
  DetectorParams params_;
  Interpreter* model_ = nullptr;
  const char* error_ = nullptr;
  edge::SensorWindow<kAxes, kWindowFrames> window_;
  edge::VibrationFeatures extractor_;
  float workspace_[2048];
  float planar_[kAxes * kWindowFrames];
  float features_[kAxes * (edge::VibrationFeatures::kStatsPerAxis + kBands) + 1];
  float inputs_[kModelInputs];
  edge::ThresholdGate running_gate_{0, 0};
  edge::GatePipeline gates_;
  edge::InferenceStats stats_;
  int above_ = 0, below_ = 0;
  bool fault_active_ = false;
  edge::LevelDrift drift_;
};

}  // namespace edgeinfer::vibration
