#include "kernels/reference/elementwise_common.h"

#include <cmath>
#include <limits>

#include "kernels/common/op_checks.h"

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

Status check_per_tensor_quantization(const Tensor& tensor, const char* what) {
  if (!tensor.quant.is_quantized())
    return Status::error(StatusCode::kInvalidModel, "%s (%s) has no quantization parameters", what,
                         data_type_name(tensor.type));
  if (tensor.quant.is_per_channel())
    return Status::error(StatusCode::kUnsupported, "%s has per-channel quantization (%d scales)", what,
                         static_cast<int>(tensor.quant.count));
  const float scale = tensor.quant.scale();
  if (!(scale > 0.0f) || !std::isfinite(scale))
    return Status::error(StatusCode::kInvalidModel, "%s has a scale that is not a finite positive number",
                         what);
  const int64_t zero_point = tensor.quant.zero_points ? tensor.quant.zero_points[0] : 0;
  if (zero_point < type_min(tensor.type) || zero_point > type_max(tensor.type))
    return Status::error(StatusCode::kInvalidModel, "%s has zero point %ld, outside %s", what,
                         static_cast<long>(zero_point), data_type_name(tensor.type));
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

Status activation_range_int32(FusedActivation activation, int32_t* min, int32_t* max) {
  switch (activation) {
    case FusedActivation::kNone:
      *min = std::numeric_limits<int32_t>::min();
      *max = std::numeric_limits<int32_t>::max();
      return Status::ok();
    case FusedActivation::kRelu:
      *min = 0;
      *max = std::numeric_limits<int32_t>::max();
      return Status::ok();
    case FusedActivation::kRelu6:
      *min = 0;
      *max = 6;
      return Status::ok();
    case FusedActivation::kReluN1To1:
      *min = -1;
      *max = 1;
      return Status::ok();
    default:
      return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported on int32 outputs",
                           static_cast<int>(activation));
  }
}

}  // namespace reference
}  // namespace edgeinfer
