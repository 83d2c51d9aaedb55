// prepare() checks shared by the Signal kernels of this directory (window, FFTs, energy, framer,
// overlap-add): ranks, the "T" type attribute TensorFlow writes into custom options, and integer options
// that must lie in a range.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/flexbuffer_map.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// `tensor` (named `what`) has exactly `rank` dimensions.
Status check_rank(const Tensor& tensor, const char* what, int rank);
// `tensor` has at least `min_rank` dimensions.
Status check_min_rank(const Tensor& tensor, const char* what, int min_rank);

// When the options hold "T" (TensorFlow's type attribute, a TFLite TensorType code), it must name `type`:
// TFLM picks its implementation from it, so a mismatch would make TFLM read the tensors as another type.
Status check_type_option(const FlexbufferMap& options, DataType type);

// Reads the int32 option `key` and checks it lies in [min, max].
Status read_int_option(const FlexbufferMap& options, const char* key, int32_t min, int32_t max,
                       int32_t* value);

// `shape` with its last dimension replaced by `last` (rank >= 1).
Shape with_last_dim(const Shape& shape, int32_t last);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
