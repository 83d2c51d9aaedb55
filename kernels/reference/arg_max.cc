#include "kernels/reference/arg_max.h"

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {
namespace {

template <class T, class Index>
void arg_max(const ArgMaxShape& s, const T* in, Index* out) {
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < s.inner; ++i) {
      const T* x = in + o * s.axis_size * s.inner + i;
      T best = x[0];
      Index best_index = 0;
      for (int32_t k = 1; k < s.axis_size; ++k) {
        const T v = x[k * s.inner];
        if (v > best) {
          best = v;
          best_index = static_cast<Index>(k);
        }
      }
      out[o * s.inner + i] = best_index;
    }
  }
}

}  // namespace

void arg_max_float(const ArgMaxShape& shape, const float* in, int32_t* out) {
  arg_max(shape, in, out);
}
void arg_max_float(const ArgMaxShape& shape, const float* in, int64_t* out) {
  arg_max(shape, in, out);
}
void arg_max_int8(const ArgMaxShape& shape, const int8_t* in, int32_t* out) {
  arg_max(shape, in, out);
}
void arg_max_int8(const ArgMaxShape& shape, const int8_t* in, int64_t* out) {
  arg_max(shape, in, out);
}
void arg_max_int16(const ArgMaxShape& shape, const int16_t* in, int32_t* out) {
  arg_max(shape, in, out);
}
void arg_max_int16(const ArgMaxShape& shape, const int16_t* in, int64_t* out) {
  arg_max(shape, in, out);
}

namespace {

Status arg_max_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt32, DataType::kInt64}));
  if (input.shape.rank < 1) return Status::error(StatusCode::kInvalidModel, "input must have rank >= 1");
  const auto* options = context.op()->builtin_options_as_ArgMaxOptions();
  if (options != nullptr && static_cast<int>(options->output_type()) != static_cast<int>(output.type)) {
    return Status::error(StatusCode::kInvalidModel, "output_type option is %d, output tensor has type %s",
                         static_cast<int>(options->output_type()), data_type_name(output.type));
  }
  // The axis is read here, once: TFLite reads it on every invoke but only its first value counts.
  int64_t axes[kMaxRank] = {};
  int count = 0;
  EI_RETURN_IF_ERROR(
      read_index_tensor(context.input(1), "axis", /*require_constant=*/true, axes, kMaxRank, &count));
  if (count < 1) return Status::error(StatusCode::kInvalidModel, "axis tensor is empty");
  int axis = 0;
  EI_RETURN_IF_ERROR(resolve_axis(axes[0], input.shape.rank, "axis", &axis));
  if (input.shape.dim(axis) < 1) {
    return Status::error(StatusCode::kInvalidModel, "axis %d has size %d", axis,
                         static_cast<int>(input.shape.dim(axis)));
  }
  Shape expected;
  expected.rank = input.shape.rank - 1;
  for (int d = 0, o = 0; d < input.shape.rank; ++d)
    if (d != axis) expected.dims[o++] = input.shape.dim(d);
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));

  auto* shape = static_cast<ArgMaxShape*>(context.allocate_persistent(sizeof(ArgMaxShape)));
  if (shape == nullptr) return context.arena_full_error();
  shape->outer = input.shape.product(0, axis);
  shape->axis_size = input.shape.dim(axis);
  shape->inner = input.shape.product(axis + 1, input.shape.rank);
  context.set_op_data(shape);
  return Status::ok();
}

template <class Index>
void dispatch_input(const ArgMaxShape& shape, const Tensor& input, Index* out) {
  switch (input.type) {
    case DataType::kFloat32: arg_max_float(shape, input.data_as<float>(), out); break;
    case DataType::kInt8: arg_max_int8(shape, input.data_as<int8_t>(), out); break;
    default: arg_max_int16(shape, input.data_as<int16_t>(), out); break;
  }
}

Status arg_max_eval(KernelContext& context) {
  const auto& shape = *context.op_data_as<ArgMaxShape>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  if (output.type == DataType::kInt32) {
    dispatch_input(shape, input, output.data_as<int32_t>());
  } else {
    dispatch_input(shape, input, output.data_as<int64_t>());
  }
  return Status::ok();
}

}  // namespace

const Kernel& arg_max() {
  static const Kernel kernel = {"reference/arg_max", arg_max_prepare, arg_max_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
