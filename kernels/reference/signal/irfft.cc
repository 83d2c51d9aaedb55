#include "kernels/reference/signal/irfft.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/fft_prepare.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

// TFLM's float wrapper undoes kissfft's unscaled inverse; the integer variants keep kissfft's scaling.
template <class T>
void normalize(T*, int32_t) {}
template <>
void normalize<float>(float* row, int32_t fft_length) {
  for (int32_t i = 0; i < fft_length; ++i) row[i] /= static_cast<float>(fft_length);
}

}  // namespace

template <class T>
void irfft_rows(const RealFftPlan<T>& plan, const Complex<T>* input, int64_t rows, T* output,
                Complex<T>* work) {
  const int32_t n = plan.fft_length;
  for (int64_t row = 0; row < rows; ++row) {
    T* out = output + row * n;
    // kissfft writes the samples as (even, odd) pairs straight into the output row.
    real_fft_inverse(plan, input + row * (n / 2 + 1), reinterpret_cast<Complex<T>*>(out), work);
    normalize(out, n);
  }
}

template void irfft_rows<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*, int64_t, int16_t*,
                                  Complex<int16_t>*);
template void irfft_rows<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*, int64_t, int32_t*,
                                  Complex<int32_t>*);
template void irfft_rows<float>(const RealFftPlan<float>&, const Complex<float>*, int64_t, float*,
                                Complex<float>*);

namespace {

template <class T>
struct IrfftOpData {
  RealFftPlan<T> plan;
  int64_t rows;
  int scratch_index;
};

template <class T>
Status irfft_prepare_typed(KernelContext& context, int32_t fft_length, int64_t rows) {
  auto* data = static_cast<IrfftOpData<T>*>(context.allocate_persistent(sizeof(IrfftOpData<T>)));
  if (data == nullptr) return context.arena_full_error();
  EI_RETURN_IF_ERROR(allocate_real_fft_plan(context, fft_length, /*inverse=*/true, &data->plan));
  data->rows = rows;
  EI_RETURN_IF_ERROR(context.request_scratch(static_cast<size_t>(fft_length / 2) * sizeof(Complex<T>),
                                             &data->scratch_index));
  context.set_op_data(data);
  return Status::ok();
}

Status irfft_prepare(KernelContext& context) {
  int32_t fft_length = 0;
  EI_RETURN_IF_ERROR(check_fft_op(context, &fft_length));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int32_t bins = fft_length / 2 + 1;
  if (input.shape.dim_from_end(1) != 2 * bins) {
    return Status::error(StatusCode::kInvalidModel,
                         "input rows have %ld values, expected %ld (%ld complex bins of fft_length %ld)",
                         static_cast<long>(input.shape.dim_from_end(1)), static_cast<long>(2 * bins),
                         static_cast<long>(bins), static_cast<long>(fft_length));
  }
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", with_last_dim(input.shape, fft_length)));
  const int64_t rows = input.num_elements() / (2 * bins);
  switch (input.type) {
    case DataType::kInt16: return irfft_prepare_typed<int16_t>(context, fft_length, rows);
    case DataType::kInt32: return irfft_prepare_typed<int32_t>(context, fft_length, rows);
    default: return irfft_prepare_typed<float>(context, fft_length, rows);
  }
}

template <class T>
Status irfft_eval_typed(KernelContext& context) {
  const auto* d = context.op_data_as<IrfftOpData<T>>();
  irfft_rows(d->plan, context.input(0).data_as<const Complex<T>>(), d->rows, context.output(0).data_as<T>(),
             static_cast<Complex<T>*>(context.scratch(d->scratch_index)));
  return Status::ok();
}

Status irfft_eval(KernelContext& context) {
  switch (context.input(0).type) {
    case DataType::kInt16: return irfft_eval_typed<int16_t>(context);
    case DataType::kInt32: return irfft_eval_typed<int32_t>(context);
    default: return irfft_eval_typed<float>(context);
  }
}

}  // namespace

const Kernel& irfft() {
  static const Kernel kernel = {"reference/signal_irfft", irfft_prepare, irfft_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
