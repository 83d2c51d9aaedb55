// Gates decide, window by window, whether the model runs. A GatePipeline runs its gates in order:
//  1. a pending wake-on-event (wake(), safe to call from an interrupt handler) lets the window through to
//     the model at once, alone, bypassing every gate (no gate's state changes: no token is spent, a batch
//     being collected stays as it is);
//  2. otherwise each gate's check() looks at the window without changing state; the first that says no
//     rejects it, and that gate's rejection count goes up;
//  3. if all agree, every gate's commit() records the window (a rate limit spends its token, a batch stores
//     it); a gate whose commit() returns false holds the window (a batch not yet full), else the model runs.
// Time is whatever monotonic clock the caller passes, in microseconds (no OS clock here). Gates hold no
// heap memory; the pipeline holds pointers to gates the caller owns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace edgeinfer {
namespace edge {

// What a gate sees of one window.
struct GateInput {
  const float* features = nullptr;
  int32_t num_features = 0;
  uint64_t now_us = 0;
};

class Gate {
 public:
  virtual const char* name() const = 0;
  // Would this window pass? Must not change state.
  virtual bool check(const GateInput& input) = 0;
  // The window passed every gate: record it. Return false to hold it (the model does not run yet).
  virtual bool commit(const GateInput& /*input*/) { return true; }
  virtual void reset() {}

 protected:
  // Not virtual: gates are never deleted through a Gate* (no heap), and a virtual destructor would pull in
  // operator delete.
  ~Gate() = default;
};

// Passes windows whose feature `feature_index` is >= `threshold` (e.g. overall RMS above the noise floor).
// A missing or NaN feature is rejected.
class ThresholdGate : public Gate {
 public:
  ThresholdGate(int32_t feature_index, float threshold) : index_(feature_index), threshold_(threshold) {}
  const char* name() const override { return "threshold"; }
  bool check(const GateInput& input) override;
  void set_threshold(float threshold) { threshold_ = threshold; }
  float threshold() const { return threshold_; }

 private:
  int32_t index_;
  float threshold_;
};

// At most one window per `min_interval_us` (0: no interval) and, with `bucket_capacity` > 0, a token
// bucket: one token per window, one token back every `refill_interval_us`, at most bucket_capacity
// stored; the bucket starts full. Integer time arithmetic: no drift over long runs.
class RateLimitGate : public Gate {
 public:
  RateLimitGate(uint64_t min_interval_us, uint32_t bucket_capacity = 0, uint64_t refill_interval_us = 0)
      : min_interval_us_(min_interval_us),
        capacity_(refill_interval_us > 0 ? bucket_capacity : 0),
        refill_us_(refill_interval_us) {
    reset();
  }
  const char* name() const override { return "rate_limit"; }
  bool check(const GateInput& input) override;
  bool commit(const GateInput& input) override;
  void reset() override;
  uint32_t tokens(uint64_t now_us) const;

 private:
  void refill(uint64_t now_us, uint32_t* tokens, uint64_t* refilled_at) const;

  uint64_t min_interval_us_;
  uint32_t capacity_;
  uint64_t refill_us_;
  bool any_ = false;
  uint64_t last_pass_us_ = 0;
  uint32_t tokens_ = 0;
  uint64_t refilled_at_us_ = 0;
  bool started_ = false;  // the refill clock starts at the first window seen
};

// Collects K windows per model invocation: holds windows 1 .. K-1, lets the K-th through. With `storage`
// (K * features_per_window floats), it keeps each window's features there, oldest first, for the caller
// to run the model on the whole batch when the pipeline says kInvoke.
class BatchGate : public Gate {
 public:
  BatchGate(int32_t batch_size, float* storage = nullptr, int32_t features_per_window = 0)
      : k_(batch_size < 1 ? 1 : batch_size), storage_(storage), per_window_(features_per_window) {}
  const char* name() const override { return "batch"; }
  bool check(const GateInput&) override { return true; }
  bool commit(const GateInput& input) override;
  void reset() override { count_ = 0; }
  int32_t batch_size() const { return k_; }
  int32_t collected() const { return count_; }  // windows in the current (or just completed) batch
  const float* batch() const { return storage_; }

 private:
  int32_t k_;
  float* storage_;
  int32_t per_window_;
  int32_t count_ = 0;
};

// The platform's sleep: called with how long to sleep; may return early (an interrupt).
using SleepHook = void (*)(void* user, uint64_t duration_us);

// Active for `active_us`, asleep for `sleep_us`, repeating from `start_us`. Windows arriving while asleep
// are rejected; sleep_if_due() calls the platform's hook for the rest of the sleep period.
class DutyCycleGate : public Gate {
 public:
  DutyCycleGate(uint64_t active_us, uint64_t sleep_us, uint64_t start_us = 0, SleepHook hook = nullptr,
                void* hook_user = nullptr)
      : active_us_(active_us), sleep_us_(sleep_us), start_us_(start_us), hook_(hook), user_(hook_user) {}
  const char* name() const override { return "duty_cycle"; }
  bool check(const GateInput& input) override { return active(input.now_us); }
  bool active(uint64_t now_us) const;
  // Time left in the current sleep period (0 while active).
  uint64_t sleep_remaining_us(uint64_t now_us) const;
  // If asleep, calls the hook with the time left and returns true.
  bool sleep_if_due(uint64_t now_us);

 private:
  uint64_t active_us_, sleep_us_, start_us_;
  SleepHook hook_;
  void* user_;
};

enum class GateDecision { kReject, kHold, kInvoke };

struct GateResult {
  GateDecision decision = GateDecision::kReject;
  int32_t gate = -1;   // kReject: the rejecting gate; kHold: the holding gate; else -1
  bool woken = false;  // kInvoke because of wake()
};

struct GatePipelineCounters {
  uint64_t windows = 0;
  uint64_t invoked = 0;  // model runs (woken ones included)
  uint64_t held = 0;
  uint64_t woken = 0;
  uint64_t rejected = 0;
};

class GatePipeline {
 public:
  static constexpr int32_t kMaxGates = 8;

  // Appends a gate (owned by the caller, must outlive the pipeline); false when full.
  bool add(Gate& gate);
  int32_t num_gates() const { return num_gates_; }
  const Gate& gate(int32_t i) const { return *gates_[i]; }

  GateResult evaluate(const GateInput& input);

  // Wake-on-event: the next window is evaluated by the model whatever the gates say. Interrupt-safe.
  void wake() { wake_.store(true, std::memory_order_release); }
  bool wake_pending() const { return wake_.load(std::memory_order_acquire); }

  const GatePipelineCounters& counters() const { return counters_; }
  uint64_t rejected_by(int32_t gate) const { return rejected_by_[gate]; }
  // Resets counters and every gate's state.
  void reset();

 private:
  Gate* gates_[kMaxGates] = {};
  int32_t num_gates_ = 0;
  uint64_t rejected_by_[kMaxGates] = {};
  GatePipelineCounters counters_{};
  std::atomic<bool> wake_{false};
};

}  // namespace edge
}  // namespace edgeinfer
