#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

Status check_element_count(const Tensor& tensor, const char* what, int64_t count, const char* reason) {
  if (tensor.num_elements() == count) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "%s has %lld elements, %s gives %lld", what,
                       static_cast<long long>(tensor.num_elements()), reason, static_cast<long long>(count));
}

Status check_min_element_count(const Tensor& tensor, const char* what, int64_t count, const char* reason) {
  if (tensor.num_elements() >= count) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "%s has %lld elements, %s needs at least %lld", what,
                       static_cast<long long>(tensor.num_elements()), reason, static_cast<long long>(count));
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
