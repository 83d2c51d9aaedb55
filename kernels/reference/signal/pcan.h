// SignalPCAN: per-channel automatic gain control (PCAN) of filter bank energies, bit-exact with TFLM's
// ApplyPcanAutoGainControlFixed: the gain for each channel's noise estimate comes from a 125-entry
// piecewise-quadratic table, the gained signal (an SNR with 12 fractional bits) is compressed to 6 bits.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// snr_shift in [0, 63]; gain_lut holds kPcanGainLutSize entries.
void pcan_apply(const uint32_t* input, const uint32_t* noise_estimate, const int16_t* gain_lut,
                int32_t snr_shift, int32_t count, uint32_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
