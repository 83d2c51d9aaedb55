// Instruction counting under QEMU, which has no DWT cycle counter.
//
// With `-icount shift=N,align=off,sleep=off` QEMU's virtual clock advances exactly 2^N ns per executed
// instruction, and the CMSDK APB TIMER0 of the MPS2 boards (0x40000000) counts down at the 25 MHz system
// clock, i.e. one tick per 40 ns of virtual time. Hence
//     instructions = ticks * 40 / 2^N        (5 instructions per tick at N = 3, the runner's setting)
// verified by tests/firmware/icount_selftest.cc against hand-written loops of known length. The resolution is
// one tick (40 / 2^N instructions: 5 at N = 3), and a measurement includes the few instructions around the
// two timer reads (icount_overhead_instructions()).
//
// On real hardware the same timer counts 25 MHz bus clock cycles instead, not instructions.
#pragma once

#include <cstdint>

#ifndef EI_ICOUNT_SHIFT
#define EI_ICOUNT_SHIFT 3  // must match qemu_run.sh's -icount shift
#endif

namespace edgeinfer {
namespace cortex_m {

constexpr int kIcountShift = EI_ICOUNT_SHIFT;
constexpr uint32_t kTimerHz = 25000000;                  // MPS2 SYSCLK, TIMER0's clock
constexpr uint32_t kNsPerTick = 1000000000u / kTimerHz;  // 40

// Starts TIMER0 as a free-running 32-bit down-counter (RELOAD = 0xFFFFFFFF) and zeroes the tick count.
void icount_start();
// Test hook: the same, with the counter's current value set to `timer_value`, so a test can make the
// 32-bit counter wrap within a measurement.
void icount_start_at(uint32_t timer_value);

// Ticks since icount_start(), extended to 64 bits in software: each call adds the ticks elapsed since the
// previous call, so calls must come less than 2^32 ticks apart (2^32 * 5 = 2.1e10 instructions at N = 3).
uint64_t icount_ticks();

inline uint64_t ticks_to_instructions(uint64_t ticks) {
  return (ticks * kNsPerTick) >> kIcountShift;
}

// Instructions between the timer reads of two back-to-back icount_ticks() calls (measured once, cached):
// subtract from a measurement to count only the code between the calls.
uint64_t icount_overhead_instructions();

}  // namespace cortex_m
}  // namespace edgeinfer
