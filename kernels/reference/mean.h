// MEAN (reduce_mean) for float, int8 and int16, bit-exact with TFLM's reduce kernel:
//  - float, 4D input, keep_dims, axes exactly {1, 2} or {2, 1}: per (batch, channel) sum over H then W,
//    divided once (TFLM's dedicated kernel);
//  - float otherwise: sums accumulated in input order, divided once;
//  - quantized (int8, int16), whatever the input and output quantization: integer sum minus count * input
//    zero point, rescaled by a fixed-point multiplier that folds in 1 / count (TFLM's QuantizedMeanOrSum).
//    TFLite's integer-division shortcut for equal quantization is not in TFLM: it would truncate where TFLM
//    rounds (MobileNetV2's global average pool departed by 1 in 532 of 1,280 values).
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// Which input dimensions are reduced and where each input element's sum goes.
struct ReduceShape {
  int32_t rank = 0;
  int32_t dims[kMaxRank] = {};
  int64_t output_strides[kMaxRank] = {};  // 0 along reduced dimensions
  int64_t num_outputs = 1;
  int64_t num_reduced = 1;  // input elements per output
};
// `axes` may be negative (counted from the back) and repeat; fails for axes outside [-rank, rank).
Status make_reduce_shape(const Shape& input, const int64_t* axes, int axis_count, ReduceShape* shape);

// Mean over H and W of an NHWC float tensor (the first path).
struct SpatialMeanShape {
  int32_t batches = 0;
  int32_t height = 0;
  int32_t width = 0;
  int32_t depth = 0;
};
void mean_spatial_float(const SpatialMeanShape& shape, const float* in, float* out);

void mean_float(const ReduceShape& shape, const float* in, float* out);

// Multiplier and shift of input_scale / output_scale (before folding in 1 / count). `sums` holds num_outputs
// values.
struct MeanRequantizeParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t multiplier = 0;
  int32_t shift = 0;
};
void mean_requantize_int8(const ReduceShape& shape, const MeanRequantizeParams& params, const int8_t* in,
                          int8_t* out, int32_t* sums);
void mean_requantize_int16(const ReduceShape& shape, const MeanRequantizeParams& params, const int16_t* in,
                           int16_t* out, int32_t* sums);

}  // namespace reference
}  // namespace edgeinfer
