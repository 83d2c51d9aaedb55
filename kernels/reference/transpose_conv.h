// TRANSPOSE_CONV reference kernels: TensorFlow Lite's reference_ops::TransposeConv (float) and
// reference_integer_ops::TransposeConv (int8, 16x8), bit for bit.
//
// Tensors are NHWC; the filter is [output_depth, filter_height, filter_width, input_depth]. Each input
// element is scattered into the outputs it influences (output origin in * stride - padding), in TensorFlow
// Lite's order, so float sums round identically; elements falling outside the output are dropped. No
// dilation.
#pragma once

#include <cstdint>

#include "kernels/reference/conv_common.h"

namespace edgeinfer {
namespace reference {

// `bias` may be null. `output` doubles as the accumulator.
void transpose_conv_float(const ConvParams& params, const float* input, const float* filter,
                          const float* bias, float* output);

// `scratch` holds one int32 accumulator per output element (wrapping like TFLite's). Like TensorFlow Lite,
// ignores the filter zero point.
void transpose_conv_int8(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                         const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output,
                         int32_t* scratch);

// 16x8: int64 accumulators in `scratch` (one per output element), int64 or (older converters) int16 bias
// widened to int64. Ignores zero points.
void transpose_conv_int16(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                          const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output,
                          int64_t* scratch);
void transpose_conv_int16(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                          const int16_t* input, const int8_t* filter, const int16_t* bias, int16_t* output,
                          int64_t* scratch);

}  // namespace reference
}  // namespace edgeinfer
