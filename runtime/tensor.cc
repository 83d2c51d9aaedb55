#include "edgeinfer/tensor.h"

#include "kernels/reference/quantize.h"

#include <cmath>
#include <cstdio>

namespace edgeinfer {

const char* data_type_name(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat16: return "float16";
    case DataType::kInt32: return "int32";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kInt16: return "int16";
    case DataType::kComplex64: return "complex64";
    case DataType::kInt8: return "int8";
    case DataType::kFloat64: return "float64";
    case DataType::kComplex128: return "complex128";
    case DataType::kUInt64: return "uint64";
    case DataType::kResource: return "resource";
    case DataType::kVariant: return "variant";
    case DataType::kUInt32: return "uint32";
    case DataType::kUInt16: return "uint16";
    case DataType::kInt4: return "int4";
  }
  return "unknown";
}

size_t data_type_size(DataType type) {
  switch (type) {
    case DataType::kFloat32: return 4;
    case DataType::kFloat16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kUInt8: return 1;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kInt16: return 2;
    case DataType::kComplex64: return 8;
    case DataType::kInt8: return 1;
    case DataType::kFloat64: return 8;
    case DataType::kComplex128: return 16;
    case DataType::kUInt64: return 8;
    case DataType::kUInt32: return 4;
    case DataType::kUInt16: return 2;
    default: return 0;
  }
}

void Shape::format(char* out, size_t out_size) const {
  if (out_size == 0) return;
  size_t used = 0;
  out[0] = '\0';
  auto append = [&](const char* text) {
    int written = snprintf(out + used, out_size - used, "%s", text);
    if (written > 0) used += static_cast<size_t>(written) < out_size - used ? written : out_size - used - 1;
  };
  append("[");
  for (int i = 0; i < rank; ++i) {
    char number[16];
    snprintf(number, sizeof(number), i == 0 ? "%ld" : ",%ld", static_cast<long>(dims[i]));
    append(number);
  }
  append("]");
}

namespace {

bool is_quantized_integer(DataType type) {
  return type == DataType::kInt8 || type == DataType::kUInt8 || type == DataType::kInt16;
}

Status check_element_access(const Tensor& tensor, size_t count, const char* what) {
  if (tensor.data == nullptr)
    return Status::error(StatusCode::kFailedPrecondition, "tensor %d has no data (allocate() first)",
                         static_cast<int>(tensor.index));
  if (static_cast<int64_t>(count) != tensor.num_elements())
    return Status::error(StatusCode::kInvalidArgument, "tensor %d: %s %ld values, tensor holds %ld",
                         static_cast<int>(tensor.index), what, static_cast<long>(count),
                         static_cast<long>(tensor.num_elements()));
  if (tensor.type != DataType::kFloat32) {
    if (!is_quantized_integer(tensor.type))
      return Status::error(StatusCode::kUnsupported, "tensor %d: cannot convert %s from or to float",
                           static_cast<int>(tensor.index), data_type_name(tensor.type));
    if (!tensor.quant.is_quantized() || tensor.quant.is_per_channel())
      return Status::error(StatusCode::kUnsupported,
                           "tensor %d: float conversion needs per-tensor quantization parameters",
                           static_cast<int>(tensor.index));
  }
  return Status::ok();
}

}  // namespace

Status Tensor::set_from_float(const float* values, size_t count) const {
  EI_RETURN_IF_ERROR(check_element_access(*this, count, "got"));
  if (type == DataType::kFloat32) {
    float* out = data_as<float>();
    for (size_t i = 0; i < count; ++i) out[i] = values[i];
    return Status::ok();
  }
  const float scale = quant.scale();
  const int32_t zero_point = quant.zero_point();
  const int32_t low = type == DataType::kInt8 ? -128 : (type == DataType::kUInt8 ? 0 : -32768);
  const int32_t high = type == DataType::kInt8 ? 127 : (type == DataType::kUInt8 ? 255 : 32767);
  for (size_t i = 0; i < count; ++i) {
    const int32_t q = reference::quantize_element(values[i], scale, zero_point, low, high);
    switch (type) {
      case DataType::kInt8: data_as<int8_t>()[i] = static_cast<int8_t>(q); break;
      case DataType::kUInt8: data_as<uint8_t>()[i] = static_cast<uint8_t>(q); break;
      default: data_as<int16_t>()[i] = static_cast<int16_t>(q); break;
    }
  }
  return Status::ok();
}

float Tensor::element_as_float(int64_t i) const {
  switch (type) {
    case DataType::kFloat32: return data_as<float>()[i];
    case DataType::kInt8: return quant.scale() * (data_as<int8_t>()[i] - quant.zero_point());
    case DataType::kUInt8: return quant.scale() * (data_as<uint8_t>()[i] - quant.zero_point());
    case DataType::kInt16: return quant.scale() * (data_as<int16_t>()[i] - quant.zero_point());
    case DataType::kInt32: return static_cast<float>(data_as<int32_t>()[i]);
    default: return 0.0f;
  }
}

Status Tensor::get_as_float(float* out, size_t count) const {
  EI_RETURN_IF_ERROR(check_element_access(*this, count, "asked for"));
  for (size_t i = 0; i < count; ++i) out[i] = element_as_float(static_cast<int64_t>(i));
  return Status::ok();
}

}  // namespace edgeinfer
