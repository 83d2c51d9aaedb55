// RESIZE_NEAREST_NEIGHBOR (TensorFlow Lite's reference ResizeNearestNeighbor) on NHWC tensors, with its
// float source-index arithmetic so every align_corners / half_pixel_centers case picks the same pixels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

struct ResizeNearestNeighborParams {
  bool align_corners = false;
  bool half_pixel_centers = false;
};

// The input row (or column) that output row `output_index` copies, for input size `input_size` > 0 and
// output size `output_size` > 0.
int32_t nearest_neighbor_index(int32_t output_index, int32_t input_size, int32_t output_size,
                               const ResizeNearestNeighborParams& params);

// Resizes `input` ([batch, height, width, depth]) to `output_shape` ([batch, new height, new width, depth]),
// elements `element_bytes` long.
void resize_nearest_neighbor_data(const ResizeNearestNeighborParams& params, const Shape& input_shape,
                                  const void* input, const Shape& output_shape, size_t element_bytes,
                                  void* output);

}  // namespace reference
}  // namespace edgeinfer
