#include "kernels/reference/signal/window.h"

#include <cstdint>

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void apply_window(const int16_t* input, const int16_t* weights, int32_t size, int32_t shift,
                  int16_t* output) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t product = (static_cast<int32_t>(input[i]) * weights[i]) >> shift;
    output[i] = static_cast<int16_t>(product < INT16_MIN   ? INT16_MIN
                                     : product > INT16_MAX ? INT16_MAX
                                                           : product);
  }
}

namespace {

struct WindowOpData {
  int32_t shift;
  int32_t row_size;
  int64_t rows;
};

Status window_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor weights = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(weights, "weights", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_min_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_rank(weights, "weights", 1));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", input.shape));
  const int32_t row_size = input.shape.dim_from_end(1);
  if (weights.shape.dim(0) != row_size) {
    return Status::error(StatusCode::kInvalidModel, "weights have %ld elements, the input's rows %ld",
                         static_cast<long>(weights.shape.dim(0)), static_cast<long>(row_size));
  }
  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  WindowOpData data{};
  // A shift of 32 or more is undefined in TFLM's C++.
  EI_RETURN_IF_ERROR(read_int_option(options, "shift", 0, 31, &data.shift));
  data.row_size = row_size;
  data.rows = row_size > 0 ? input.num_elements() / row_size : 0;
  return store_op_data(context, data);
}

Status window_eval(KernelContext& context) {
  const auto* d = context.op_data_as<WindowOpData>();
  const int16_t* input = context.input(0).data_as<const int16_t>();
  const int16_t* weights = context.input(1).data_as<const int16_t>();
  int16_t* output = context.output(0).data_as<int16_t>();
  for (int64_t row = 0; row < d->rows; ++row) {
    apply_window(input + row * d->row_size, weights, d->row_size, d->shift, output + row * d->row_size);
  }
  return Status::ok();
}

}  // namespace

const Kernel& window() {
  static const Kernel kernel = {"reference/signal_window", window_prepare, window_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
