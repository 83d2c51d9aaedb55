// PACK and UNPACK: N tensors of one shape stacked along a new axis, and the inverse. PACK is a
// concatenation of the inputs seen with a size-1 axis inserted, UNPACK a split into such blocks.
#pragma once

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// PACK's output shape: `input` with a dimension of size `count` inserted before `axis` (already in
// [0, rank]).
Status pack_output_shape(const Shape& input, int axis, int count, Shape* output);

// UNPACK's output shape: `input` without dimension `axis` (already in [0, rank)).
Shape unpack_output_shape(const Shape& input, int axis);

}  // namespace reference
}  // namespace edgeinfer
