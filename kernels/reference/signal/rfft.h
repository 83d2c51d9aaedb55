// SignalRfft (TFLM's Signal library): the real FFT of each innermost row, zero-padded to fft_length, as
// fft_length / 2 + 1 complex bins (real, imaginary interleaved). int16, int32 and float32, computed as
// TFLM's kissfft does (fft_common.h); integer outputs are scaled by 1 / fft_length.
#pragma once

#include <cstdint>

#include "kernels/reference/signal/fft_common.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// `rows` rows of `input_length` (<= fft_length) samples into rows of fft_length / 2 + 1 bins. `scratch`
// holds fft_length complex values.
template <class T>
void rfft_rows(const RealFftPlan<T>& plan, const T* input, int32_t input_length, int64_t rows,
               Complex<T>* output, Complex<T>* scratch);

extern template void rfft_rows<int16_t>(const RealFftPlan<int16_t>&, const int16_t*, int32_t, int64_t,
                                        Complex<int16_t>*, Complex<int16_t>*);
extern template void rfft_rows<int32_t>(const RealFftPlan<int32_t>&, const int32_t*, int32_t, int64_t,
                                        Complex<int32_t>*, Complex<int32_t>*);
extern template void rfft_rows<float>(const RealFftPlan<float>&, const float*, int32_t, int64_t,
                                      Complex<float>*, Complex<float>*);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
