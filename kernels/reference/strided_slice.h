// STRIDED_SLICE with TensorFlow Lite's full semantics: begin/end/shrink masks, ellipsis and new-axis masks
// (expanded as TensorFlow Lite's kernel does), negative strides and the `offset` option (end = begin + end).
// Ranks up to kMaxRank, including added axes.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

struct StridedSliceParams {
  int32_t count = 0;  // entries of begin / end / strides
  int64_t begin[kMaxRank] = {};
  int64_t end[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
  int32_t begin_mask = 0;
  int32_t end_mask = 0;
  int32_t ellipsis_mask = 0;
  int32_t new_axis_mask = 0;
  int32_t shrink_axis_mask = 0;
  bool offset = false;
};

// The slice of `input` that `params` selects: its shape (without shrunk axes, with new ones) and the copy
// that extracts it from the dense input into a dense output. Fails on a zero stride, a shrunk index outside
// its dimension, masks that do not fit the input's rank, or more than kMaxRank dimensions.
Status strided_slice_plan(const StridedSliceParams& params, const Shape& input, Shape* output,
                          StridedCopy* plan);

}  // namespace reference
}  // namespace edgeinfer
