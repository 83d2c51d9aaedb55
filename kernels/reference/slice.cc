#include "kernels/reference/slice.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

Status slice_plan(const Shape& input, const int64_t* begin, const int64_t* size, int count, Shape* output,
                  StridedCopy* plan) {
  if (count != input.rank)
    return Status::error(StatusCode::kInvalidModel, "begin and size have %d entries, input has rank %d",
                         count, static_cast<int>(input.rank));
  *output = Shape();
  output->rank = input.rank;
  for (int i = 0; i < count; ++i) {
    const int64_t dim = input.dims[i];
    if (begin[i] < 0 || begin[i] > dim)
      return Status::error(StatusCode::kInvalidModel, "begin %ld of dimension %d is outside [0, %ld]",
                           static_cast<long>(begin[i]), i, static_cast<long>(dim));
    const int64_t n = size[i] == -1 ? dim - begin[i] : size[i];
    if (n < 0 || n > dim - begin[i])
      return Status::error(StatusCode::kInvalidModel, "size %ld of dimension %d does not fit from %ld in %ld",
                           static_cast<long>(size[i]), i, static_cast<long>(begin[i]),
                           static_cast<long>(dim));
    output->dims[i] = static_cast<int32_t>(n);
  }
  *plan = dense_copy_plan(*output);
  int64_t input_strides[kMaxRank];
  row_major_strides(input, input_strides);
  for (int i = 0; i < count; ++i) {
    plan->src_strides[i] = input_strides[i];
    plan->src_offset += begin[i] * input_strides[i];
  }
  return Status::ok();
}

namespace {

// begin/size are usually constants, planned once; TFLM also accepts them computed by the graph, read when
// the op runs.
struct SliceOpData {
  StridedCopy plan;
  bool planned;
};

Status plan_from_tensors(const KernelContext& context, bool require_constant, StridedCopy* plan) {
  const Tensor input = context.input(0);
  const Tensor begin_tensor = context.input(1);
  const Tensor size_tensor = context.input(2);
  if (begin_tensor.type != size_tensor.type)
    return Status::error(StatusCode::kInvalidModel, "begin has type %s, size has %s",
                         data_type_name(begin_tensor.type), data_type_name(size_tensor.type));
  int64_t begin[kMaxRank], size[kMaxRank];
  int begin_count = 0, size_count = 0;
  EI_RETURN_IF_ERROR(
      read_index_tensor(begin_tensor, "begin", require_constant, begin, kMaxRank, &begin_count));
  EI_RETURN_IF_ERROR(read_index_tensor(size_tensor, "size", require_constant, size, kMaxRank, &size_count));
  if (begin_count != size_count)
    return Status::error(StatusCode::kInvalidModel, "begin has %d entries, size has %d", begin_count,
                         size_count);
  Shape expected;
  EI_RETURN_IF_ERROR(slice_plan(input.shape, begin, size, begin_count, &expected, plan));
  const Tensor output = context.output(0);
  // TFLM compares element counts only; the output's dims then only restate them.
  if (expected.num_elements() != output.num_elements()) return check_shape(output.shape, "output", expected);
  if (!strided_copy_in_bounds(*plan, input.num_elements(), output.num_elements()))
    return Status::error(StatusCode::kInternal, "slice plan out of bounds");
  return Status::ok();
}

Status slice_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 3, 3, 1));
  const Tensor input = context.input(0);
  EI_RETURN_IF_ERROR(check_same_type(context.output(0), "output", input, "input"));
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  for (int i = 1; i <= 2; ++i) {
    const Tensor t = context.input(i);
    if (t.shape.rank != 1 || t.shape.dims[0] != input.shape.rank)
      return Status::error(StatusCode::kInvalidModel, "%s must have shape [%d]", i == 1 ? "begin" : "size",
                           static_cast<int>(input.shape.rank));
    if (t.type != DataType::kInt32 && t.type != DataType::kInt64)
      return Status::error(StatusCode::kUnsupported, "%s has type %s, expected int32 or int64",
                           i == 1 ? "begin" : "size", data_type_name(t.type));
  }
  auto* data = static_cast<SliceOpData*>(context.allocate_persistent(sizeof(SliceOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->planned = context.input(1).is_constant && context.input(2).is_constant;
  if (data->planned) EI_RETURN_IF_ERROR(plan_from_tensors(context, true, &data->plan));
  context.set_op_data(data);
  return Status::ok();
}

Status slice_eval(KernelContext& context) {
  const auto* data = context.op_data_as<SliceOpData>();
  StridedCopy dynamic_plan;
  const StridedCopy* plan = &data->plan;
  if (!data->planned) {
    EI_RETURN_IF_ERROR(plan_from_tensors(context, false, &dynamic_plan));
    plan = &dynamic_plan;
  }
  const Tensor input = context.input(0);
  strided_copy(*plan, data_type_size(input.type), input.data, context.output(0).data);
  return Status::ok();
}

}  // namespace

const Kernel& slice() {
  static const Kernel kernel = {"reference/slice", slice_prepare, slice_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
