// Output sizes and padding of windowed ops (convolutions, pooling), as TensorFlow Lite computes them
// (ComputeOutSize / ComputePaddingWithOffset / ComputePaddingHeightWidth in
// tensorflow/lite/kernels/padding.h).
//
// Models are untrusted: the arithmetic is done in 64 bits and compute_padding_2d() rejects geometries whose
// index arithmetic would not fit comfortably in int32, so kernels can then index with plain `int`.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"

namespace edgeinfer {

// Values are TensorFlow Lite's Padding codes (tflite::Padding), so a cast converts.
enum class PaddingType : int8_t {
  kSame = 0,
  kValid = 1,
};

// Largest input size and effective filter size compute_padding_2d() accepts. Every term of
// `out * stride - padding + filter_index * dilation` is then below 2^29 ((out - 1) * stride never exceeds the
// input size), so kernel index arithmetic stays in int32.
constexpr int64_t kMaxWindowExtent = int64_t{1} << 29;

// Extent of a dilated filter: (filter_size - 1) * dilation + 1.
constexpr int64_t effective_filter_size(int64_t filter_size, int64_t dilation) {
  return (filter_size - 1) * dilation + 1;
}

// Output size along one dimension (TensorFlow's GetWindowedOutputSize). 0 for a non-positive stride; may be
// 0 or negative for VALID padding when the filter is larger than the input: callers reject that.
constexpr int64_t compute_out_size(PaddingType padding, int64_t in_size, int64_t filter_size, int64_t stride,
                                   int64_t dilation = 1) {
  if (stride <= 0) return 0;
  switch (padding) {
    case PaddingType::kSame: return (in_size + stride - 1) / stride;
    case PaddingType::kValid:
      return (in_size + stride - effective_filter_size(filter_size, dilation)) / stride;
  }
  return 0;
}

// Padding before the first input element along one dimension. The total padding may be odd: `*offset` is
// then 1, the extra element being after the end (kernels that need both sides, like transpose conv, use it).
constexpr int64_t compute_padding_with_offset(int64_t stride, int64_t dilation, int64_t in_size,
                                              int64_t filter_size, int64_t out_size, int64_t* offset) {
  int64_t total = (out_size - 1) * stride + effective_filter_size(filter_size, dilation) - in_size;
  total = total > 0 ? total : 0;
  *offset = total % 2;
  return total / 2;
}

struct Padding2D {
  int32_t out_height = 0;
  int32_t out_width = 0;
  int32_t height = 0;  // padding before the first row / column
  int32_t width = 0;
  int32_t height_offset = 0;  // 1 when the padding after the end is one larger
  int32_t width_offset = 0;
};

// One window geometry: what compute_padding_2d() checks and pads.
struct Window2D {
  PaddingType padding = PaddingType::kSame;
  int32_t stride_height = 1;
  int32_t stride_width = 1;
  int32_t dilation_height = 1;
  int32_t dilation_width = 1;
  int32_t in_height = 0;
  int32_t in_width = 0;
  int32_t filter_height = 0;
  int32_t filter_width = 0;
};

// Output size and padding for height and width (TensorFlow Lite's ComputePaddingHeightWidth), after checking
// the window: strides and dilations >= 1, positive sizes, a known padding type, a non-empty output and
// extents below kMaxWindowExtent. Errors are kInvalidModel (kUnsupported for windows beyond that limit).
inline Status compute_padding_2d(const Window2D& w, Padding2D* result) {
  if (w.padding != PaddingType::kSame && w.padding != PaddingType::kValid) {
    return Status::error(StatusCode::kInvalidModel, "unknown padding type %d", static_cast<int>(w.padding));
  }
  if (w.stride_height < 1 || w.stride_width < 1) {
    return Status::error(StatusCode::kInvalidModel, "strides must be >= 1, got height %d width %d",
                         static_cast<int>(w.stride_height), static_cast<int>(w.stride_width));
  }
  if (w.dilation_height < 1 || w.dilation_width < 1) {
    return Status::error(StatusCode::kInvalidModel, "dilations must be >= 1, got height %d width %d",
                         static_cast<int>(w.dilation_height), static_cast<int>(w.dilation_width));
  }
  if (w.in_height < 1 || w.in_width < 1 || w.filter_height < 1 || w.filter_width < 1) {
    return Status::error(StatusCode::kInvalidModel,
                         "window sizes must be positive: input %dx%d, filter %dx%d",
                         static_cast<int>(w.in_height), static_cast<int>(w.in_width),
                         static_cast<int>(w.filter_height), static_cast<int>(w.filter_width));
  }
  const int64_t filter_extent_h = effective_filter_size(w.filter_height, w.dilation_height);
  const int64_t filter_extent_w = effective_filter_size(w.filter_width, w.dilation_width);
  if (w.in_height > kMaxWindowExtent || w.in_width > kMaxWindowExtent || filter_extent_h > kMaxWindowExtent ||
      filter_extent_w > kMaxWindowExtent) {
    return Status::error(StatusCode::kUnsupported, "window too large: input %dx%d, filter %dx%d",
                         static_cast<int>(w.in_height), static_cast<int>(w.in_width),
                         static_cast<int>(w.filter_height), static_cast<int>(w.filter_width));
  }
  const int64_t out_h =
      compute_out_size(w.padding, w.in_height, w.filter_height, w.stride_height, w.dilation_height);
  const int64_t out_w =
      compute_out_size(w.padding, w.in_width, w.filter_width, w.stride_width, w.dilation_width);
  if (out_h < 1 || out_w < 1) {
    return Status::error(StatusCode::kInvalidModel,
                         "VALID window gives an empty output: input %dx%d, dilated filter %dx%d",
                         static_cast<int>(w.in_height), static_cast<int>(w.in_width),
                         static_cast<int>(filter_extent_h), static_cast<int>(filter_extent_w));
  }
  int64_t offset_h = 0;
  int64_t offset_w = 0;
  result->out_height = static_cast<int32_t>(out_h);
  result->out_width = static_cast<int32_t>(out_w);
  result->height = static_cast<int32_t>(compute_padding_with_offset(
      w.stride_height, w.dilation_height, w.in_height, w.filter_height, out_h, &offset_h));
  result->width = static_cast<int32_t>(compute_padding_with_offset(
      w.stride_width, w.dilation_width, w.in_width, w.filter_width, out_w, &offset_w));
  result->height_offset = static_cast<int32_t>(offset_h);
  result->width_offset = static_cast<int32_t>(offset_w);
  return Status::ok();
}

}  // namespace edgeinfer
