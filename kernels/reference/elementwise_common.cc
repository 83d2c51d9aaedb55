#include "kernels/reference/elementwise_common.h"

#include <cmath>
#include <limits>

namespace edgeinfer {
namespace reference {

Status prepare_binary_op(const KernelContext& context, std::initializer_list<DataType> types,
                         BinaryBroadcast* broadcast) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input1, "input 1", types));
  EI_RETURN_IF_ERROR(check_same_type(input2, "input 2", input1, "input 1"));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input1, "input 1"));
  Shape expected;
  if (!broadcast_shape(input1.shape, input2.shape, &expected)) {
    char text1[80];
    char text2[80];
    input1.shape.format(text1, sizeof(text1));
    input2.shape.format(text2, sizeof(text2));
    return Status::error(StatusCode::kInvalidModel, "input shapes %s and %s do not broadcast", text1, text2);
  }
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  if (!init_binary_broadcast(input1.shape, input2.shape, output.shape, broadcast))
    return Status::error(StatusCode::kUnsupported, "output has %ld elements, more than int32 indexing allows",
                         static_cast<long>(output.num_elements()));
  return Status::ok();
}

Status check_int32_unquantized(const KernelContext& context, const char* op, bool check_output) {
  const auto quantized = [](const Tensor& t) {
    return t.quant.count > 0 && t.quant.scales != nullptr && t.quant.zero_points != nullptr;
  };
  const char* names[] = {"input 1", "input 2", "output"};
  const Tensor tensors[] = {context.input(0), context.input(1), context.output(0)};
  for (int i = 0; i < (check_output ? 3 : 2); ++i)
    if (quantized(tensors[i]))
      return Status::error(StatusCode::kUnsupported, "int32 %s of quantized tensors is not supported (%s)",
                           op, names[i]);
  return Status::ok();
}

Status check_conversion(const Tensor& input, const Tensor& output, const char* op, bool supported,
                        int32_t* count) {
  if (!supported)
    return Status::error(StatusCode::kUnsupported, "%s from %s to %s is not supported", op,
                         data_type_name(input.type), data_type_name(output.type));
  if (input.num_elements() != output.num_elements())
    return Status::error(StatusCode::kInvalidModel, "input has %ld elements, output %ld",
                         static_cast<long>(input.num_elements()), static_cast<long>(output.num_elements()));
  if (input.num_elements() > std::numeric_limits<int32_t>::max())
    return Status::error(StatusCode::kUnsupported, "input has more than 2^31 - 1 elements");
  *count = static_cast<int32_t>(input.num_elements());
  return Status::ok();
}

Status check_multiplier_shift(int shift, const char* what) {
  if (shift < -31 || shift > 31)
    return Status::error(StatusCode::kUnsupported, "%s needs a shift of %d, outside [-31, 31]", what, shift);
  return Status::ok();
}

Status quantize_multiplier_checked(double real_multiplier, const char* what, int32_t* multiplier,
                                   int* shift) {
  if (!(real_multiplier >= 0.0) || !std::isfinite(real_multiplier))
    return Status::error(StatusCode::kInvalidModel, "%s multiplier is not a finite non-negative number",
                         what);
  quantize_multiplier(real_multiplier, multiplier, shift);
  return check_multiplier_shift(*shift, what);
}

}  // namespace reference
}  // namespace edgeinfer
