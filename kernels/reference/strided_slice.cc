#include "kernels/reference/strided_slice.h"

#include <algorithm>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {
namespace {

bool bit(int32_t mask, int i) {
  return i >= 0 && i < 32 && ((static_cast<uint32_t>(mask) >> i) & 1u) != 0;
}

// One axis of the slice after the ellipsis and new axes are expanded.
struct Axis {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t stride = 1;
  bool begin_mask = false;
  bool end_mask = false;
  bool shrink = false;
  int input_axis = -1;  // -1: a new axis of size 1
};

// First index and exclusive end of the walk along one axis, as TensorFlow Lite's StridedSliceStartForAxis /
// StridedSliceEndForAxis compute them (in 64 bits, so no int32 overflow).
void resolve_range(const Axis& axis, int64_t size, bool offset, int64_t* start, int64_t* stop) {
  const auto clamp = [&](int64_t v) {
    return axis.stride > 0 ? std::clamp<int64_t>(v, 0, size) : std::clamp<int64_t>(v, -1, size - 1);
  };
  int64_t s = axis.begin < 0 ? axis.begin + size : axis.begin;
  s = clamp(s);
  if (axis.begin_mask) s = axis.stride > 0 ? 0 : size - 1;
  int64_t e;
  if (axis.shrink) {
    e = s >= size ? s : s + 1;
  } else {
    e = offset ? axis.end + s : axis.end;
    if (e < 0) e += size;
    e = clamp(e);
    if (axis.end_mask) e = axis.stride > 0 ? size : -1;
  }
  *start = s;
  *stop = e;
}

}  // namespace

Status strided_slice_plan(const StridedSliceParams& params, const Shape& input, Shape* output,
                          StridedCopy* plan) {
  const int count = params.count;
  const int input_rank = input.rank;
  if (count < 0 || count > kMaxRank)
    return Status::error(StatusCode::kInvalidModel, "begin has %d entries, at most %d supported", count,
                         kMaxRank);

  // Expand the ellipsis and new axes into a list of axes over an "effective" input shape with the new
  // axes inserted (TensorFlow Lite's BuildStridedSliceParams).
  int num_new_axes = 0;
  for (int i = 0; i < count; ++i)
    if (!bit(params.ellipsis_mask, i) && bit(params.new_axis_mask, i)) ++num_new_axes;
  const int effective_rank = input_rank + num_new_axes;
  if (effective_rank > kMaxRank)
    return Status::error(StatusCode::kUnsupported,
                         "slice has %d dimensions with new axes, at most %d supported", effective_rank,
                         kMaxRank);

  int ellipsis_mask = 0, new_axis_mask = 0;
  int ellipsis_start = effective_rank, expanded_ellipsis = 0;
  for (int i = 0; i < effective_rank;) {
    if (bit(params.ellipsis_mask, i)) {
      ellipsis_start = i;
      const int ellipsis_end =
          std::max(i + 1, std::min(i + 1 + num_new_axes + input_rank - count, effective_rank));
      expanded_ellipsis = ellipsis_end - ellipsis_start - 1;
      for (; i < ellipsis_end; ++i) ellipsis_mask |= 1 << i;
      continue;
    }
    if (bit(params.new_axis_mask, i - expanded_ellipsis)) new_axis_mask |= 1 << i;
    ++i;
  }

  Axis axes[kMaxRank];
  int added_ellipsis = 0, added_axes = 0;
  for (int i = 0; i < effective_rank; ++i) {
    Axis& axis = axes[i];
    if (bit(ellipsis_mask, i)) {
      added_ellipsis = std::max(0, i - ellipsis_start);
      axis.begin_mask = axis.end_mask = true;
    } else if (bit(new_axis_mask, i)) {
      axis.end = 1;
      ++added_axes;
      continue;
    } else if (i >= count + expanded_ellipsis) {
      axis.begin_mask = axis.end_mask = true;
    } else {
      const int k = i - added_ellipsis;  // index into begin / end / strides
      if (k < 0 || k >= count)
        return Status::error(StatusCode::kInvalidModel, "masks do not fit begin's %d entries", count);
      axis.begin = params.begin[k];
      axis.end = params.end[k];
      axis.stride = params.strides[k];
      axis.begin_mask = bit(params.begin_mask, k);
      axis.end_mask = bit(params.end_mask, k);
      axis.shrink = bit(params.shrink_axis_mask, k);
      if (axis.stride == 0) return Status::error(StatusCode::kInvalidModel, "stride %d is 0", k);
    }
    axis.input_axis = i - added_axes;
    if (axis.input_axis < 0 || axis.input_axis >= input_rank)
      return Status::error(StatusCode::kInvalidModel, "masks do not fit the input's rank %d", input_rank);
  }
  if (effective_rank - added_axes != input_rank)
    return Status::error(StatusCode::kInvalidModel, "masks do not fit the input's rank %d", input_rank);

  int64_t input_strides[kMaxRank];
  row_major_strides(input, input_strides);
  *plan = StridedCopy();
  *output = Shape();
  plan->rank = effective_rank;
  for (int i = 0; i < effective_rank; ++i) {
    const Axis& axis = axes[i];
    if (axis.input_axis < 0) {  // new axis: one element, no movement in the input
      plan->dims[i] = 1;
      output->dims[output->rank++] = 1;
      continue;
    }
    const int64_t size = input.dims[axis.input_axis];
    int64_t start = 0, stop = 0;
    resolve_range(axis, size, params.offset, &start, &stop);
    const int64_t span = axis.stride > 0 ? stop - start : start - stop;
    const int64_t step = axis.stride > 0 ? axis.stride : -axis.stride;
    int64_t n = span > 0 ? (span + step - 1) / step : 0;
    if (axis.shrink) {
      // TensorFlow Lite's walk would copy nothing for an index clamped to the end (or a negative stride) and
      // leave the output unwritten; the index is rejected instead, or taken as the one element it names.
      if (start < 0 || start >= size)
        return Status::error(StatusCode::kInvalidModel,
                             "shrunk index %ld is outside dimension %d of size %ld",
                             static_cast<long>(axis.begin), axis.input_axis, static_cast<long>(size));
      n = 1;
    }
    plan->dims[i] = static_cast<int32_t>(n);
    if (n > 0) {
      plan->src_offset += start * input_strides[axis.input_axis];
      plan->src_strides[i] = axis.stride * input_strides[axis.input_axis];
    }
    if (!axis.shrink) output->dims[output->rank++] = static_cast<int32_t>(n);
  }
  Shape dense;
  dense.rank = plan->rank;
  for (int i = 0; i < plan->rank; ++i) dense.dims[i] = plan->dims[i];
  row_major_strides(dense, plan->dst_strides);
  return Status::ok();
}

namespace {

Status strided_slice_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 4, 4, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (data_type_size(input.type) == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));

  StridedSliceParams params;
  const char* names[3] = {"begin", "end", "strides"};
  int64_t* values[3] = {params.begin, params.end, params.strides};
  int counts[3] = {};
  for (int i = 0; i < 3; ++i) {
    const Tensor t = context.input(i + 1);
    if (t.shape.rank != 1)
      return Status::error(StatusCode::kInvalidModel, "%s has rank %d, expected 1", names[i],
                           static_cast<int>(t.shape.rank));
    EI_RETURN_IF_ERROR(read_index_tensor(t, names[i], true, values[i], kMaxRank, &counts[i]));
  }
  if (counts[1] != counts[0] || counts[2] != counts[0])
    return Status::error(StatusCode::kInvalidModel, "begin, end and strides have %d, %d and %d entries",
                         counts[0], counts[1], counts[2]);
  params.count = counts[0];
  if (const auto* options = context.op()->builtin_options_as_StridedSliceOptions()) {
    params.begin_mask = options->begin_mask();
    params.end_mask = options->end_mask();
    params.ellipsis_mask = options->ellipsis_mask();
    params.new_axis_mask = options->new_axis_mask();
    params.shrink_axis_mask = options->shrink_axis_mask();
    params.offset = options->offset();
  }

  auto* plan = static_cast<StridedCopy*>(context.allocate_persistent(sizeof(StridedCopy)));
  if (plan == nullptr) return context.arena_full_error();
  Shape expected;
  EI_RETURN_IF_ERROR(strided_slice_plan(params, input.shape, &expected, plan));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  if (!strided_copy_in_bounds(*plan, input.num_elements(), output.num_elements()))
    return Status::error(StatusCode::kInternal, "strided slice plan out of bounds");
  context.set_op_data(plan);
  return Status::ok();
}

Status strided_slice_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  strided_copy(*context.op_data_as<StridedCopy>(), data_type_size(input.type), input.data,
               context.output(0).data);
  return Status::ok();
}

}  // namespace

const Kernel& strided_slice() {
  static const Kernel kernel = {"reference/strided_slice", strided_slice_prepare, strided_slice_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
