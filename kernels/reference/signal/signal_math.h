// Integer math of TFLM's Signal front end (bit-exact with signal/src at TFLM 90b983c): most significant bit,
// rounded integer square roots, the fixed-point natural log of the filter bank log op and the PCAN gain
// lookup and shrink. All unsigned arithmetic wraps as in TFLM; nothing here has undefined behaviour for any
// argument the ops pass (see each function's precondition).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// 1-based position of the highest set bit: 1 for x == 1, 32 for x >= 2^31. Callers never pass 0 (returns 0).
int msb32(uint32_t x);
int msb64(uint64_t x);

// floor(sqrt(x)) from a bit-by-bit square root, then rounded up when the remainder exceeds the root (unless
// the root is already the largest the result type holds).
uint16_t sqrt32(uint32_t x);
// Values below 2^32 take the 32-bit path (TFLM's shortcut, slightly different rounding near 2^32).
uint32_t sqrt64(uint64_t x);

// Number of entries of the piecewise-linear correction table log2(1 + f) - f, f = i / 128, in units of
// 2^-16 (rounded); the last entry is f = 1.
constexpr int kLog2CorrectionEntries = 129;
uint16_t log2_correction(int index);

// round(ln(x) * out_scale) from 16-bit fixed-point log2 with a 128-segment correction table; x >= 2.
// out_scale * ln(x) * 2^16 is formed in uint32 and wraps, as TFLM's does.
uint32_t log_scaled(uint32_t x, uint32_t out_scale);

// PCAN: the gain for noise estimate `noise`, interpolated from `lut` (three coefficients per octave, plus
// lut[0..2] for noise 0..2). Reads lut[0..124] at most: callers guarantee kPcanGainLutSize entries.
constexpr int kPcanGainLutSize = 125;
int16_t pcan_gain(uint32_t noise, const int16_t* lut);
// PCAN: compresses an SNR with 12 fractional bits to an output with 6: x^2 / 4 below 2, x - 1 above.
uint32_t pcan_shrink(uint32_t snr);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
