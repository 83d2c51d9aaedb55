#include "kernels/reference/pack_unpack.h"

#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/concatenation.h"
#include "kernels/reference/split.h"

namespace edgeinfer {
namespace reference {

Status pack_output_shape(const Shape& input, int axis, int count, Shape* output) {
  if (input.rank >= kMaxRank)
    return Status::error(StatusCode::kUnsupported, "input rank %d leaves no room for the packed dimension",
                         static_cast<int>(input.rank));
  *output = Shape();
  output->rank = input.rank + 1;
  for (int i = 0, j = 0; i < output->rank; ++i) output->dims[i] = i == axis ? count : input.dims[j++];
  return Status::ok();
}

Shape unpack_output_shape(const Shape& input, int axis) {
  Shape output;
  for (int i = 0; i < input.rank; ++i)
    if (i != axis) output.dims[output.rank++] = input.dims[i];
  return output;
}

namespace {

struct AxisOpData {
  int32_t axis;
};

// The shape of one packed input (or unpacked output) inside the packed tensor: a size-1 axis inserted.
Shape as_block(const Shape& part, int axis) {
  Shape block;
  pack_output_shape(part, axis, 1, &block);
  return block;
}

Status store_axis(KernelContext& context, int axis) {
  auto* data = static_cast<AxisOpData*>(context.allocate_persistent(sizeof(AxisOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->axis = axis;
  context.set_op_data(data);
  return Status::ok();
}

Status pack_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, std::numeric_limits<int>::max(), 1));
  const int count = context.num_inputs();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  const auto* options = context.op()->builtin_options_as_PackOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "PackOptions are missing");
  if (options->values_count() != count)
    return Status::error(StatusCode::kInvalidModel, "values_count is %d, op has %d inputs",
                         static_cast<int>(options->values_count()), count);
  int axis = 0;
  EI_RETURN_IF_ERROR(resolve_axis(options->axis(), input.shape.rank + 1, "axis", &axis));
  for (int i = 1; i < count; ++i) {
    const Tensor other = context.input(i);
    EI_RETURN_IF_ERROR(check_same_type(other, "input", input, "input 0"));
    Status status = check_shape(other.shape, "input", input.shape);
    if (!status.is_ok()) return status.prefix("input %d: ", i);
  }
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  Shape expected;
  EI_RETURN_IF_ERROR(pack_output_shape(input.shape, axis, count, &expected));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  return store_axis(context, axis);
}

Status pack_eval(KernelContext& context) {
  const int axis = context.op_data_as<AxisOpData>()->axis;
  const Tensor output = context.output(0);
  const size_t element_bytes = data_type_size(output.type);
  for (int i = 0; i < context.num_inputs(); ++i) {
    const Tensor input = context.input(i);
    concatenate_into(as_block(input.shape, axis), input.data, axis, i, output.shape, element_bytes,
                     output.data);
  }
  return Status::ok();
}

Status unpack_prepare(KernelContext& context) {
  const int count = context.num_outputs();
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, count));
  const Tensor input = context.input(0);
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  const auto* options = context.op()->builtin_options_as_UnpackOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "UnpackOptions are missing");
  int axis = 0;
  EI_RETURN_IF_ERROR(resolve_axis(options->axis(), input.shape.rank, "axis", &axis));
  if (options->num() != count || input.shape.dims[axis] != count)
    return Status::error(StatusCode::kInvalidModel, "num is %d, op has %d outputs, dimension %d has size %d",
                         static_cast<int>(options->num()), count, axis,
                         static_cast<int>(input.shape.dims[axis]));
  const Shape expected = unpack_output_shape(input.shape, axis);
  for (int i = 0; i < count; ++i) {
    const Tensor output = context.output(i);
    EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
    Status status = check_shape(output.shape, "output", expected);
    if (!status.is_ok()) return status.prefix("output %d: ", i);
  }
  return store_axis(context, axis);
}

Status unpack_eval(KernelContext& context) {
  const int axis = context.op_data_as<AxisOpData>()->axis;
  const Tensor input = context.input(0);
  const size_t element_bytes = data_type_size(input.type);
  for (int i = 0; i < context.num_outputs(); ++i) {
    const Tensor output = context.output(i);
    extract_block(input.shape, input.data, axis, i, as_block(output.shape, axis), element_bytes, output.data);
  }
  return Status::ok();
}

}  // namespace

const Kernel& pack() {
  static const Kernel kernel = {"reference/pack", pack_prepare, pack_eval};
  return kernel;
}

const Kernel& unpack() {
  static const Kernel kernel = {"reference/unpack", unpack_prepare, unpack_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
