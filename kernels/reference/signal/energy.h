// SignalEnergy (TFLM's Signal library): squared magnitude real^2 + imag^2 of complex int16 bins, as uint32,
// for bins in [start_index, end_index). Bins outside that range are set to zero, as the op's documentation
// says (TFLM leaves them untouched, which in a fresh arena is zero too).
#pragma once

#include <cstdint>

#include "kernels/reference/signal/fft_common.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// `size` bins of `input` into `size` energies; 0 <= start <= end <= size.
void spectrum_energy(const Complex<int16_t>* input, int32_t size, int32_t start, int32_t end,
                     uint32_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
