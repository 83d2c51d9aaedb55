// SLICE (TensorFlow Lite's reference Slice): a box of `size` elements starting at `begin`, size -1 meaning
// "to the end of the dimension".
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

// Checks begin/size (`count` == input.rank entries each; 0 <= begin <= dim, 0 <= size <= dim - begin or
// size == -1) and gives the slice's shape and the copy extracting it from the dense input.
Status slice_plan(const Shape& input, const int64_t* begin, const int64_t* size, int count, Shape* output,
                  StridedCopy* plan);

}  // namespace reference
}  // namespace edgeinfer
