#include "kernels/reference/transpose.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

Status transpose_plan(const Shape& input, const int64_t* perm, int count, Shape* output, StridedCopy* plan) {
  if (count != input.rank)
    return Status::error(StatusCode::kInvalidModel, "perm has %d entries, input has rank %d", count,
                         static_cast<int>(input.rank));
  bool used[kMaxRank] = {};
  for (int i = 0; i < count; ++i) {
    if (perm[i] < 0 || perm[i] >= count || used[perm[i]])
      return Status::error(StatusCode::kInvalidModel, "perm entry %d (%ld) is out of range or repeated", i,
                           static_cast<long>(perm[i]));
    used[perm[i]] = true;
  }
  int64_t input_strides[kMaxRank];
  row_major_strides(input, input_strides);
  *output = Shape();
  output->rank = input.rank;
  for (int i = 0; i < count; ++i) output->dims[i] = input.dims[perm[i]];
  *plan = dense_copy_plan(*output);
  for (int i = 0; i < count; ++i) plan->src_strides[i] = input_strides[perm[i]];
  return Status::ok();
}

namespace {

Status transpose_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  const Tensor perm_tensor = context.input(1);
  if (perm_tensor.shape.rank != 1)
    return Status::error(StatusCode::kInvalidModel, "perm has rank %d, expected 1",
                         static_cast<int>(perm_tensor.shape.rank));
  int64_t perm[kMaxRank];
  int count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(perm_tensor, "perm", true, perm, kMaxRank, &count));
  Shape expected;
  auto* plan = static_cast<StridedCopy*>(context.allocate_persistent(sizeof(StridedCopy)));
  if (plan == nullptr) return context.arena_full_error();
  EI_RETURN_IF_ERROR(transpose_plan(input.shape, perm, count, &expected, plan));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  if (!strided_copy_in_bounds(*plan, input.num_elements(), output.num_elements()))
    return Status::error(StatusCode::kInternal, "transpose plan out of bounds");
  context.set_op_data(plan);
  return Status::ok();
}

Status transpose_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  strided_copy(*context.op_data_as<StridedCopy>(), data_type_size(input.type), input.data,
               context.output(0).data);
  return Status::ok();
}

}  // namespace

const Kernel& transpose() {
  static const Kernel kernel = {"reference/transpose", transpose_prepare, transpose_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
