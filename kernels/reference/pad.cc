#include "kernels/reference/pad.h"

#include <cstring>
#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

Status make_pad_params(const int64_t* paddings, int count, int rank, PadParams* params) {
  if (count != 2 * rank)
    return Status::error(StatusCode::kInvalidModel, "paddings has %d values, expected 2 per dimension (%d)",
                         count, 2 * rank);
  *params = PadParams();
  params->rank = rank;
  for (int i = 0; i < rank; ++i) {
    const int64_t before = paddings[2 * i];
    const int64_t after = paddings[2 * i + 1];
    if (before < 0 || after < 0 || before > std::numeric_limits<int32_t>::max() ||
        after > std::numeric_limits<int32_t>::max())
      return Status::error(StatusCode::kInvalidModel, "padding of dimension %d is (%ld, %ld), must be >= 0",
                           i, static_cast<long>(before), static_cast<long>(after));
    params->before[i] = static_cast<int32_t>(before);
    params->after[i] = static_cast<int32_t>(after);
  }
  return Status::ok();
}

Status pad_output_shape(const Shape& input, const PadParams& params, Shape* output) {
  if (params.rank != input.rank)
    return Status::error(StatusCode::kInvalidModel, "paddings are for rank %d, input has rank %d",
                         params.rank, input.rank);
  *output = Shape();
  output->rank = input.rank;
  for (int i = 0; i < input.rank; ++i) {
    const int64_t dim = static_cast<int64_t>(input.dims[i]) + params.before[i] + params.after[i];
    if (dim > std::numeric_limits<int32_t>::max())
      return Status::error(StatusCode::kInvalidModel, "padded dimension %d is too large", i);
    output->dims[i] = static_cast<int32_t>(dim);
  }
  return Status::ok();
}

StridedCopy pad_copy_plan(const Shape& input, const PadParams& params) {
  Shape output;
  output.rank = input.rank;
  for (int i = 0; i < input.rank; ++i) output.dims[i] = input.dims[i] + params.before[i] + params.after[i];
  StridedCopy plan = dense_copy_plan(input);
  row_major_strides(output, plan.dst_strides);
  for (int i = 0; i < input.rank; ++i) plan.dst_offset += params.before[i] * plan.dst_strides[i];
  return plan;
}

void pad_data(const PadParams& params, const Shape& input_shape, const void* input, size_t element_bytes,
              const void* pad_value, void* output) {
  int64_t output_elements = 1;
  for (int i = 0; i < input_shape.rank; ++i)
    output_elements *= input_shape.dims[i] + params.before[i] + params.after[i];
  // Fill everything, then overwrite the interior: the result is what TFLite's element-by-element walk writes.
  fill_elements(output, output_elements, element_bytes, pad_value);
  strided_copy(pad_copy_plan(input_shape, params), element_bytes, input, output);
}

namespace {

struct PadOpData {
  PadParams params;
  uint32_t element_bytes;
  bool value_from_input;  // a constant_values input (read in eval, as TFLM does)
  alignas(8) uint8_t value[8];
};

Status pad_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 3, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(
      check_type(input, "input", {DataType::kFloat32, DataType::kInt8, DataType::kInt16, DataType::kInt32}));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));

  int64_t paddings[2 * kMaxRank];
  int count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(context.input(1), "paddings", true, paddings, 2 * kMaxRank, &count));
  if (context.input(1).shape.rank != 2 || context.input(1).shape.dims[1] != 2)
    return Status::error(StatusCode::kInvalidModel, "paddings must have shape [rank, 2]");
  PadParams params;
  EI_RETURN_IF_ERROR(make_pad_params(paddings, count, input.shape.rank, &params));
  Shape expected;
  EI_RETURN_IF_ERROR(pad_output_shape(input.shape, params, &expected));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));

  auto* data = static_cast<PadOpData*>(context.allocate_persistent(sizeof(PadOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->params = params;
  data->element_bytes = static_cast<uint32_t>(data_type_size(input.type));
  if (!strided_copy_in_bounds(pad_copy_plan(input.shape, params), input.num_elements(),
                              output.num_elements()))
    return Status::error(StatusCode::kInternal, "pad plan out of bounds");

  data->value_from_input = context.num_inputs() == 3;
  if (data->value_from_input) {
    const Tensor value = context.input(2);
    EI_RETURN_IF_ERROR(check_same_type(value, "constant_values", input, "input"));
    if (value.num_elements() != 1)
      return Status::error(StatusCode::kInvalidModel, "constant_values has %ld elements, expected 1",
                           static_cast<long>(value.num_elements()));
    if (input.type == DataType::kInt8) {
      // The pad value must mean the same real number in the output's quantization.
      if (value.quant.zero_point() != output.quant.zero_point() ||
          value.quant.scale() != output.quant.scale())
        return Status::error(StatusCode::kInvalidModel,
                             "constant_values quantization differs from the output's");
    }
  } else {
    std::memset(data->value, 0, sizeof(data->value));
    if (input.type == DataType::kInt8) {
      // Quantized PAD pads with the real value 0, i.e. the zero point (TFLM does so for int8 only; int16 is
      // symmetric, zero point 0).
      const int32_t zero_point = output.quant.zero_point();
      if (zero_point < -128 || zero_point > 127)
        return Status::error(StatusCode::kInvalidModel, "output zero point %d is outside int8",
                             static_cast<int>(zero_point));
      const int8_t value = static_cast<int8_t>(zero_point);
      std::memcpy(data->value, &value, 1);
    }
  }
  context.set_op_data(data);
  return Status::ok();
}

Status pad_eval(KernelContext& context) {
  const auto* data = context.op_data_as<PadOpData>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const void* value = data->value;
  if (data->value_from_input) value = context.input(2).data;
  pad_data(data->params, input.shape, input.data, data->element_bytes, value, output.data);
  return Status::ok();
}

}  // namespace

const Kernel& pad() {
  static const Kernel kernel = {"reference/pad", pad_prepare, pad_eval};
  return kernel;
}

const Kernel& pad_v2() {
  static const Kernel kernel = {"reference/pad_v2", pad_prepare, pad_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
