#include "kernels/reference/concatenation.h"

#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

void concatenate_into(const Shape& input_shape, const void* input, int axis, int64_t axis_offset,
                      const Shape& output_shape, size_t element_bytes, void* output) {
  strided_copy(block_into_plan(input_shape, output_shape, axis, axis_offset), element_bytes, input, output);
}

namespace {

struct ConcatenationOpData {
  int32_t axis;
};

Status concatenation_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, std::numeric_limits<int>::max(), 1));
  const int count = context.num_inputs();
  const Tensor output = context.output(0);
  // TFLM's types; bools are one byte each, copied like the others.
  EI_RETURN_IF_ERROR(check_type(output, "output",
                                {DataType::kFloat32, DataType::kInt8, DataType::kInt16, DataType::kInt32,
                                 DataType::kInt64, DataType::kBool}));
  const auto* options = context.op()->builtin_options_as_ConcatenationOptions();
  const int64_t axis_option = options ? options->axis() : 0;
  if (options && options->fused_activation_function() != tflite::ActivationFunctionType::NONE)
    return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported",
                         static_cast<int>(options->fused_activation_function()));
  int axis = 0;
  EI_RETURN_IF_ERROR(resolve_axis(axis_option, output.shape.rank, "axis", &axis));

  // Shapes are checked one input at a time (no array sized by the model's input count).
  int64_t axis_size = 0;
  for (int i = 0; i < count; ++i) {
    const Tensor input = context.input(i);
    EI_RETURN_IF_ERROR(check_same_type(input, "input", output, "output"));
    Shape expected = output.shape;
    expected.dims[axis] = input.shape.rank == output.shape.rank ? input.shape.dims[axis] : 0;
    Status status = check_shape(input.shape, "input", expected);
    if (!status.is_ok()) return status.prefix("input %d: ", i);
    axis_size += input.shape.dims[axis];
  }
  if (axis_size != output.shape.dims[axis])
    return Status::error(StatusCode::kInvalidModel, "inputs add up to %ld along axis %d, output has %d",
                         static_cast<long>(axis_size), axis, static_cast<int>(output.shape.dims[axis]));

  auto* data = static_cast<ConcatenationOpData*>(context.allocate_persistent(sizeof(ConcatenationOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->axis = axis;
  context.set_op_data(data);
  return Status::ok();
}

Status concatenation_eval(KernelContext& context) {
  const int axis = context.op_data_as<ConcatenationOpData>()->axis;
  const Tensor output = context.output(0);
  const size_t element_bytes = data_type_size(output.type);
  int64_t offset = 0;
  for (int i = 0; i < context.num_inputs(); ++i) {
    const Tensor input = context.input(i);
    concatenate_into(input.shape, input.data, axis, offset, output.shape, element_bytes, output.data);
    offset += input.shape.dims[axis];
  }
  return Status::ok();
}

}  // namespace

const Kernel& concatenation() {
  static const Kernel kernel = {"reference/concatenation", concatenation_prepare, concatenation_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
