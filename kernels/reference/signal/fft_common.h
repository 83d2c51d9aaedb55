// The real FFT behind SignalRfft and SignalIrfft, bit-exact with the kissfft v130 build TFLM uses
// (kiss_fftr over a complex FFT of half the length, in int16 "fixed16", int32 "fixed32" and float).
//
// What byte-exactness needs, and is reproduced here:
//  - the same decomposition: radix 4 stages, then one radix 2 stage when log2(length / 2) is odd, recursing
//    over decimated inputs in kissfft's order;
//  - the same twiddles: cos/sin of the same double phases, rounded as kissfft does (fixed point:
//    floor(0.5 + max * cos), float: cos rounded to float);
//  - fixed point: every butterfly input divided by the radix first (multiplied by max / radix with rounding),
//    products rounded by adding half an LSB and shifting right, sums narrowed to the sample type after each
//    operation (int16 wraps like C's conversion, int32 wraps like two's complement);
//  - float: the same operation order, no fused multiply-add, halving as a multiplication by 0.5f.
//
// Only power-of-two lengths from 4 up are accepted: they need radix 2 and 4 only. Lengths with factors 3 or 5
// would need kissfft's radix 3 and 5 butterflies, not reproduced here; larger factors and length 2 reach
// kissfft's generic butterfly, whose scratch allocation TFLM's patch turns into a null pointer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// One complex value, laid out as TFLM's tensors hold them: real, then imaginary.
template <class T>
struct Complex {
  T real;
  T imag;
};

// Smallest and largest real FFT length accepted (both powers of two).
constexpr int32_t kMinFftLength = 4;
constexpr int32_t kMaxFftLength = 1 << 24;

bool is_supported_fft_length(int32_t fft_length);

// Twiddle tables and factorization of one real FFT of `fft_length` samples in one direction.
template <class T>
struct RealFftPlan {
  int32_t fft_length = 0;  // real samples; the complex FFT inside has fft_length / 2 points
  bool inverse = false;
  int32_t num_stages = 0;
  int32_t radix[32] = {};                      // per stage, outermost first
  int32_t stride[32] = {};                     // points of each stage's sub-transforms (kissfft's "m")
  const Complex<T>* twiddles = nullptr;        // fft_length / 2 entries
  const Complex<T>* super_twiddles = nullptr;  // fft_length / 4 entries
};

// Complex entries of the table memory a plan of `fft_length` needs (twiddles then super twiddles).
size_t real_fft_table_entries(int32_t fft_length);

// Fills `tables` (real_fft_table_entries() entries) and `plan`. `fft_length` must be supported.
template <class T>
void init_real_fft_plan(int32_t fft_length, bool inverse, Complex<T>* tables, RealFftPlan<T>* plan);

// Forward transform of fft_length real samples into fft_length / 2 + 1 bins. `input` is the samples viewed
// as fft_length / 2 complex pairs; `work` holds fft_length / 2 complex values. Fixed point results carry
// kissfft's 1 / fft_length scaling.
template <class T>
void real_fft_forward(const RealFftPlan<T>& plan, const Complex<T>* input, Complex<T>* output,
                      Complex<T>* work);

// Inverse transform of fft_length / 2 + 1 bins into fft_length real samples, written as fft_length / 2
// complex pairs to `output`; `work` holds fft_length / 2 complex values. Fixed point results are the inverse
// DFT with its 1 / fft_length normalization (each stage divides as it goes); float results are fft_length
// times that (kissfft does not normalize).
template <class T>
void real_fft_inverse(const RealFftPlan<T>& plan, const Complex<T>* input, Complex<T>* output,
                      Complex<T>* work);

extern template void init_real_fft_plan<int16_t>(int32_t, bool, Complex<int16_t>*, RealFftPlan<int16_t>*);
extern template void init_real_fft_plan<int32_t>(int32_t, bool, Complex<int32_t>*, RealFftPlan<int32_t>*);
extern template void init_real_fft_plan<float>(int32_t, bool, Complex<float>*, RealFftPlan<float>*);
extern template void real_fft_forward<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*,
                                               Complex<int16_t>*, Complex<int16_t>*);
extern template void real_fft_forward<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*,
                                               Complex<int32_t>*, Complex<int32_t>*);
extern template void real_fft_forward<float>(const RealFftPlan<float>&, const Complex<float>*,
                                             Complex<float>*, Complex<float>*);
extern template void real_fft_inverse<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*,
                                               Complex<int16_t>*, Complex<int16_t>*);
extern template void real_fft_inverse<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*,
                                               Complex<int32_t>*, Complex<int32_t>*);
extern template void real_fft_inverse<float>(const RealFftPlan<float>&, const Complex<float>*,
                                             Complex<float>*, Complex<float>*);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
