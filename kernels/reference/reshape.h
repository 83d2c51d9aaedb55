// RESHAPE, SQUEEZE and EXPAND_DIMS: the output holds the input's bytes unchanged, only the shape differs.
// The kernels copy (the planner gives input and output their own memory); prepare() checks the shapes.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// SQUEEZE's output shape: `input` without the dimensions listed in `squeeze_dims` (negative values count
// from the back; each must have size 1), or without every size-1 dimension when `count` is 0.
Status squeeze_output_shape(const Shape& input, const int32_t* squeeze_dims, int count, Shape* output);

// EXPAND_DIMS's output shape: `input` with a dimension of size 1 inserted before dimension `axis`
// (in [-rank - 1, rank]; negative values count from the back).
Status expand_dims_output_shape(const Shape& input, int64_t axis, Shape* output);

}  // namespace reference
}  // namespace edgeinfer
