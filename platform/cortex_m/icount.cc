#include "platform/cortex_m/icount.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

uint64_t g_ticks;
int64_t g_overhead = -1;

#if defined(EI_BOARD_MPS3_AN547)
// SSE-300 system counter (Arm generic timer, memory-mapped counter module): the control frame (secure)
// enables it and can set the count; the read frame gives the 64-bit count.
struct CounterControl {
  volatile uint32_t cntcr;  // bit 0: enable
  volatile uint32_t cntsr;
  volatile uint32_t cntcv_low;
  volatile uint32_t cntcv_high;
};
struct CounterRead {
  volatile uint32_t cntcv_low;
  volatile uint32_t cntcv_high;
};
CounterControl* const counter_control = reinterpret_cast<CounterControl*>(0x58100000u);
const CounterRead* const counter_read = reinterpret_cast<const CounterRead*>(0x48101000u);
uint64_t g_start;

uint64_t read_counter() {
  // The high word may change between the two reads: read it again until it did not.
  uint32_t high = counter_read->cntcv_high;
  for (;;) {
    const uint32_t low = counter_read->cntcv_low;
    const uint32_t high_again = counter_read->cntcv_high;
    if (high_again == high) return (static_cast<uint64_t>(high) << 32) | low;
    high = high_again;
  }
}

}  // namespace

void icount_start_at(uint32_t ticks_before_wrap) {
  counter_control->cntcr = 0;
  const uint64_t value = 0x100000000ull - ticks_before_wrap;
  counter_control->cntcv_low = static_cast<uint32_t>(value);
  counter_control->cntcv_high = static_cast<uint32_t>(value >> 32);
  counter_control->cntcr = 1;
  g_start = read_counter();
  g_ticks = 0;
}

void icount_start() {
  icount_start_at(0);
}

uint64_t icount_ticks() {
  g_ticks = read_counter() - g_start;
  return g_ticks;
}

#else
// CMSDK APB timer registers (Arm DDI 0479C, 4.4).
struct CmsdkTimer {
  volatile uint32_t ctrl;  // bit 0: enable
  volatile uint32_t value;
  volatile uint32_t reload;
  volatile uint32_t intstatus;  // write 1 to clear
};
CmsdkTimer* const timer0 = reinterpret_cast<CmsdkTimer*>(0x40000000u);
constexpr uint32_t kCtrlEnable = 1u << 0;
uint32_t g_last_value;

}  // namespace

void icount_start_at(uint32_t ticks_before_wrap) {
  timer0->ctrl = 0;
  // Reload 0xFFFFFFFF: QEMU wraps one period after reaching 0, so the counter is modulo 2^32 and
  // (previous - current) mod 2^32 is the number of elapsed ticks across a wrap too.
  timer0->reload = 0xFFFFFFFFu;
  timer0->value = ticks_before_wrap;
  timer0->intstatus = 1;
  g_last_value = ticks_before_wrap;
  g_ticks = 0;
  timer0->ctrl = kCtrlEnable;  // no interrupt: wraps are handled by reading
}

void icount_start() {
  icount_start_at(0xFFFFFFFFu);
}

uint64_t icount_ticks() {
  const uint32_t now = timer0->value;
  g_ticks += g_last_value - now;  // down-counter, unsigned wrap-around does the modulo
  g_last_value = now;
  return g_ticks;
}
#endif

uint64_t icount_overhead_instructions() {
  if (g_overhead < 0) {
    // Several samples at different phases of the 5-instruction tick; the smallest is the overhead rounded
    // down to the tick resolution.
    uint64_t best = ~uint64_t{0};
    for (int i = 0; i < 8; ++i) {
      const uint64_t t0 = icount_ticks();
      const uint64_t t1 = icount_ticks();
      const uint64_t n = ticks_to_instructions(t1 - t0);
      if (n < best) best = n;
    }
    g_overhead = static_cast<int64_t>(best);
  }
  return static_cast<uint64_t>(g_overhead);
}

}  // namespace cortex_m
}  // namespace edgeinfer
