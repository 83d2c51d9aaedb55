#include "edgeinfer/lcg.h"

namespace edgeinfer {

Status fill_lcg(const Tensor& tensor, uint32_t seed) {
  if (tensor.data == nullptr)
    return Status::error(StatusCode::kFailedPrecondition, "tensor %d has no data to fill", static_cast<int>(tensor.index));
  const int64_t count = tensor.num_elements();
  uint32_t x = seed;
  for (int64_t i = 0; i < count; ++i) {
    x = lcg_next(x);
    switch (tensor.type) {
      case DataType::kInt8: tensor.data_as<int8_t>()[i] = static_cast<int8_t>(x >> 24); break;
      case DataType::kUInt8: tensor.data_as<uint8_t>()[i] = static_cast<uint8_t>(x >> 24); break;
      case DataType::kInt16: tensor.data_as<int16_t>()[i] = static_cast<int16_t>(x >> 16); break;
      case DataType::kInt32: tensor.data_as<int32_t>()[i] = static_cast<int32_t>(x); break;
      case DataType::kFloat32:
        tensor.data_as<float>()[i] = (static_cast<float>(x >> 8) / 16777216.0f) * 2.0f - 1.0f;
        break;
      default:
        return Status::error(StatusCode::kUnsupported, "tensor %d: the LCG generator does not fill %s",
                             static_cast<int>(tensor.index), data_type_name(tensor.type));
    }
  }
  return Status::ok();
}

}  // namespace edgeinfer
