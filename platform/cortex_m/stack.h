// Stack high-water measurement by painting: the reset code fills the stack region with a known word;
// the deepest overwritten word shows how much stack the program ever used.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {
namespace cortex_m {

constexpr uint32_t kStackPaint = 0xDEADBEEFu;  // same value as in startup.S

// Bytes reserved for the stack (linker symbol __stack_size).
size_t stack_size();
// Deepest stack use since reset (or since the last stack_repaint()), in bytes from the top of the stack.
size_t stack_peak_bytes();
// Current stack pointer.
uintptr_t stack_pointer();
// Repaints the free part of the stack (below the current stack pointer), so that a following
// stack_peak_bytes() - (top - stack_pointer()) tells what a call made from here used. Call it from the frame
// the measured call is made from.
void stack_repaint();
// Top of the stack (the initial SP).
uintptr_t stack_top();

}  // namespace cortex_m
}  // namespace edgeinfer
