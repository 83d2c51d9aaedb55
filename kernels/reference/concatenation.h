// CONCATENATION (TensorFlow Lite's reference Concatenation): inputs joined along one axis. Quantized inputs
// are copied unchanged, as TFLM does (it does not rescale inputs whose quantization differs from the
// output's).
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// Copies one dense input of shape `input_shape` into `output` (shape `output_shape`, equal to the input's
// except along `axis`), starting at index `axis_offset` along `axis`. Concatenation calls it for each input
// in order, the offset growing by each input's size along the axis.
void concatenate_into(const Shape& input_shape, const void* input, int axis, int64_t axis_offset,
                      const Shape& output_shape, size_t element_bytes, void* output);

}  // namespace reference
}  // namespace edgeinfer
