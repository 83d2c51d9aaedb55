// SignalFftAutoScale (TFLM's Signal library): shifts an int16 signal left as far as its largest magnitude
// allows and returns the shift, so a 16-bit FFT keeps as much precision as it can.
//
// Reproduces TFLM's quirks: the running maximum is an int16, so -32768 turns it negative (after which any
// larger sample replaces it), and the most significant bit of 0 counts as 32 (its GCC/Clang build), so an
// all-zero or -32768-topped signal gets shift 0.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// Writes `size` scaled samples and returns the shift (0 to 14).
int32_t auto_scale(const int16_t* input, int32_t size, int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
