#include "platform/cortex_m/stack.h"

extern "C" {
extern uint32_t __stack_limit[];
extern uint32_t __stack_top[];
}

namespace edgeinfer {
namespace cortex_m {

size_t stack_size() {
  return reinterpret_cast<uintptr_t>(__stack_top) - reinterpret_cast<uintptr_t>(__stack_limit);
}

uintptr_t stack_top() {
  return reinterpret_cast<uintptr_t>(__stack_top);
}

uintptr_t stack_pointer() {
  uintptr_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

size_t stack_peak_bytes() {
  const volatile uint32_t* p = __stack_limit;
  while (p < __stack_top && *p == kStackPaint) ++p;
  return reinterpret_cast<uintptr_t>(__stack_top) - reinterpret_cast<uintptr_t>(p);
}

void stack_repaint() {
  // Only below SP, which nothing live occupies (AAPCS has no red zone and no interrupt is enabled). A plain
  // loop, no call: a callee's frame would land in the region being painted.
  volatile uint32_t* p = __stack_limit;
  volatile uint32_t* const end = reinterpret_cast<volatile uint32_t*>(stack_pointer() & ~uintptr_t{3});
  while (p < end) *p++ = kStackPaint;
}

}  // namespace cortex_m
}  // namespace edgeinfer
