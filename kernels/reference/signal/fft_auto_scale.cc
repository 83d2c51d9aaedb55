#include "kernels/reference/signal/fft_auto_scale.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

// TFLM's MaxAbs16: the maximum is kept in an int16, so negating -32768 wraps to -32768.
int16_t max_abs16(const int16_t* input, int32_t size) {
  int16_t max = 0;
  for (int32_t i = 0; i < size; ++i) {
    const int16_t value = input[i];
    if (value > max) {
      max = value;
    } else if (-value > max) {
      max = static_cast<int16_t>(-value);
    }
  }
  return max;
}

// Index of the most significant set bit, counting from 1; 32 for 0 (TFLM's __builtin_clz path).
int32_t most_significant_bit32(uint32_t x) {
  return x != 0 ? 32 - __builtin_clz(x) : 32;
}

}  // namespace

int32_t auto_scale(const int16_t* input, int32_t size, int16_t* output) {
  const int16_t max = max_abs16(input, size);
  // A negative maximum converts to a large unsigned value, as in TFLM.
  int32_t scale_bits = 16 - most_significant_bit32(static_cast<uint32_t>(static_cast<int32_t>(max))) - 1;
  if (scale_bits <= 0) scale_bits = 0;
  for (int32_t i = 0; i < size; ++i) {
    // The product fits int32; narrowing wraps like TFLM's assignment (only after the -32768 quirk).
    output[i] = static_cast<int16_t>(static_cast<int32_t>(input[i]) * (int32_t{1} << scale_bits));
  }
  return scale_bits;
}

namespace {

struct FftAutoScaleOpData {
  int32_t size;
};

Status fft_auto_scale_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 2));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const Tensor scale_bits = context.output(1);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(scale_bits, "scale_bits output", {DataType::kInt32}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", input.shape));
  EI_RETURN_IF_ERROR(check_rank(scale_bits, "scale_bits output", 0));
  return store_op_data(context, FftAutoScaleOpData{input.shape.dim(0)});
}

Status fft_auto_scale_eval(KernelContext& context) {
  const auto* d = context.op_data_as<FftAutoScaleOpData>();
  *context.output(1).data_as<int32_t>() =
      auto_scale(context.input(0).data_as<const int16_t>(), d->size, context.output(0).data_as<int16_t>());
  return Status::ok();
}

}  // namespace

const Kernel& fft_auto_scale() {
  static const Kernel kernel = {"reference/signal_fft_auto_scale", fft_auto_scale_prepare,
                                fft_auto_scale_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
