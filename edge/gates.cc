#include "edge/gates.h"

namespace edgeinfer {
namespace edge {

bool ThresholdGate::check(const GateInput& input) {
  if (input.features == nullptr || index_ < 0 || index_ >= input.num_features) return false;
  return input.features[index_] >= threshold_;  // false for NaN
}

void RateLimitGate::reset() {
  any_ = false;
  last_pass_us_ = 0;
  tokens_ = capacity_;
  refilled_at_us_ = 0;
}

// Tokens at `now_us`: whole refill intervals since the last refill, capped. A full bucket restarts the
// refill clock, so a token spent from it comes back one interval after it was spent.
void RateLimitGate::refill(uint64_t now_us, uint32_t* tokens, uint64_t* refilled_at) const {
  *tokens = tokens_;
  *refilled_at = refilled_at_us_;
  if (capacity_ == 0) return;
  if (*tokens < capacity_ && now_us > *refilled_at) {
    const uint64_t intervals = (now_us - *refilled_at) / refill_us_;
    const uint64_t room = capacity_ - *tokens;
    const uint64_t add = intervals < room ? intervals : room;
    *tokens += static_cast<uint32_t>(add);
    *refilled_at += add * refill_us_;
  }
  if (*tokens >= capacity_) *refilled_at = now_us;
}

uint32_t RateLimitGate::tokens(uint64_t now_us) const {
  uint32_t tokens;
  uint64_t at;
  refill(now_us, &tokens, &at);
  return tokens;
}

bool RateLimitGate::check(const GateInput& input) {
  if (any_) {
    if (input.now_us < last_pass_us_) return false;  // the clock went backwards: stay conservative
    if (input.now_us - last_pass_us_ < min_interval_us_) return false;
  }
  return capacity_ == 0 || tokens(input.now_us) > 0;
}

bool RateLimitGate::commit(const GateInput& input) {
  if (capacity_ > 0) {
    refill(input.now_us, &tokens_, &refilled_at_us_);
    if (tokens_ > 0) --tokens_;
  }
  any_ = true;
  last_pass_us_ = input.now_us;
  return true;
}

bool BatchGate::commit(const GateInput& input) {
  if (count_ == k_) count_ = 0;  // the previous batch went to the model
  if (storage_ != nullptr && per_window_ > 0) {
    float* slot = storage_ + static_cast<size_t>(count_) * per_window_;
    for (int32_t i = 0; i < per_window_; ++i) {
      slot[i] = input.features != nullptr && i < input.num_features ? input.features[i] : 0.0f;
    }
  }
  ++count_;
  return count_ == k_;
}

bool DutyCycleGate::active(uint64_t now_us) const {
  if (sleep_us_ == 0) return true;
  if (now_us < start_us_) return false;  // not started yet: asleep
  return (now_us - start_us_) % (active_us_ + sleep_us_) < active_us_;
}

uint64_t DutyCycleGate::sleep_remaining_us(uint64_t now_us) const {
  if (sleep_us_ == 0) return 0;
  if (now_us < start_us_) return start_us_ - now_us;
  const uint64_t phase = (now_us - start_us_) % (active_us_ + sleep_us_);
  return phase < active_us_ ? 0 : active_us_ + sleep_us_ - phase;
}

bool DutyCycleGate::sleep_if_due(uint64_t now_us) {
  const uint64_t remaining = sleep_remaining_us(now_us);
  if (remaining == 0) return false;
  if (hook_ != nullptr) hook_(user_, remaining);
  return true;
}

bool GatePipeline::add(Gate& gate) {
  if (num_gates_ == kMaxGates) return false;
  gates_[num_gates_++] = &gate;
  return true;
}

GateResult GatePipeline::evaluate(const GateInput& input) {
  GateResult result;
  ++counters_.windows;
  if (wake_.exchange(false, std::memory_order_acq_rel)) {
    ++counters_.woken;
    ++counters_.invoked;
    result.decision = GateDecision::kInvoke;
    result.woken = true;
    return result;
  }
  for (int32_t i = 0; i < num_gates_; ++i) {
    if (!gates_[i]->check(input)) {
      ++rejected_by_[i];
      ++counters_.rejected;
      result.gate = i;
      return result;
    }
  }
  result.decision = GateDecision::kInvoke;
  for (int32_t i = 0; i < num_gates_; ++i) {
    if (!gates_[i]->commit(input) && result.decision == GateDecision::kInvoke) {
      result.decision = GateDecision::kHold;
      result.gate = i;
    }
  }
  if (result.decision == GateDecision::kHold) {
    ++counters_.held;
  } else {
    ++counters_.invoked;
  }
  return result;
}

void GatePipeline::reset() {
  for (int32_t i = 0; i < num_gates_; ++i) {
    gates_[i]->reset();
    rejected_by_[i] = 0;
  }
  counters_ = GatePipelineCounters{};
  wake_.store(false, std::memory_order_release);
}

}  // namespace edge
}  // namespace edgeinfer
