#include "kernels/common/op_checks.h"

#include <cmath>
#include <cstring>

#include "kernels/common/quant_math.h"

namespace edgeinfer {

Status check_tensor_counts(const KernelContext& context, int min_inputs, int max_inputs, int outputs) {
  const int num_inputs = context.num_inputs();
  if (num_inputs < min_inputs || num_inputs > max_inputs) {
    if (min_inputs == max_inputs)
      return Status::error(StatusCode::kInvalidModel, "has %d inputs, expected %d", num_inputs, min_inputs);
    return Status::error(StatusCode::kInvalidModel, "has %d inputs, expected %d to %d", num_inputs,
                         min_inputs, max_inputs);
  }
  for (int i = 0; i < num_inputs; ++i)
    if (!context.has_input(i)) return Status::error(StatusCode::kInvalidModel, "input %d is omitted", i);
  if (context.num_outputs() != outputs)
    return Status::error(StatusCode::kInvalidModel, "has %d outputs, expected %d", context.num_outputs(),
                         outputs);
  return Status::ok();
}

Status check_type(const Tensor& tensor, const char* what, std::initializer_list<DataType> types) {
  for (DataType type : types)
    if (tensor.type == type) return Status::ok();
  return Status::error(StatusCode::kUnsupported, "%s has unsupported type %s", what,
                       data_type_name(tensor.type));
}

Status check_same_type(const Tensor& tensor, const char* what, const Tensor& reference,
                       const char* reference_what) {
  if (tensor.type == reference.type) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "%s has type %s, %s has %s", what,
                       data_type_name(tensor.type), reference_what, data_type_name(reference.type));
}

Status check_shape(const Shape& actual, const char* what, const Shape& expected) {
  if (actual == expected) return Status::ok();
  char actual_text[80];
  char expected_text[80];
  actual.format(actual_text, sizeof(actual_text));
  expected.format(expected_text, sizeof(expected_text));
  return Status::error(StatusCode::kInvalidModel, "%s has shape %s, expected %s", what, actual_text,
                       expected_text);
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
    return Status::error(StatusCode::kInvalidModel, "%s has scale %g, not a finite positive number", what,
                         static_cast<double>(scale));
  const int64_t zero_point = tensor.quant.zero_points ? tensor.quant.zero_points[0] : 0;
  if (zero_point < type_min(tensor.type) || zero_point > type_max(tensor.type))
    return Status::error(StatusCode::kInvalidModel, "%s has zero point %ld, outside %s", what,
                         static_cast<long>(zero_point), data_type_name(tensor.type));
  return Status::ok();
}

Status per_tensor_quantization(const Tensor& tensor, const char* what, float* scale, int32_t* zero_point) {
  EI_RETURN_IF_ERROR(check_per_tensor_quantization(tensor, what));
  *scale = tensor.quant.scale();
  *zero_point = tensor.quant.zero_point();
  return Status::ok();
}

Status read_index_tensor(const Tensor& tensor, const char* what, bool require_constant, int64_t* values,
                         int max_count, int* count) {
  if (tensor.type != DataType::kInt32 && tensor.type != DataType::kInt64)
    return Status::error(StatusCode::kUnsupported, "%s tensor has type %s, expected int32 or int64", what,
                         data_type_name(tensor.type));
  if (require_constant && !tensor.is_constant)
    return Status::error(StatusCode::kUnsupported, "%s tensor must be a constant of the model", what);
  const int64_t n = tensor.num_elements();
  if (n > max_count)
    return Status::error(StatusCode::kInvalidModel, "%s tensor has %ld elements, at most %d expected", what,
                         static_cast<long>(n), max_count);
  const size_t element_bytes = tensor.type == DataType::kInt32 ? 4 : 8;
  if (n > 0 && (tensor.data == nullptr || tensor.bytes < static_cast<size_t>(n) * element_bytes))
    return Status::error(StatusCode::kInvalidModel, "%s tensor has no data for its %ld elements", what,
                         static_cast<long>(n));
  const uint8_t* bytes = static_cast<const uint8_t*>(tensor.data);
  for (int64_t i = 0; i < n; ++i) {
    if (tensor.type == DataType::kInt32) {
      int32_t v;
      std::memcpy(&v, bytes + i * 4, 4);
      values[i] = v;
    } else {
      std::memcpy(&values[i], bytes + i * 8, 8);
    }
  }
  *count = static_cast<int>(n);
  return Status::ok();
}

Status resolve_axis(int64_t axis, int rank, const char* what, int* resolved) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return Status::error(StatusCode::kInvalidModel, "%s %ld is outside [%d, %d)", what,
                         static_cast<long>(axis), -rank, rank);
  *resolved = static_cast<int>(a);
  return Status::ok();
}

}  // namespace edgeinfer
