#include "kernels/reference/signal/signal_math.h"

#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

// round((log2(1 + i / 128) - i / 128) * 65536), i = 0 .. 128 (the unit test recomputes it).
constexpr uint16_t kLog2Correction[kLog2CorrectionEntries] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944,
    3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791,
    4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578,
    5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498,
    5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697,
    4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286,
    3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353,
    1224, 1094, 963,  830,  695,  559,  421,  282,  142,  0,
};

constexpr int kLogFractionBits = 16;  // log2 values carry 16 fractional bits
constexpr int kLogSegmentBits = 7;    // 128 table segments per octave
constexpr uint32_t kLogHalf = 1u << (kLogFractionBits - 1);
constexpr uint64_t kLn2Q16 = 45426;  // ln(2) * 2^16

// Square root by the digit-by-digit method in U (uint32_t or uint64_t), as TFLM's Sqrt32 / Sqrt64.
template <class U>
U rounded_sqrt(U x, int x_msb) {
  constexpr int kBits = static_cast<int>(sizeof(U)) * 8;
  // Leading zeros, made odd so that the first trial bit sits on an even position (a power of four).
  const int leading = (kBits - x_msb) | 1;
  U bit = static_cast<U>(U(1) << (kBits - 1 - leading));
  int steps = (kBits - 1 - leading) / 2 + 1;
  U root = 0;
  while (steps-- > 0) {
    if (x >= root + bit) {
      x -= root + bit;
      root = static_cast<U>((root >> 1) + bit);
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  constexpr U kLargestRoot = static_cast<U>((U(1) << (kBits / 2)) - 1);
  if (x > root && root != kLargestRoot) ++root;
  return root;
}

// The fractional part of log2(x) in Q16, x in [2^int_part, 2^(int_part + 1)).
uint32_t log2_fraction(uint32_t x, uint32_t int_part) {
  // The bits below the leading one, aligned to 16 fractional bits. Fits int32: it is below 2^31.
  int32_t frac = static_cast<int32_t>(x - (uint32_t{1} << int_part));
  if (int_part < kLogFractionBits) {
    frac <<= kLogFractionBits - int_part;
  } else {
    frac >>= int_part - kLogFractionBits;
  }
  // The correction at the segment start plus a step toward the next entry. TFLM scales the step by 2^-16
  // rather than by the segment width 2^-9, so it stays within a few units; kept for exactness. (The product
  // may be negative: the shift rounds toward minus infinity, as TFLM's does on its targets.)
  const uint32_t segment = static_cast<uint32_t>(frac) >> (kLogFractionBits - kLogSegmentBits);
  const int32_t c0 = kLog2Correction[segment];
  const int32_t c1 = kLog2Correction[segment + 1];
  const int32_t segment_start = static_cast<int32_t>(segment << (kLogFractionBits - kLogSegmentBits));
  const int32_t step = ((c1 - c0) * (frac - segment_start)) >> kLogFractionBits;
  return static_cast<uint32_t>(frac + c0 + step);
}

}  // namespace

int msb32(uint32_t x) {
  return x == 0 ? 0 : 32 - __builtin_clz(x);
}

int msb64(uint64_t x) {
  return x == 0 ? 0 : 64 - __builtin_clzll(x);
}

uint16_t sqrt32(uint32_t x) {
  if (x == 0) return 0;
  return static_cast<uint16_t>(rounded_sqrt<uint32_t>(x, msb32(x)));
}

uint32_t sqrt64(uint64_t x) {
  if ((x >> 32) == 0) return sqrt32(static_cast<uint32_t>(x));
  return static_cast<uint32_t>(rounded_sqrt<uint64_t>(x, msb64(x)));
}

uint16_t log2_correction(int index) {
  return kLog2Correction[index];
}

uint32_t log_scaled(uint32_t x, uint32_t out_scale) {
  const uint32_t int_part = static_cast<uint32_t>(msb32(x)) - 1;
  const uint32_t log2_q16 = (int_part << kLogFractionBits) + log2_fraction(x, int_part);
  const uint32_t ln_q16 = static_cast<uint32_t>((kLn2Q16 * log2_q16 + kLogHalf) >> kLogFractionBits);
  // uint32 on purpose: large scales wrap here in TFLM too.
  return (out_scale * ln_q16 + kLogHalf) >> kLogFractionBits;
}

namespace {
constexpr int kPcanSnrBits = 12;
constexpr int kPcanOutputBits = 6;
constexpr int kPcanFracBits = 10;  // position within an octave: the bits below the leading one
}  // namespace

int16_t pcan_gain(uint32_t noise, const int16_t* lut) {
  if (noise <= 2) return lut[noise];
  // Octave `interval` (2 .. 32) owns three coefficients starting at 4 * interval - 6.
  const int interval = msb32(noise);
  const int16_t* c = lut + 4 * interval - 6;
  const uint32_t aligned = interval <= kPcanFracBits ? noise << (kPcanFracBits + 1 - interval)
                                                     : noise >> (interval - kPcanFracBits - 1);
  const int32_t frac = static_cast<int32_t>(aligned & ((1u << kPcanFracBits) - 1));
  // Quadratic in frac with Q15 coefficients; the intermediate products wrap in int32 as in TFLM.
  int32_t acc = (static_cast<int32_t>(c[2]) * frac) >> 5;
  acc = wrapping_add(acc, static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(c[1])) << 5));
  acc = wrapping_mul(acc, frac);
  acc = wrapping_add(acc, 1 << 14) >> 15;
  acc = wrapping_add(acc, c[0]);
  return static_cast<int16_t>(acc);
}

uint32_t pcan_shrink(uint32_t snr) {
  if (snr < (2u << kPcanSnrBits)) return (snr * snr) >> (2 + 2 * kPcanSnrBits - kPcanOutputBits);
  return (snr >> (kPcanSnrBits - kPcanOutputBits)) - (1u << kPcanOutputBits);
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
