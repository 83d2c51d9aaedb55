#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

Status check_rank(const Tensor& tensor, const char* what, int rank) {
  if (tensor.shape.rank == rank) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "%s has rank %d, expected %d", what,
                       static_cast<int>(tensor.shape.rank), rank);
}

Status check_min_rank(const Tensor& tensor, const char* what, int min_rank) {
  if (tensor.shape.rank >= min_rank) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "%s has rank %d, expected at least %d", what,
                       static_cast<int>(tensor.shape.rank), min_rank);
}

Status check_type_option(const FlexbufferMap& options, DataType type) {
  if (!options.has("T")) return Status::ok();
  int32_t code = 0;
  EI_RETURN_IF_ERROR(options.get_int32("T", &code));
  if (code == static_cast<int32_t>(type)) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "option T is type code %d, the tensors are %s (code %d)",
                       static_cast<int>(code), data_type_name(type), static_cast<int>(type));
}

Status read_int_option(const FlexbufferMap& options, const char* key, int32_t min, int32_t max,
                       int32_t* value) {
  EI_RETURN_IF_ERROR(options.get_int32(key, value));
  if (*value >= min && *value <= max) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "option %s is %ld, expected %ld to %ld", key,
                       static_cast<long>(*value), static_cast<long>(min), static_cast<long>(max));
}

Shape with_last_dim(const Shape& shape, int32_t last) {
  Shape out = shape;
  out.dims[out.rank - 1] = last;
  return out;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
