// AVERAGE_POOL_2D and MAX_POOL_2D on NHWC tensors (float, int8, int16), bit-exact with TFLM's reference
// kernels: windows clipped to the input (padding elements are not counted), quantized averages rounded half
// away from zero, fused activation as a clamp.
#pragma once

#include <cstdint>

#include "edgeinfer/kernel.h"

namespace edgeinfer {
namespace reference {

struct PoolParams {
  int32_t batches = 0;
  int32_t in_height = 0;
  int32_t in_width = 0;
  int32_t depth = 0;
  int32_t out_height = 0;
  int32_t out_width = 0;
  int32_t stride_height = 1;
  int32_t stride_width = 1;
  int32_t filter_height = 1;
  int32_t filter_width = 1;
  int32_t padding_height = 0;  // before the first row / column
  int32_t padding_width = 0;
  float float_min = 0;  // fused activation range (float)
  float float_max = 0;
  int32_t quantized_min = 0;  // fused activation range (quantized); input and output share quantization
  int32_t quantized_max = 0;
};

void average_pool_float(const PoolParams& params, const float* in, float* out);
void average_pool_int8(const PoolParams& params, const int8_t* in, int8_t* out);
void average_pool_int16(const PoolParams& params, const int16_t* in, int16_t* out);
void max_pool_float(const PoolParams& params, const float* in, float* out);
void max_pool_int8(const PoolParams& params, const int8_t* in, int8_t* out);
void max_pool_int16(const PoolParams& params, const int16_t* in, int16_t* out);

// The reference AVERAGE_POOL_2D kernel's prepare() (validates the op, stores a PoolParams as op data; every
// window overlaps the input, at most 2^16 elements for integer types) and eval(), for optimized kernels.
Status average_pool_2d_prepare(KernelContext& context);
Status average_pool_2d_eval(KernelContext& context);

}  // namespace reference
}  // namespace edgeinfer
