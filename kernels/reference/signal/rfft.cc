#include "kernels/reference/signal/rfft.h"

#include <cstring>

#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/fft_prepare.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

template <class T>
void rfft_rows(const RealFftPlan<T>& plan, const T* input, int32_t input_length, int64_t rows,
               Complex<T>* output, Complex<T>* scratch) {
  const int32_t half = plan.fft_length / 2;
  Complex<T>* padded = scratch;  // the row as fft_length / 2 (even, odd) sample pairs
  Complex<T>* work = scratch + half;
  for (int64_t row = 0; row < rows; ++row) {
    unsigned char* bytes = reinterpret_cast<unsigned char*>(padded);
    std::memcpy(bytes, input + row * input_length, sizeof(T) * input_length);
    std::memset(bytes + sizeof(T) * input_length, 0, sizeof(T) * (plan.fft_length - input_length));
    real_fft_forward(plan, padded, output + row * (half + 1), work);
  }
}

template void rfft_rows<int16_t>(const RealFftPlan<int16_t>&, const int16_t*, int32_t, int64_t,
                                 Complex<int16_t>*, Complex<int16_t>*);
template void rfft_rows<int32_t>(const RealFftPlan<int32_t>&, const int32_t*, int32_t, int64_t,
                                 Complex<int32_t>*, Complex<int32_t>*);
template void rfft_rows<float>(const RealFftPlan<float>&, const float*, int32_t, int64_t, Complex<float>*,
                               Complex<float>*);

namespace {

template <class T>
struct RfftOpData {
  RealFftPlan<T> plan;
  int32_t input_length;
  int64_t rows;
  int scratch_index;
};

template <class T>
Status rfft_prepare_typed(KernelContext& context, int32_t fft_length, int32_t input_length, int64_t rows) {
  auto* data = static_cast<RfftOpData<T>*>(context.allocate_persistent(sizeof(RfftOpData<T>)));
  if (data == nullptr) return context.arena_full_error();
  EI_RETURN_IF_ERROR(allocate_real_fft_plan(context, fft_length, /*inverse=*/false, &data->plan));
  data->input_length = input_length;
  data->rows = rows;
  EI_RETURN_IF_ERROR(
      context.request_scratch(static_cast<size_t>(fft_length) * sizeof(Complex<T>), &data->scratch_index));
  context.set_op_data(data);
  return Status::ok();
}

Status rfft_prepare(KernelContext& context) {
  int32_t fft_length = 0;
  EI_RETURN_IF_ERROR(check_fft_op(context, &fft_length));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int32_t input_length = input.shape.dim_from_end(1);
  if (input_length < 1 || input_length > fft_length) {
    return Status::error(StatusCode::kInvalidModel,
                         "input rows have %ld samples, expected 1 to fft_length %ld",
                         static_cast<long>(input_length), static_cast<long>(fft_length));
  }
  EI_RETURN_IF_ERROR(
      check_shape(output.shape, "output", with_last_dim(input.shape, (fft_length / 2 + 1) * 2)));
  const int64_t rows = input.num_elements() / input_length;
  switch (input.type) {
    case DataType::kInt16: return rfft_prepare_typed<int16_t>(context, fft_length, input_length, rows);
    case DataType::kInt32: return rfft_prepare_typed<int32_t>(context, fft_length, input_length, rows);
    default: return rfft_prepare_typed<float>(context, fft_length, input_length, rows);
  }
}

template <class T>
Status rfft_eval_typed(KernelContext& context) {
  const auto* d = context.op_data_as<RfftOpData<T>>();
  rfft_rows(d->plan, context.input(0).data_as<const T>(), d->input_length, d->rows,
            context.output(0).data_as<Complex<T>>(),
            static_cast<Complex<T>*>(context.scratch(d->scratch_index)));
  return Status::ok();
}

Status rfft_eval(KernelContext& context) {
  switch (context.input(0).type) {
    case DataType::kInt16: return rfft_eval_typed<int16_t>(context);
    case DataType::kInt32: return rfft_eval_typed<int32_t>(context);
    default: return rfft_eval_typed<float>(context);
  }
}

}  // namespace

const Kernel& rfft() {
  static const Kernel kernel = {"reference/signal_rfft", rfft_prepare, rfft_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
