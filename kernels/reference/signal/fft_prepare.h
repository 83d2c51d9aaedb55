// Prepare steps SignalRfft and SignalIrfft share: their tensor and option checks, and the FFT plan with its
// twiddle tables in persistent memory.
#pragma once

#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "kernels/reference/signal/fft_common.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// One int16, int32 or float32 input of rank >= 1, an output of the same type, a "T" option naming that type
// and a supported "fft_length" (stored in `fft_length`).
Status check_fft_op(KernelContext& context, int32_t* fft_length);

// A plan for `fft_length` whose tables live in persistent memory.
template <class T>
Status allocate_real_fft_plan(KernelContext& context, int32_t fft_length, bool inverse,
                              RealFftPlan<T>* plan) {
  auto* tables = static_cast<Complex<T>*>(
      context.allocate_persistent(real_fft_table_entries(fft_length) * sizeof(Complex<T>)));
  if (tables == nullptr) return context.arena_full_error();
  init_real_fft_plan(fft_length, inverse, tables, plan);
  return Status::ok();
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
