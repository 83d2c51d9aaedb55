// TANH: float, int8 (gemmlowp fixed point) and int16 (sigmoid table, tanh(x) = 2 sigmoid(2x) - 1); the
// arithmetic lives in activation_functions.h, shared with the recurrent kernels.
#include "edgeinfer/kernels.h"
#include "kernels/reference/activation_functions.h"
#include "kernels/reference/activations.h"

namespace edgeinfer {
namespace reference {
namespace {

struct TanhOpData {
  SigmoidInt8Params int8;
  int32_t int16_multiplier;
  int32_t int16_left_shift;
};

Status tanh_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(
      check_unary_elementwise(context, {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
  const Tensor input = context.input(0);
  if (input.type == DataType::kFloat32) return Status::ok();
  float input_scale = 0;
  float output_scale = 0;
  int32_t input_zp = 0;
  int32_t output_zp = 0;
  EI_RETURN_IF_ERROR(per_tensor_quantization(input, "input", &input_scale, &input_zp));
  EI_RETURN_IF_ERROR(per_tensor_quantization(context.output(0), "output", &output_scale, &output_zp));
  auto* data = static_cast<TanhOpData*>(context.allocate_persistent(sizeof(TanhOpData)));
  if (data == nullptr) return context.arena_full_error();
  if (input.type == DataType::kInt8) {
    // The kernel writes tanh in units of 1/128 around 0 (TFLM does not check; a converter always gives 0).
    if (output_zp != 0) {
      return Status::error(StatusCode::kUnsupported, "int8 output zero point must be 0, got %d",
                           static_cast<int>(output_zp));
    }
    EI_RETURN_IF_ERROR(sigmoid_int8_params(input_scale, input_zp, &data->int8));
  } else {
    EI_RETURN_IF_ERROR(sigmoid_int16_params(/*is_tanh=*/true, input_scale, input_zp, output_scale, output_zp,
                                            &data->int16_multiplier, &data->int16_left_shift));
  }
  context.set_op_data(data);
  return Status::ok();
}

Status tanh_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int64_t n = input.num_elements();
  switch (input.type) {
    case DataType::kFloat32: tanh_float(n, input.data_as<float>(), output.data_as<float>()); break;
    case DataType::kInt8:
      tanh_int8(context.op_data_as<TanhOpData>()->int8, n, input.data_as<int8_t>(), output.data_as<int8_t>());
      break;
    default: {
      const auto* data = context.op_data_as<TanhOpData>();
      tanh_int16(data->int16_multiplier, data->int16_left_shift, n, input.data_as<int16_t>(),
                 output.data_as<int16_t>());
      break;
    }
  }
  return Status::ok();
}

}  // namespace

const Kernel& tanh() {
  static const Kernel kernel = {"reference/tanh", tanh_prepare, tanh_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
