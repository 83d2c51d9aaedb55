// SignalIrfft (TFLM's Signal library): the inverse real FFT of each innermost row of fft_length / 2 + 1
// complex bins (real, imaginary interleaved) into fft_length samples. int16, int32 and float32, computed as
// TFLM's kissfft does (fft_common.h). Both give the normalized inverse DFT: the fixed-point transforms divide
// in every stage, the float one is divided by fft_length afterwards (TFLM's float wrapper).
#pragma once

#include <cstdint>

#include "kernels/reference/signal/fft_common.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// `rows` rows of fft_length / 2 + 1 bins into rows of fft_length samples. `work` holds fft_length / 2
// complex values.
template <class T>
void irfft_rows(const RealFftPlan<T>& plan, const Complex<T>* input, int64_t rows, T* output,
                Complex<T>* work);

extern template void irfft_rows<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*, int64_t,
                                         int16_t*, Complex<int16_t>*);
extern template void irfft_rows<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*, int64_t,
                                         int32_t*, Complex<int32_t>*);
extern template void irfft_rows<float>(const RealFftPlan<float>&, const Complex<float>*, int64_t, float*,
                                       Complex<float>*);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
