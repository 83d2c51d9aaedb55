#include "edge/gates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace edgeinfer::edge {
namespace {

GateInput at(uint64_t now_us, const float* features = nullptr, int32_t n = 0) {
  return {features, n, now_us};
}

TEST(EdgeGates, ThresholdPassesAtOrAboveTheFloor) {
  ThresholdGate gate(1, 0.5f);
  const float quiet[2] = {9.0f, 0.49f};
  const float loud[2] = {0.0f, 0.5f};
  const float nan[2] = {0.0f, std::nanf("")};
  EXPECT_FALSE(gate.check(at(0, quiet, 2)));
  EXPECT_TRUE(gate.check(at(0, loud, 2)));
  EXPECT_FALSE(gate.check(at(0, nan, 2)));
  EXPECT_FALSE(gate.check(at(0, loud, 1)));  // feature index out of range
  EXPECT_FALSE(gate.check(at(0)));
  gate.set_threshold(0.4f);
  EXPECT_TRUE(gate.check(at(0, quiet, 2)));
}

TEST(EdgeGates, RateLimitMinimumInterval) {
  RateLimitGate gate(1000);
  std::vector<uint64_t> passed;
  for (uint64_t t = 0; t <= 3000; t += 300) {
    if (gate.check(at(t))) {
      gate.commit(at(t));
      passed.push_back(t);
    }
  }
  EXPECT_EQ(passed, (std::vector<uint64_t>{0, 1200, 2400}));
  EXPECT_FALSE(gate.check(at(2000)));  // before the last pass: a clock going backwards never passes
}

TEST(EdgeGates, RateLimitCheckDoesNotSpend) {
  RateLimitGate gate(0, 1, 1000);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(gate.check(at(10)));
  gate.commit(at(10));
  EXPECT_FALSE(gate.check(at(10)));
}

TEST(EdgeGates, RateLimitTokenBucketBurstThenRefill) {
  RateLimitGate gate(0, 3, 1000);  // bursts of 3, one token per ms
  int passed = 0;
  for (int i = 0; i < 10; ++i) {
    if (gate.check(at(100))) {
      gate.commit(at(100));
      ++passed;
    }
  }
  EXPECT_EQ(passed, 3);
  EXPECT_EQ(gate.tokens(1099), 0u);
  EXPECT_EQ(gate.tokens(1100), 1u);
  EXPECT_EQ(gate.tokens(2600), 2u);
  EXPECT_EQ(gate.tokens(50000), 3u);  // capped
  // Steady state: windows every 100 us for 1 s pass at the refill rate, 1 per ms.
  passed = 0;
  for (uint64_t t = 1000; t < 101000; t += 100) {
    if (gate.check(at(t))) {
      gate.commit(at(t));
      ++passed;
    }
  }
  EXPECT_EQ(passed, 100);
}

TEST(EdgeGates, BatchHoldsUntilKAndStoresFeatures) {
  float storage[3 * 2];
  BatchGate gate(3, storage, 2);
  std::vector<bool> invoke;
  for (int i = 0; i < 7; ++i) {
    const float f[2] = {static_cast<float>(i), 10.0f + i};
    ASSERT_TRUE(gate.check(at(i, f, 2)));
    invoke.push_back(gate.commit(at(i, f, 2)));
    if (i == 5) {
      EXPECT_EQ(gate.collected(), 3);
      EXPECT_EQ(std::vector<float>(gate.batch(), gate.batch() + 6),
                (std::vector<float>{3, 13, 4, 14, 5, 15}));
    }
  }
  EXPECT_EQ(invoke, (std::vector<bool>{false, false, true, false, false, true, false}));
  EXPECT_EQ(gate.collected(), 1);
  EXPECT_EQ(storage[0], 6.0f);
}

TEST(EdgeGates, DutyCycleActiveThenAsleepWithHook) {
  struct Slept {
    int calls = 0;
    uint64_t last = 0;
  } slept;
  auto hook = [](void* user, uint64_t us) {
    auto* s = static_cast<Slept*>(user);
    ++s->calls;
    s->last = us;
  };
  DutyCycleGate gate(2000, 8000, 1000, hook, &slept);  // 2 ms on, 8 ms off, from t = 1 ms
  EXPECT_FALSE(gate.check(at(500)));                   // before the start
  EXPECT_TRUE(gate.check(at(1000)));
  EXPECT_TRUE(gate.check(at(2999)));
  EXPECT_FALSE(gate.check(at(3000)));
  EXPECT_FALSE(gate.check(at(10999)));
  EXPECT_TRUE(gate.check(at(11000)));
  EXPECT_EQ(gate.sleep_remaining_us(2500), 0u);
  EXPECT_FALSE(gate.sleep_if_due(2500));
  EXPECT_EQ(slept.calls, 0);
  EXPECT_TRUE(gate.sleep_if_due(4000));
  EXPECT_EQ(slept.calls, 1);
  EXPECT_EQ(slept.last, 7000u);  // until 11000
  DutyCycleGate always(1000, 0);
  EXPECT_TRUE(always.check(at(123456)));
  EXPECT_FALSE(always.sleep_if_due(123456));
}

TEST(EdgeGates, PipelineRecordsWhichGateRejected) {
  ThresholdGate threshold(0, 1.0f);
  RateLimitGate rate(10000);
  GatePipeline pipeline;
  ASSERT_TRUE(pipeline.add(threshold));
  ASSERT_TRUE(pipeline.add(rate));
  const float quiet[1] = {0.5f}, loud[1] = {2.0f};
  EXPECT_EQ(pipeline.evaluate(at(0, loud, 1)).decision, GateDecision::kInvoke);
  const GateResult r1 = pipeline.evaluate(at(1000, quiet, 1));
  EXPECT_EQ(r1.decision, GateDecision::kReject);
  EXPECT_EQ(r1.gate, 0);
  const GateResult r2 = pipeline.evaluate(at(2000, loud, 1));
  EXPECT_EQ(r2.decision, GateDecision::kReject);
  EXPECT_EQ(r2.gate, 1);
  EXPECT_EQ(pipeline.evaluate(at(10000, loud, 1)).decision, GateDecision::kInvoke);
  EXPECT_EQ(pipeline.rejected_by(0), 1u);
  EXPECT_EQ(pipeline.rejected_by(1), 1u);
  EXPECT_EQ(pipeline.counters().windows, 4u);
  EXPECT_EQ(pipeline.counters().invoked, 2u);
  EXPECT_EQ(pipeline.counters().rejected, 2u);
}

TEST(EdgeGates, RejectionByALaterGateSpendsNoToken) {
  RateLimitGate rate(0, 1, 1000000);
  ThresholdGate threshold(0, 1.0f);
  GatePipeline pipeline;
  pipeline.add(rate);
  pipeline.add(threshold);
  const float quiet[1] = {0.0f}, loud[1] = {2.0f};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pipeline.evaluate(at(i, quiet, 1)).gate, 1);
  EXPECT_EQ(pipeline.evaluate(at(10, loud, 1)).decision, GateDecision::kInvoke);  // the token was still there
  EXPECT_EQ(pipeline.evaluate(at(20, loud, 1)).gate, 0);
}

TEST(EdgeGates, PipelineHoldsForBatch) {
  BatchGate batch(2);
  GatePipeline pipeline;
  pipeline.add(batch);
  const GateResult r = pipeline.evaluate(at(0));
  EXPECT_EQ(r.decision, GateDecision::kHold);
  EXPECT_EQ(r.gate, 0);
  EXPECT_EQ(pipeline.evaluate(at(1)).decision, GateDecision::kInvoke);
  EXPECT_EQ(pipeline.counters().held, 1u);
  EXPECT_EQ(pipeline.counters().invoked, 1u);
}

TEST(EdgeGates, WakeBypassesGatesOnceWithoutChangingTheirState) {
  ThresholdGate threshold(0, 1.0f);
  RateLimitGate rate(0, 1, 1000000);
  BatchGate batch(2);
  GatePipeline pipeline;
  pipeline.add(threshold);
  pipeline.add(rate);
  pipeline.add(batch);
  const float quiet[1] = {0.0f}, loud[1] = {2.0f};
  EXPECT_EQ(pipeline.evaluate(at(0, loud, 1)).decision, GateDecision::kHold);  // batch 1 of 2, token spent
  pipeline.wake();
  EXPECT_TRUE(pipeline.wake_pending());
  const GateResult woken = pipeline.evaluate(at(1, quiet, 1));  // the threshold would reject it
  EXPECT_EQ(woken.decision, GateDecision::kInvoke);
  EXPECT_TRUE(woken.woken);
  EXPECT_FALSE(pipeline.wake_pending());
  EXPECT_EQ(batch.collected(), 1);                        // the batch is untouched
  EXPECT_EQ(pipeline.evaluate(at(2, quiet, 1)).gate, 0);  // once only
  EXPECT_EQ(pipeline.evaluate(at(3, loud, 1)).gate, 1);   // no token: the wake did not refill it
  EXPECT_EQ(pipeline.counters().woken, 1u);
  EXPECT_EQ(pipeline.counters().invoked, 1u);
}

TEST(EdgeGates, PipelineCapacityAndReset) {
  BatchGate gates[GatePipeline::kMaxGates + 1] = {BatchGate(1), BatchGate(1), BatchGate(1),
                                                  BatchGate(1), BatchGate(1), BatchGate(1),
                                                  BatchGate(1), BatchGate(1), BatchGate(1)};
  GatePipeline pipeline;
  for (int i = 0; i < GatePipeline::kMaxGates; ++i) EXPECT_TRUE(pipeline.add(gates[i]));
  EXPECT_FALSE(pipeline.add(gates[GatePipeline::kMaxGates]));
  EXPECT_EQ(pipeline.evaluate(at(0)).decision, GateDecision::kInvoke);
  pipeline.wake();
  pipeline.reset();
  EXPECT_FALSE(pipeline.wake_pending());
  EXPECT_EQ(pipeline.counters().windows, 0u);
}

}  // namespace
}  // namespace edgeinfer::edge
