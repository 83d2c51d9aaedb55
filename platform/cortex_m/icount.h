// Instruction counting under QEMU, which has no DWT cycle counter.
//
// With `-icount shift=N,align=off,sleep=off` QEMU's virtual clock advances exactly 2^N ns per executed
// instruction, and a timer clocked at F Hz ticks once per 10^9 / F ns of virtual time. Hence
//     instructions = ticks * 10^9 / (F * 2^N)
// The timer is the board's:
//   MPS2 (an386, an500): CMSDK APB TIMER0 at 0x40000000, 25 MHz SYSCLK: 5 instructions per tick at N = 3.
//     A 32-bit down-counter, extended to 64 bits in software.
//   MPS3 an547 (SSE-300): the system counter (CNTCV, 64 bits, control frame 0x58100000, read frame
//     0x48101000), clocked at 32 MHz: 3.90625 instructions per tick at N = 3.
// Verified by tests/firmware/icount_selftest.cc against hand-written loops of known length. The resolution
// is one tick, and a measurement includes the few instructions around the two timer reads
// (icount_overhead_instructions()).
//
// On real hardware the same timers count clock cycles instead, not instructions.
#pragma once

#include <cstdint>

#ifndef EI_ICOUNT_SHIFT
#define EI_ICOUNT_SHIFT 3  // must match qemu_run.sh's -icount shift
#endif

namespace edgeinfer {
namespace cortex_m {

constexpr int kIcountShift = EI_ICOUNT_SHIFT;
#ifndef EI_ICOUNT_TIMER_HZ
#define EI_ICOUNT_TIMER_HZ 25000000  // MPS2 SYSCLK (platform/cortex_m/cortex_m.cmake sets it per board)
#endif
constexpr uint64_t kTimerHz = EI_ICOUNT_TIMER_HZ;
// Instructions per tick, rounded up: the counter's resolution.
constexpr uint64_t kInstructionsPerTick =
    (1000000000ull + (kTimerHz << kIcountShift) - 1) / (kTimerHz << kIcountShift);

// Starts the timer (MPS2: TIMER0 free-running from RELOAD = 0xFFFFFFFF) and zeroes the tick count.
void icount_start();
// Test hook: the same, with the counter `ticks_before_wrap` ticks before its low 32 bits wrap, so a test can
// make a measurement cross the wrap (MPS2: the 32-bit counter itself; an547: the carry into CNTCV's high
// word, which a torn 64-bit read would get wrong).
void icount_start_at(uint32_t ticks_before_wrap);

// Ticks since icount_start(). MPS2: extended to 64 bits in software, each call adding the ticks elapsed
// since the previous call, so calls must come less than 2^32 ticks apart (2.1e10 instructions at N = 3).
uint64_t icount_ticks();

inline uint64_t ticks_to_instructions(uint64_t ticks) {
  // ticks * 10^9 fits 64 bits up to 1.8e10 ticks (7e10 instructions at N = 3).
  return ticks * 1000000000ull / (kTimerHz << kIcountShift);
}

// Instructions between the timer reads of two back-to-back icount_ticks() calls (measured once, cached):
// subtract from a measurement to count only the code between the calls.
uint64_t icount_overhead_instructions();

}  // namespace cortex_m
}  // namespace edgeinfer
