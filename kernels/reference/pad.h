// PAD and PADV2 (TensorFlow Lite's reference Pad): the input surrounded by `before` / `after` elements of
// one pad value per dimension.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer {
namespace reference {

struct PadParams {
  int32_t rank = 0;
  int32_t before[kMaxRank] = {};
  int32_t after[kMaxRank] = {};
};

// Reads a paddings tensor's values ([rank][2]: before, after) into `params`; fails on negative padding or
// a count that is not 2 * rank.
Status make_pad_params(const int64_t* paddings, int count, int rank, PadParams* params);

// Output shape of padding `input` with `params` (params.rank == input.rank).
Status pad_output_shape(const Shape& input, const PadParams& params, Shape* output);

// The copy of the input's elements into their place inside the output.
StridedCopy pad_copy_plan(const Shape& input, const PadParams& params);

// Pads `input` of shape `input_shape` into `output` (shape from pad_output_shape), all elements
// `element_bytes` long, padding filled with the element at `pad_value`.
void pad_data(const PadParams& params, const Shape& input_shape, const void* input, size_t element_bytes,
              const void* pad_value, void* output);

}  // namespace reference
}  // namespace edgeinfer
