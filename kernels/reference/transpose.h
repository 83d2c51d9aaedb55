// TRANSPOSE: output dimension i is input dimension perm[i] (TensorFlow Lite's reference Transpose), for
// ranks up to kMaxRank and any element size.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

// Checks that `perm` (count == input.rank) is a permutation, and gives the output shape and the copy that
// performs the transpose (dense input to dense output).
Status transpose_plan(const Shape& input, const int64_t* perm, int count, Shape* output, StridedCopy* plan);

}  // namespace reference
}  // namespace edgeinfer
