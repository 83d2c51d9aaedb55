// Element-count checks of the filter bank, PCAN, stacker and delay kernels' prepare(), with messages naming
// the tensor, its size and where the expected size comes from. (Ranks and ranged options: signal_checks.h.)
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// `tensor` (named `what`) has `count` elements; `reason` says where the count comes from ("the input").
Status check_element_count(const Tensor& tensor, const char* what, int64_t count, const char* reason);

// `tensor` has at least `count` elements.
Status check_min_element_count(const Tensor& tensor, const char* what, int64_t count, const char* reason);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
