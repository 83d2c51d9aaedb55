// A multi-axis sensor window: a ring buffer of interleaved frames (one sample per axis) that yields the
// latest `window_frames` frames every `hop_frames` frames (e.g. 2 s windows every 1 s). Freestanding: the
// capacity is a template parameter, nothing is allocated.
//
// Invalid values (NaN, +-Inf, outside [min_value, max_value]) are counted per reason and never stored.
// InvalidPolicy says what replaces them:
//  - kHoldLast (default): the value is replaced by that axis's last good value (0 before any), so the frame
//    still counts and a window always spans exactly window_frames sample periods (the time base the
//    features' frequencies rely on stays right);
//  - kDropFrame: the whole frame is dropped (all axes), so the axes stay aligned, but a window then spans
//    more wall-clock time than window_frames periods.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {
namespace edge {

enum class InvalidPolicy { kHoldLast, kDropFrame };

struct SensorWindowConfig {
  int32_t window_frames = 2048;  // frames per window (1 <= window_frames <= capacity)
  int32_t hop_frames = 1024;     // frames between consecutive windows (>= 1)
  float min_value = -1e30f;      // values outside [min_value, max_value] are invalid
  float max_value = 1e30f;
  InvalidPolicy policy = InvalidPolicy::kHoldLast;
};

struct SensorWindowCounters {
  uint64_t frames_pushed = 0;   // frames offered by the caller
  uint64_t frames_stored = 0;   // frames written into the ring (pushed minus dropped)
  uint64_t frames_dropped = 0;  // kDropFrame only
  uint64_t nan_values = 0;      // per value, not per frame
  uint64_t inf_values = 0;
  uint64_t out_of_range_values = 0;
  uint64_t values_replaced = 0;  // kHoldLast only
  uint64_t windows_ready = 0;    // window boundaries reached
  uint64_t windows_missed = 0;   // boundaries that passed while an earlier window was not yet taken
};

template <int kAxes, int kCapacityFrames>
class SensorWindow {
  static_assert(kAxes >= 1, "at least one axis");
  static_assert(kCapacityFrames >= 1, "capacity must be positive");

 public:
  static constexpr int kNumAxes = kAxes;
  static constexpr float kFloatMax = 3.40282347e38f;
  static constexpr int kCapacity = kCapacityFrames;

  SensorWindow() = default;
  explicit SensorWindow(const SensorWindowConfig& config) { configure(config); }

  // Returns false (and keeps the window unusable) if the configuration does not fit the capacity.
  bool configure(const SensorWindowConfig& config) {
    config_ = config;
    // A finite range makes the fast path's two comparisons reject NaN and +-Inf as well.
    if (!(config_.min_value > -kFloatMax)) config_.min_value = -kFloatMax;
    if (!(config_.max_value < kFloatMax)) config_.max_value = kFloatMax;
    ok_ = config.window_frames >= 1 && config.window_frames <= kCapacityFrames && config.hop_frames >= 1 &&
          config.min_value <= config.max_value;
    reset();
    return ok_;
  }
  bool ok() const { return ok_; }
  const SensorWindowConfig& config() const { return config_; }

  // Forgets all samples and counters.
  void reset() {
    write_ = 0;
    filled_ = 0;
    until_window_ = config_.window_frames;
    ready_ = false;
    counters_ = SensorWindowCounters{};
  }

  // Pushes one frame (kAxes values, one per axis). Returns true if a window became ready with this frame.
  [[gnu::always_inline]] inline bool push_frame(const float* frame) {
    if (!ok_) return false;
    ++counters_.frames_pushed;
    float* slot = ring_ + static_cast<size_t>(write_) * kAxes;
    // Fast path: the range test, false for NaN and (the range being finite) for +-Inf. Nothing is
    // written before the frame is known good: with a full ring, `slot` still holds the oldest frame of the
    // current window.
    bool all_valid = true;
    for (int a = 0; a < kAxes; ++a) {
      const float v = frame[a];
      all_valid &= (v >= config_.min_value) & (v <= config_.max_value);
    }
    if (all_valid) {
      for (int a = 0; a < kAxes; ++a) slot[a] = frame[a];
    } else if (!repair(frame, slot)) {
      ++counters_.frames_dropped;
      return false;
    }
    write_ = write_ + 1 == kCapacityFrames ? 0 : write_ + 1;
    if (filled_ < kCapacityFrames) ++filled_;
    ++counters_.frames_stored;
    return advance();
  }

  // Pushes up to `frames` interleaved frames and stops right after the frame that makes a window ready, so
  // that no window is skipped: call again with the rest after taking the window. Returns frames consumed.
  size_t push_block(const float* interleaved, size_t frames) {
    for (size_t i = 0; i < frames; ++i) {
      if (push_frame(interleaved + i * kAxes)) return i + 1;
    }
    return frames;
  }

  // A window is ready: window_frames frames stored and hop_frames stored since the previous window (the
  // first window comes as soon as window_frames frames are stored).
  bool ready() const { return ready_; }

  // Marks the ready window as taken; the next one comes hop_frames stored frames after it.
  void take() { ready_ = false; }

  // The latest window_frames values of `axis`, oldest first, into `out` (window_frames floats). Valid once
  // at least window_frames frames are stored; returns false otherwise.
  bool copy_axis(int axis, float* out) const {
    if (!ok_ || axis < 0 || axis >= kAxes || filled_ < config_.window_frames) return false;
    int32_t start = write_ - config_.window_frames;
    // Two contiguous runs (before and after the wrap) keep the wrap test out of the copy loop.
    int32_t first_run = config_.window_frames;
    if (start < 0) {
      start += kCapacityFrames;
      first_run = kCapacityFrames - start;
    }
    const float* src = ring_ + static_cast<size_t>(start) * kAxes + axis;
    for (int32_t i = 0; i < first_run; ++i) out[i] = src[static_cast<size_t>(i) * kAxes];
    src = ring_ + axis;
    for (int32_t i = first_run; i < config_.window_frames; ++i) {
      out[i] = src[static_cast<size_t>(i - first_run) * kAxes];
    }
    return true;
  }

  // All axes de-interleaved: axis a's window at out + a * window_frames (kAxes * window_frames floats).
  bool copy_window(float* out) const {
    for (int a = 0; a < kAxes; ++a) {
      if (!copy_axis(a, out + static_cast<size_t>(a) * config_.window_frames)) return false;
    }
    return true;
  }

  const SensorWindowCounters& counters() const { return counters_; }

 private:
  // True if `v` is valid; otherwise counts why it is not.
  bool classify(float v) {
    if (v != v) {
      ++counters_.nan_values;
      return false;
    }
    if (v - v != 0.0f) {
      ++counters_.inf_values;
      return false;
    }
    if (v < config_.min_value || v > config_.max_value) {
      ++counters_.out_of_range_values;
      return false;
    }
    return true;
  }

  // Slow path for a frame with an invalid value: counts every invalid value; kHoldLast writes the frame to
  // `slot` with each invalid value replaced by the axis's previous stored value (the last good one, since
  // replacements repeat it; 0 before any), kDropFrame writes nothing and says to drop it.
  [[gnu::noinline]] bool repair(const float* frame, float* slot) {
    bool valid[kAxes];
    for (int a = 0; a < kAxes; ++a) valid[a] = classify(frame[a]);
    if (config_.policy == InvalidPolicy::kDropFrame) return false;
    const int32_t previous = write_ == 0 ? kCapacityFrames - 1 : write_ - 1;
    for (int a = 0; a < kAxes; ++a) {
      if (valid[a]) {
        slot[a] = frame[a];
      } else {
        slot[a] = counters_.frames_stored == 0 ? 0.0f : ring_[static_cast<size_t>(previous) * kAxes + a];
        ++counters_.values_replaced;
      }
    }
    return true;
  }

  // Window boundaries fall after stored frame W, W + hop, W + 2 hop, ... (W = window_frames); a countdown
  // rather than a modulo of the 64-bit frame count, which costs a library call per frame on a Cortex-M.
  bool advance() {
    if (--until_window_ > 0) return false;
    until_window_ = config_.hop_frames;
    if (ready_) ++counters_.windows_missed;
    ready_ = true;
    ++counters_.windows_ready;
    return true;
  }

  SensorWindowConfig config_{};
  bool ok_ = false;
  float ring_[static_cast<size_t>(kAxes) * kCapacityFrames] = {};
  int32_t write_ = 0;         // next slot to write
  int32_t filled_ = 0;        // slots holding data (saturates at capacity)
  int32_t until_window_ = 0;  // stored frames until the next window boundary
  bool ready_ = false;
  SensorWindowCounters counters_{};
};

}  // namespace edge
}  // namespace edgeinfer
