// SignalFilterBankSpectralSubtraction: per channel, a low-pass noise estimate of the signal (state kept
// across invokes, zero at start) is subtracted from it, never leaving less than min_signal_remaining of the
// signal. Bit-exact with TFLM's FilterbankSpectralSubtraction: products in uint64, results truncated to
// uint32, coefficients in units of 2^-spectral_subtraction_bits.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

struct SpectralSubtractionParams {
  int32_t num_channels = 0;
  uint32_t smoothing = 0;  // even channels
  uint32_t one_minus_smoothing = 0;
  uint32_t alternate_smoothing = 0;  // odd channels
  uint32_t alternate_one_minus_smoothing = 0;
  uint32_t min_signal_remaining = 0;
  int32_t smoothing_bits = 0;             // [0, 31]: extra fractional bits of the estimate
  int32_t spectral_subtraction_bits = 0;  // [0, 63]
  bool clamping = false;                  // pull the estimate down to the signal when it exceeds it
};

// Updates `noise_estimate` (num_channels values) with `input` and writes the subtracted signal to `output`.
void spectral_subtraction(const SpectralSubtractionParams& params, const uint32_t* input, uint32_t* output,
                          uint32_t* noise_estimate);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
