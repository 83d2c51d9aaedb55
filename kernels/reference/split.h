// SPLIT (TensorFlow Lite's Split): the input cut into `num_splits` equal parts along one axis.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// Shape of each of `num_splits` parts of `input` along `axis` (in [0, rank)); fails unless the axis divides
// evenly.
Status split_output_shape(const Shape& input, int axis, int num_splits, Shape* output);

// Copies the block of dense `input` (shape `input_shape`) that has shape `output_shape` (equal except along
// `axis`) and starts at index `axis_offset` along `axis` into dense `output`. The inverse of
// concatenate_into(); SPLIT and UNPACK call it for each output.
void extract_block(const Shape& input_shape, const void* input, int axis, int64_t axis_offset,
                   const Shape& output_shape, size_t element_bytes, void* output);

}  // namespace reference
}  // namespace edgeinfer
