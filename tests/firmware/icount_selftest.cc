// Verifies the instruction counter (platform/cortex_m/icount.h) against loops of known length: under
// `-icount shift=3` every loop of k instructions per iteration must measure k * n instructions, to within the
// timer's 5-instruction resolution plus the few instructions of the call. Fails (exit 1) when QEMU runs
// without -icount or with another shift, or when the 32-bit counter's wrap is mishandled.
#include <cstdint>

#include "platform/cortex_m/icount.h"
#include "platform/cortex_m/semihosting.h"

extern "C" {
void ei_loop_k8(uint32_t n);
void ei_loop_k3(uint32_t n);
void ei_loop_k5_mem_fp(uint32_t n);
}

namespace cm = edgeinfer::cortex_m;

namespace {

struct Loop {
  const char* name;
  void (*run)(uint32_t);
  uint32_t k;
};

// Besides the loop itself, a measurement holds the call: loading n, `bl`, the final `bx lr`, and for the
// mem/fp loop its 8 setup and 3 teardown instructions (14 at most). Allow these plus a tick of resolution
// at each end (the overhead subtracted is itself measured to within a tick).
constexpr uint64_t kTickResolution = cm::kInstructionsPerTick;  // 5 at shift 3 on MPS2, 4 on the an547
constexpr int64_t kTolerance = 14 + 2 * static_cast<int64_t>(kTickResolution);

int g_failures = 0;

uint64_t measure(const Loop& loop, uint32_t n) {
  const uint64_t t0 = cm::icount_ticks();
  loop.run(n);
  const uint64_t t1 = cm::icount_ticks();
  return t1 - t0;
}

void report(const char* what, const Loop& loop, uint32_t n, uint64_t ticks) {
  const uint64_t overhead = cm::icount_overhead_instructions();
  const uint64_t raw = cm::ticks_to_instructions(ticks);
  const int64_t measured = static_cast<int64_t>(raw) - static_cast<int64_t>(overhead);
  const int64_t expected = static_cast<int64_t>(loop.k) * n;
  const int64_t diff = measured - expected;
  const bool ok = diff >= -static_cast<int64_t>(kTickResolution) && diff <= kTolerance;
  cm::write("EI icount ");
  cm::write(what);
  cm::write(" ");
  cm::write(loop.name);
  cm::write(" n=");
  cm::write_u64(n);
  cm::write(" ticks=");
  cm::write_u64(ticks);
  cm::write(" expected=");
  cm::write_i64(expected);
  cm::write(" measured=");
  cm::write_i64(measured);
  cm::write(" diff=");
  cm::write_i64(diff);
  cm::write(ok ? " ok\n" : " FAIL\n");
  if (!ok) ++g_failures;
}

}  // namespace

int main() {
  cm::write("EI icount_selftest board=" EI_BOARD_NAME " shift=");
  cm::write_u64(cm::kIcountShift);
  cm::write(" instructions_per_tick=");
  cm::write_u64(kTickResolution);
  cm::write("\n");
  cm::icount_start();
  cm::write("EI icount overhead_instructions=");
  cm::write_u64(cm::icount_overhead_instructions());
  cm::write("\n");

  const Loop loops[] = {
      {"k8_nop", ei_loop_k8, 8}, {"k3_alu", ei_loop_k3, 3}, {"k5_mem_fp", ei_loop_k5_mem_fp, 5}};
  const uint32_t counts[] = {1, 1000, 100000, 1000000};
  for (const Loop& loop : loops) {
    uint64_t previous_ticks = 0;
    uint32_t previous_n = 0;
    for (uint32_t n : counts) {
      const uint64_t ticks = measure(loop, n);
      report("loop", loop, n, ticks);
      // Linearity, free of the call overhead: the extra iterations cost exactly k each (within one tick).
      if (previous_n != 0) {
        const int64_t delta = static_cast<int64_t>(cm::ticks_to_instructions(ticks - previous_ticks));
        const int64_t expected = static_cast<int64_t>(loop.k) * (n - previous_n);
        const bool ok = delta - expected <= static_cast<int64_t>(kTickResolution) &&
                        expected - delta <= static_cast<int64_t>(kTickResolution);
        cm::write("EI icount slope ");
        cm::write(loop.name);
        cm::write(" extra_iterations=");
        cm::write_u64(n - previous_n);
        cm::write(" expected=");
        cm::write_i64(expected);
        cm::write(" measured=");
        cm::write_i64(delta);
        cm::write(ok ? " ok\n" : " FAIL\n");
        if (!ok) ++g_failures;
      }
      previous_ticks = ticks;
      previous_n = n;
    }
  }

  // A 32-bit wrap inside the measurement: start 1000 ticks (5000 instructions on MPS2) before it.
  cm::icount_start_at(1000);
  report("wrap", loops[0], 100000, measure(loops[0], 100000));
  // Several wraps' worth of reads still add up: three back-to-back measurements across the wrap point.
  cm::icount_start_at(100);
  const uint64_t a = measure(loops[1], 1000);
  const uint64_t b = measure(loops[1], 1000);
  report("wrap_repeat", loops[1], 1000, a);
  report("wrap_repeat", loops[1], 1000, b);

  cm::write(g_failures == 0 ? "EI icount_selftest PASSED\n" : "EI icount_selftest FAILED\n");
  return g_failures == 0 ? 0 : 1;
}
