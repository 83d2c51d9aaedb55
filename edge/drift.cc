#include "edge/drift.h"

#include <cmath>

namespace edgeinfer {
namespace edge {

float normal_quantile(float p) {
  if (!(p > 0.0f)) return -1e30f;
  if (!(p < 1.0f)) return 1e30f;
  // Phi(z) = erfc(-z / sqrt(2)) / 2 is increasing: bisect on [-10, 10] to float precision.
  double lo = -10, hi = 10;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid * 0.7071067811865476) < p) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return static_cast<float>(0.5 * (lo + hi));
}

float population_stability_index(const uint32_t* expected_counts, uint32_t expected_total,
                                 const uint32_t* actual_counts, uint32_t actual_total, int32_t bins) {
  const float e_den = static_cast<float>(expected_total) + 0.5f * static_cast<float>(bins);
  const float a_den = static_cast<float>(actual_total) + 0.5f * static_cast<float>(bins);
  float psi = 0;
  for (int32_t b = 0; b < bins; ++b) {
    const float e = (static_cast<float>(expected_counts[b]) + 0.5f) / e_den;
    const float a = (static_cast<float>(actual_counts[b]) + 0.5f) / a_den;
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

void PageHinkley::configure(float mean, float std, float delta, float lambda, float clip) {
  mean_ = mean;
  // A constant baseline (std 0) makes every departure the clamp's full size.
  inv_std_ = std > 0 ? 1.0f / std : 1e30f;
  delta_ = delta;
  lambda_ = lambda;
  clip_ = clip;
  up_ = down_ = 0;
  last_up_ = false;
  alarms_ = 0;
}

bool PageHinkley::update(float x) {
  if (!(x == x) || x > 3.4028235e38f || x < -3.4028235e38f) return false;
  float z = (x - mean_) * inv_std_;
  if (z > clip_) z = clip_;
  if (z < -clip_) z = -clip_;
  up_ = up_ + z - delta_;
  if (up_ < 0) up_ = 0;
  down_ = down_ - z - delta_;
  if (down_ < 0) down_ = 0;
  if (up_ > lambda_ || down_ > lambda_) {
    last_up_ = up_ > lambda_;
    if (last_up_) {
      up_ = 0;
    } else {
      down_ = 0;
    }
    ++alarms_;
    return true;
  }
  return false;
}

// The monitor is a header template; this instance makes the freestanding check compile it for Cortex-M.
template class DriftMonitor<64, 10>;

bool LevelDrift::configure(const LevelDriftConfig& config) {
  ok_ = config.baseline_count > 0 && config.tau >= 1 && config.hold >= 1 && config.off >= 0 &&
        config.off <= config.on;
  config_ = config;
  count_ = 0;
  sum_ = 0;
  baseline_ = average_ = 0;
  active_ = false;
  over_ = under_ = 0;
  return ok_;
}

LevelDrift::Event LevelDrift::update(float x) {
  if (!ok_ || !(x - x == 0)) return Event::kNone;  // not configured, or NaN / Inf
  if (!baseline_ready()) {
    sum_ += x;
    if (++count_ == config_.baseline_count) baseline_ = average_ = static_cast<float>(sum_ / count_);
    return Event::kNone;
  }
  average_ += (x - average_) / config_.tau;
  const float d = average_ - baseline_;
  const float distance = d < 0 ? -d : d;
  if (!active_) {
    over_ = distance > config_.on ? over_ + 1 : 0;
    if (over_ >= config_.hold) {
      active_ = true;
      under_ = 0;
      return Event::kStarted;
    }
  } else {
    under_ = distance < config_.off ? under_ + 1 : 0;
    if (under_ >= config_.hold) {
      active_ = false;
      over_ = 0;
      return Event::kEnded;
    }
  }
  return Event::kNone;
}

}  // namespace edge
}  // namespace edgeinfer
