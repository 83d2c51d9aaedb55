// SignalWindow (TFLM's Signal library): multiplies each innermost row of an int16 signal by int16 weights,
// shifts the 32-bit product right (arithmetic) and saturates to int16.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// One row of `size` samples; `shift` in [0, 31].
void apply_window(const int16_t* input, const int16_t* weights, int32_t size, int32_t shift, int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
