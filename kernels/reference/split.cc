#include "kernels/reference/split.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

Status split_output_shape(const Shape& input, int axis, int num_splits, Shape* output) {
  if (num_splits < 1) return Status::error(StatusCode::kInvalidModel, "num_splits is %d", num_splits);
  if (input.dims[axis] % num_splits != 0)
    return Status::error(StatusCode::kInvalidModel, "dimension %d of size %d does not split into %d parts",
                         axis, static_cast<int>(input.dims[axis]), num_splits);
  *output = input;
  output->dims[axis] = input.dims[axis] / num_splits;
  return Status::ok();
}

void extract_block(const Shape& input_shape, const void* input, int axis, int64_t axis_offset,
                   const Shape& output_shape, size_t element_bytes, void* output) {
  strided_copy(reversed_plan(block_into_plan(output_shape, input_shape, axis, axis_offset)), element_bytes,
               input, output);
}

namespace {

struct SplitOpData {
  int32_t axis;
};

Status split_prepare(KernelContext& context) {
  const int num_outputs = context.num_outputs();
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, num_outputs));
  const Tensor input = context.input(1);
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  const auto* options = context.op()->builtin_options_as_SplitOptions();
  const int num_splits = options ? options->num_splits() : num_outputs;
  if (num_splits != num_outputs)
    return Status::error(StatusCode::kInvalidModel, "num_splits is %d, op has %d outputs", num_splits,
                         num_outputs);
  int64_t axis_value[1];
  int count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(context.input(0), "axis", true, axis_value, 1, &count));
  if (count != 1) return Status::error(StatusCode::kInvalidModel, "axis tensor is empty");
  int axis = 0;
  EI_RETURN_IF_ERROR(resolve_axis(axis_value[0], input.shape.rank, "axis", &axis));
  Shape expected;
  EI_RETURN_IF_ERROR(split_output_shape(input.shape, axis, num_splits, &expected));
  for (int i = 0; i < num_outputs; ++i) {
    const Tensor output = context.output(i);
    EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
    Status status = check_shape(output.shape, "output", expected);
    if (!status.is_ok()) return status.prefix("output %d: ", i);
  }
  auto* data = static_cast<SplitOpData*>(context.allocate_persistent(sizeof(SplitOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->axis = axis;
  context.set_op_data(data);
  return Status::ok();
}

Status split_eval(KernelContext& context) {
  const int axis = context.op_data_as<SplitOpData>()->axis;
  const Tensor input = context.input(1);
  const size_t element_bytes = data_type_size(input.type);
  for (int i = 0; i < context.num_outputs(); ++i) {
    const Tensor output = context.output(i);
    extract_block(input.shape, input.data, axis, static_cast<int64_t>(i) * output.shape.dims[axis],
                  output.shape, element_bytes, output.data);
  }
  return Status::ok();
}

}  // namespace

const Kernel& split() {
  static const Kernel kernel = {"reference/split", split_prepare, split_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
