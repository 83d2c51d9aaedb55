#include "kernels/reference/reshape.h"

#include <cstring>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

Status squeeze_output_shape(const Shape& input, const int32_t* squeeze_dims, int count, Shape* output) {
  bool squeeze[kMaxRank] = {};
  if (count == 0) {
    for (int i = 0; i < input.rank; ++i) squeeze[i] = input.dims[i] == 1;
  } else {
    for (int i = 0; i < count; ++i) {
      int axis = 0;
      EI_RETURN_IF_ERROR(resolve_axis(squeeze_dims[i], input.rank, "squeeze dimension", &axis));
      if (input.dims[axis] != 1)
        return Status::error(StatusCode::kInvalidModel, "squeezed dimension %d has size %d, expected 1", axis,
                             static_cast<int>(input.dims[axis]));
      squeeze[axis] = true;
    }
  }
  *output = Shape();
  for (int i = 0; i < input.rank; ++i)
    if (!squeeze[i]) output->dims[output->rank++] = input.dims[i];
  return Status::ok();
}

Status expand_dims_output_shape(const Shape& input, int64_t axis, Shape* output) {
  if (input.rank >= kMaxRank)
    return Status::error(StatusCode::kUnsupported, "input rank %d leaves no room for a new dimension",
                         static_cast<int>(input.rank));
  int position = 0;
  EI_RETURN_IF_ERROR(resolve_axis(axis, input.rank + 1, "axis", &position));
  *output = Shape();
  output->rank = input.rank + 1;
  for (int i = 0, j = 0; i < output->rank; ++i) output->dims[i] = i == position ? 1 : input.dims[j++];
  return Status::ok();
}

namespace {

// Input and output have the same type (one the runtime can hold densely) and the same byte size.
Status check_same_bytes(const Tensor& input, const Tensor& output) {
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  if (input.num_elements() != output.num_elements() || input.bytes != output.bytes)
    return Status::error(StatusCode::kInvalidModel, "output has %ld elements, input has %ld",
                         static_cast<long>(output.num_elements()), static_cast<long>(input.num_elements()));
  return Status::ok();
}

Status copy_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  if (input.bytes > 0 && input.data != output.data) std::memmove(output.data, input.data, input.bytes);
  return Status::ok();
}

// RESHAPE's shape (second input or new_shape option) only restates the output tensor's shape, which the
// model fixes: like TFLM, only the element count is checked.
Status reshape_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 2, 1));
  return check_same_bytes(context.input(0), context.output(0));
}

Status squeeze_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_same_bytes(input, output));
  int32_t dims[kMaxRank];
  int count = 0;
  const auto* options = context.op()->builtin_options_as_SqueezeOptions();
  if (options != nullptr && options->squeeze_dims() != nullptr) {
    const auto* list = options->squeeze_dims();
    if (list->size() > static_cast<uint32_t>(kMaxRank))
      return Status::error(StatusCode::kInvalidModel, "%u squeeze dimensions for rank %d", list->size(),
                           static_cast<int>(input.shape.rank));
    for (uint32_t i = 0; i < list->size(); ++i) dims[count++] = list->Get(i);
  }
  Shape expected;
  EI_RETURN_IF_ERROR(squeeze_output_shape(input.shape, dims, count, &expected));
  return check_shape(output.shape, "output", expected);
}

Status expand_dims_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_same_bytes(input, output));
  int64_t axis[1];
  int count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(context.input(1), "axis", true, axis, 1, &count));
  if (count != 1) return Status::error(StatusCode::kInvalidModel, "axis tensor is empty");
  Shape expected;
  EI_RETURN_IF_ERROR(expand_dims_output_shape(input.shape, axis[0], &expected));
  return check_shape(output.shape, "output", expected);
}

}  // namespace

const Kernel& reshape() {
  static const Kernel kernel = {"reference/reshape", reshape_prepare, copy_eval};
  return kernel;
}

const Kernel& squeeze() {
  static const Kernel kernel = {"reference/squeeze", squeeze_prepare, copy_eval};
  return kernel;
}

const Kernel& expand_dims() {
  static const Kernel kernel = {"reference/expand_dims", expand_dims_prepare, copy_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
