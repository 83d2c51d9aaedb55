// The Armv7E-M DSP instructions the optimized Cortex-M kernels use, as ACLE intrinsics (arm_acle.h) when the
// target has them (__ARM_FEATURE_DSP: Cortex-M4/M7/M33/M55), and as plain C++ with the same results
// elsewhere, so that the same kernels also build and get tested on the host (under the sanitizers) and on
// cores without the extension.
//
// Every function is exact: the portable versions compute bit for bit what the instruction does (modular
// 32-bit sums for SMLAD, saturation for QADD/SSAT), never "close enough".
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define EI_HAVE_ARM_DSP 1
#else
#define EI_HAVE_ARM_DSP 0
#endif

namespace edgeinfer {
namespace cortex_m {

// Four bytes from any address (the DSP loads tolerate unaligned words on M4/M7; memcpy compiles to one LDR).
inline uint32_t load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_u32(void* p, uint32_t v) {
  std::memcpy(p, &v, sizeof v);
}

namespace portable {
inline int32_t low_half(uint32_t x) {
  return static_cast<int16_t>(x & 0xFFFFu);
}
inline int32_t high_half(uint32_t x) {
  return static_cast<int16_t>(x >> 16);
}
inline uint32_t pack_halves(int32_t low, int32_t high) {
  return (static_cast<uint32_t>(low) & 0xFFFFu) | (static_cast<uint32_t>(high) << 16);
}
}  // namespace portable

// SXTB16: bytes 0 and 2 of `x`, sign-extended to the two 16-bit halves.
inline uint32_t sxtb16(uint32_t x) {
#if EI_HAVE_ARM_DSP
  return __sxtb16(x);
#else
  return portable::pack_halves(static_cast<int8_t>(x & 0xFF), static_cast<int8_t>((x >> 16) & 0xFF));
#endif
}

// SXTB16 with ROR #8: bytes 1 and 3, sign-extended to the two halves.
inline uint32_t sxtb16_ror8(uint32_t x) {
#if EI_HAVE_ARM_DSP
  // GCC 12's arm_acle.h has no __ror, and GCC does not fold a rotate into SXTB16's operand: one instruction.
  uint32_t result;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(result) : "r"(x));
  return result;
#else
  return sxtb16((x >> 8) | (x << 24));
#endif
}

// SXTAB16: `acc`'s halves plus bytes 0 and 2 of `x` sign-extended, each half modulo 2^16.
inline uint32_t sxtab16(uint32_t acc, uint32_t x) {
#if EI_HAVE_ARM_DSP
  return __sxtab16(acc, x);
#else
  const uint32_t e = sxtb16(x);
  return portable::pack_halves(portable::low_half(acc) + portable::low_half(e),
                               portable::high_half(acc) + portable::high_half(e));
#endif
}

// SMLAD: acc + low(x) * low(y) + high(x) * high(y), modulo 2^32 (the Q flag it may set is ignored), which is
// TensorFlow Lite's wrapping int32 accumulation.
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) {
#if EI_HAVE_ARM_DSP
  return __smlad(x, y, acc);
#else
  const uint32_t sum = static_cast<uint32_t>(acc) +
                       static_cast<uint32_t>(portable::low_half(x) * portable::low_half(y)) +
                       static_cast<uint32_t>(portable::high_half(x) * portable::high_half(y));
  return static_cast<int32_t>(sum);
#endif
}

// SMLADX: acc + low(x) * high(y) + high(x) * low(y), modulo 2^32.
inline int32_t smladx(uint32_t x, uint32_t y, int32_t acc) {
#if EI_HAVE_ARM_DSP
  return __smladx(x, y, acc);
#else
  const uint32_t sum = static_cast<uint32_t>(acc) +
                       static_cast<uint32_t>(portable::low_half(x) * portable::high_half(y)) +
                       static_cast<uint32_t>(portable::high_half(x) * portable::low_half(y));
  return static_cast<int32_t>(sum);
#endif
}

// PKHBT / PKHTB: halves from two registers.
inline uint32_t pack_low_halves(uint32_t low_from, uint32_t high_from) {  // {low(low_from), low(high_from)}
  return (low_from & 0xFFFFu) | (high_from << 16);
}
inline uint32_t pack_high_halves(uint32_t low_from,
                                 uint32_t high_from) {  // {high(low_from), high(high_from)}
  return (low_from >> 16) | (high_from & 0xFFFF0000u);
}

// QADD: a + b saturated to int32.
inline int32_t qadd(int32_t a, int32_t b) {
#if EI_HAVE_ARM_DSP
  return __qadd(a, b);
#else
  const int64_t sum = static_cast<int64_t>(a) + b;
  return sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : static_cast<int32_t>(sum);
#endif
}

// ---- Added for depthwise_conv_2d / average_pool_2d (per-channel 16-bit lanes) ----

// SXTAB16 with ROR #8: `acc`'s halves plus bytes 1 and 3 of `x` sign-extended, each half modulo 2^16.
inline uint32_t sxtab16_ror8(uint32_t acc, uint32_t x) {
#if EI_HAVE_ARM_DSP
  uint32_t result;  // one instruction, as in sxtb16_ror8()
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(result) : "r"(acc), "r"(x));
  return result;
#else
  return sxtab16(acc, (x >> 8) | (x << 24));
#endif
}

// SMLABB: acc + low(x) * low(y), modulo 2^32 (Q flag ignored).
inline int32_t smlabb(uint32_t x, uint32_t y, int32_t acc) {
#if EI_HAVE_ARM_DSP
  return __smlabb(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
#else
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(portable::low_half(x) * portable::low_half(y)));
#endif
}

// SMLATT: acc + high(x) * high(y), modulo 2^32 (Q flag ignored).
inline int32_t smlatt(uint32_t x, uint32_t y, int32_t acc) {
#if EI_HAVE_ARM_DSP
  return __smlatt(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
#else
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(portable::high_half(x) * portable::high_half(y)));
#endif
}

// SMLABT: acc + low(x) * high(y), modulo 2^32 (Q flag ignored).
inline int32_t smlabt(uint32_t x, uint32_t y, int32_t acc) {
#if EI_HAVE_ARM_DSP
  return __smlabt(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
#else
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(portable::low_half(x) * portable::high_half(y)));
#endif
}

// SADD16: the two halves added, each modulo 2^16.
inline uint32_t sadd16(uint32_t x, uint32_t y) {
#if EI_HAVE_ARM_DSP
  return static_cast<uint32_t>(__sadd16(static_cast<int16x2_t>(x), static_cast<int16x2_t>(y)));
#else
  return portable::pack_halves(portable::low_half(x) + portable::low_half(y),
                               portable::high_half(x) + portable::high_half(y));
#endif
}

// ---- Added for conv_2d / fully_connected (matmul_int8) ----

// The two 32-bit halves of the 64-bit word at p[kIndex] (8-byte aligned), with one LDRD on Cortex-M (GCC
// splits a uint64_t load into two LDRs when both halves are used separately).
template <int kIndex>
inline void load_pair(const uint64_t* p, uint32_t* low, uint32_t* high) {
#if EI_HAVE_ARM_DSP
  __asm__("ldrd %0, %1, [%2, #%c3]" : "=r"(*low), "=r"(*high) : "r"(p), "n"(kIndex * 8), "m"(p[kIndex]));
#else
  const uint64_t v = p[kIndex];
  *low = static_cast<uint32_t>(v);
  *high = static_cast<uint32_t>(v >> 32);
#endif
}

// ---- Added for the block-sparse loops ----

// RBIT: the bits of x in reverse order (GCC 12's arm_acle.h has no __rbit).
inline uint32_t rbit(uint32_t x) {
#if EI_HAVE_ARM_DSP
  uint32_t result;
  __asm__("rbit %0, %1" : "=r"(result) : "r"(x));
  return result;
#else
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
  x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
  return (x >> 16) | (x << 16);
#endif
}

// SSAT #8: x saturated to [-128, 127].
inline int32_t saturate_int8(int32_t x) {
#if defined(__ARM_FEATURE_SAT) && __ARM_FEATURE_SAT
  return __ssat(x, 8);
#else
  return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

}  // namespace cortex_m
}  // namespace edgeinfer
