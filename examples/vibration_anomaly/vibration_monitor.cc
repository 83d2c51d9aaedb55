#include "examples/vibration_anomaly/vibration_monitor.h"

#include <cmath>
#include <cstring>

namespace edgeinfer::vibration {
namespace {

// Below this a ratio is treated as this (log10 of 0 is -inf): far below any band of a running machine.
constexpr float kFloorRatio = 1e-9f;

// log10 of a float by our own arithmetic, not libm's: glibc and the Cortex-M C libraries round log10f
// differently in the last bit, and the firmware test requires the device's inputs to equal the host's.
// x = 2^e m with m in [sqrt(1/2), sqrt(2)) by integer arithmetic on the bits, ln m by the atanh series in
// s = (m - 1) / (m + 1) (|s| < 0.172, truncation < 3e-9 relative), then log10 x = ln m log10(e) + e log10(2).
// Only IEEE add, multiply and divide: with -ffp-contract=off, the same bits on every target. Error within a
// few ulp. For positive normal x (callers clamp to >= kFloorRatio); +Inf and NaN pass through.
float log10_positive(float x) {
  if (!(x < 3.4e38f)) return x;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x3f800000u - 0x3f3504f3u;  // offsetting by sqrt(1/2)'s bits moves the exponent boundary there
  const int e = static_cast<int>(bits >> 23) - 127;
  bits = (bits & 0x7fffffu) + 0x3f3504f3u;
  float m;
  std::memcpy(&m, &bits, sizeof m);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float ln_m =
      2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9)))));
  return ln_m * 0.434294481903f + static_cast<float>(e) * 0.301029995664f;
}

float log10_ratio(float value, float total) {
  const float ratio = total > 0 ? value / total : 0;
  return log10_positive(ratio > kFloorRatio ? ratio : kFloorRatio);
}

}  // namespace

bool model_inputs_from_features(const edge::VibrationFeatures& extractor, const float* features,
                                float* inputs, float* level) {
  float total = 0;
  for (int a = 0; a < kAxes; ++a) {
    const float rms = features[extractor.axis_offset(a) + 1];
    total += rms * rms;
  }
  if (!std::isfinite(total)) return false;
  for (int a = 0; a < kAxes; ++a) {
    const float* axis = features + extractor.axis_offset(a);
    float* out = inputs + a * kInputsPerAxis;
    for (int b = 0; b < kBands; ++b)
      out[b] = log10_ratio(axis[edge::VibrationFeatures::kStatsPerAxis + b], total);
    out[kBands] = log10_positive(axis[3] > kFloorRatio ? axis[3] : kFloorRatio);      // crest
    out[kBands + 1] = log10_positive(axis[4] > kFloorRatio ? axis[4] : kFloorRatio);  // kurtosis
  }
  *level = log10_positive(total > kFloorRatio ? total : kFloorRatio);
  for (int i = 0; i < kModelInputs; ++i)
    if (!std::isfinite(inputs[i])) return false;
  return true;
}

bool VibrationMonitor::init(const MonitorConfig& config, const DetectorParams& params, Interpreter* model) {
  config_ = config;
  params_ = params;
  model_ = model;
  error_ = nullptr;
  edge::SensorWindowConfig window;
  window.window_frames = kWindowFrames;
  window.hop_frames = kHopFrames;
  window.min_value = -config.max_abs_g;
  window.max_value = config.max_abs_g;
  if (!window_.configure(window)) return error_ = "sensor window configuration", false;
  edge::VibrationFeatureConfig features;
  features.sample_rate_hz = config.sample_rate_hz;
  features.num_axes = kAxes;
  features.window_length = kWindowFrames;
  features.fft_length = kFftLength;
  features.segment_hop = kFftLength;
  features.num_bands = kBands;
  features.spacing = edge::BandSpacing::kLog;
  features.log_min_hz = 16;
  if (edge::VibrationFeatures::workspace_floats(kFftLength) > sizeof workspace_ / sizeof workspace_[0] ||
      !extractor_.init(features, workspace_, sizeof workspace_ / sizeof workspace_[0]))
    return error_ = "vibration feature configuration", false;
  running_gate_ = edge::ThresholdGate(extractor_.rms_all_index(), config.min_rms_g);
  if (gates_.num_gates() == 0) gates_.add(running_gate_);
  gates_.reset();
  for (int i = 0; i < kModelInputs; ++i)
    if (!(params.input_std[i] > 0)) return error_ = "input standard deviations must be positive", false;
  if (model != nullptr) {
    const Tensor in = model->input(0), out = model->output(0);
    if (in.shape.num_elements() != kModelInputs || out.shape.num_elements() != kModelInputs)
      return error_ = "the model must map 30 inputs to 30 outputs", false;
    if ((in.type != DataType::kInt8 && in.type != DataType::kFloat32) || out.type != in.type)
      return error_ = "the model's input and output must both be int8 or both float32", false;
  }
  edge::InferenceStatsConfig stats;
  stats.score_min = 0;
  stats.score_max = 4 * params.score_threshold;
  stats.num_score_bins = 16;
  stats.anomaly_threshold = params.score_threshold;
  stats_ = edge::InferenceStats(stats);
  above_ = below_ = 0;
  fault_active_ = false;
  if (!drift_.configure(config.drift)) return error_ = "drift configuration", false;
  return true;
}

int VibrationMonitor::push(const float* xyz, int frames, uint64_t now_us, WindowResult* result,
                           bool* window_done) {
  *window_done = false;
  const int used = static_cast<int>(window_.push_block(xyz, static_cast<size_t>(frames)));
  if (window_.ready()) {
    *window_done = process(now_us, result);
  }
  return used;
}

bool VibrationMonitor::score_inputs(const float* inputs, float* score) {
  if (model_ == nullptr) return false;
  Tensor in = model_->input(0);
  float z[kModelInputs];
  for (int i = 0; i < kModelInputs; ++i) z[i] = (inputs[i] - params_.input_mean[i]) / params_.input_std[i];
  if (in.type == DataType::kInt8) {
    const float scale = in.quant.scale(0);
    const int32_t zero = in.quant.zero_point(0);
    int8_t* q = in.data_as<int8_t>();
    for (int i = 0; i < kModelInputs; ++i) {
      const float v = std::round(z[i] / scale) + static_cast<float>(zero);
      q[i] = static_cast<int8_t>(v < -128 ? -128 : v > 127 ? 127 : v);
    }
  } else {
    float* f = in.data_as<float>();
    for (int i = 0; i < kModelInputs; ++i) f[i] = z[i];
  }
  if (!model_->invoke().is_ok()) return false;
  const Tensor out = model_->output(0);
  float sum = 0;
  for (int i = 0; i < kModelInputs; ++i) {
    const float r = out.type == DataType::kInt8
                        ? out.quant.scale(0) *
                              static_cast<float>(out.data_as<const int8_t>()[i] - out.quant.zero_point(0))
                        : out.data_as<const float>()[i];
    sum += (r - z[i]) * (r - z[i]);
  }
  *score = sum / kModelInputs;
  return true;
}

bool VibrationMonitor::process(uint64_t now_us, WindowResult* result) {
  *result = WindowResult();
  window_.copy_window(planar_);
  window_.take();
  if (!extractor_.compute(planar_, features_, static_cast<int32_t>(sizeof features_ / sizeof features_[0])))
    return false;
  result->features = features_;
  result->rms_all = features_[extractor_.rms_all_index()];
  if (!model_inputs_from_features(extractor_, features_, inputs_, &result->level)) return false;
  result->inputs = inputs_;
  const edge::GateResult gate = gates_.evaluate({features_, extractor_.num_features(), now_us});
  if (gate.decision != edge::GateDecision::kInvoke) {
    result->gated_out = true;
    stats_.record_gated_out();
    return true;
  }
  if (model_ == nullptr) return true;
  if (!score_inputs(inputs_, &result->score)) return false;
  result->scored = true;
  stats_.record_inference(0, result->score, result->rms_all);

  // Faults: confirmed over consecutive windows above the threshold, over after consecutive ones below.
  const bool above = result->score > params_.score_threshold;
  if (!fault_active_) {
    above_ = above ? above_ + 1 : 0;
    if (above_ >= config_.confirm_windows) {
      fault_active_ = true;
      below_ = 0;
      result->fault_event = AlertEvent::kFaultStarted;
    }
  } else {
    below_ = above ? 0 : below_ + 1;
    if (below_ >= config_.clear_windows) {
      fault_active_ = false;
      above_ = 0;
      result->fault_event = AlertEvent::kFaultCleared;
    }
  }

  // Drift: only windows that look healthy count, so a fault never reads as drift.
  if (fault_active_ || above) return true;
  const edge::LevelDrift::Event drift = drift_.update(result->level);
  result->drift_statistic = drift_.shift();
  if (drift == edge::LevelDrift::Event::kStarted) result->drift_event = AlertEvent::kDriftStarted;
  if (drift == edge::LevelDrift::Event::kEnded) result->drift_event = AlertEvent::kDriftEnded;
  return true;
}

}  // namespace edgeinfer::vibration
