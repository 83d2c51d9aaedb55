// DEPTHWISE_CONV_2D reference kernels: TensorFlow Lite's reference_ops::DepthwiseConv (float) and
// reference_integer_ops::DepthwiseConvPerChannel (int8, 16x8), bit for bit; and full TensorFlow Lite's hybrid
// kernel (float input and output, int8 filter: depthwise_conv_2d_hybrid()).
//
// Tensors are NHWC; the filter is [1, filter_height, filter_width, output_depth] with output channel
// oc = in_channel * depth_multiplier + m. Padded positions contribute nothing.
#pragma once

#include <cstdint>

#include "kernels/reference/conv_common.h"
#include "kernels/reference/hybrid.h"

namespace edgeinfer {
namespace reference {

// `bias` may be null.
void depthwise_conv_2d_float(const ConvParams& params, const float* input, const float* filter,
                             const float* bias, float* output);

// Per-channel `multipliers` / `shifts` (one per output channel); int32 accumulator that wraps like TFLite's.
void depthwise_conv_2d_int8(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                            const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output);

// 16x8: int64 bias and accumulator (TensorFlow Lite has no int32-bias variant here). Ignores zero points.
void depthwise_conv_2d_int16(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                             const int16_t* input, const int8_t* filter, const int64_t* bias,
                             int16_t* output);

// Hybrid: TensorFlow Lite's EvalHybridPerChannel with its builtin (optimized, non-NEON) kernel
// DepthwiseConvHybridGeneral. Each batch of the input is quantized asymmetrically (TFLite always does so
// here; the flag `hybrid.asymmetric` is honoured for tests), acc sums filter * (q - offset) over the window
// (int32, wrapping; padding skipped), and output = clamp((float(acc) * scaling factor) * channel scale +
// bias). A per-tensor filter scale serves every channel. `bias` may be null.
void depthwise_conv_2d_hybrid(const ConvParams& params, const HybridParams& hybrid, const float* input,
                              const int8_t* filter, const float* bias, float* output,
                              const HybridBuffers& buffers);

// ---- Kernel glue, shared with the optimized kernels (same checks, same op data) ----

// What prepare() computes for eval().
struct DepthwiseOpData {
  ConvParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int32_t* multipliers;  // int8 / int16: one per output channel
  int32_t* shifts;
  const HybridData* hybrid;  // hybrid ops (float input, int8 filter; `type` is float32), else null
};

// The reference kernel's prepare() (validates the op, stores a DepthwiseOpData) and eval().
Status depthwise_conv_2d_prepare(KernelContext& context);
Status depthwise_conv_2d_eval(KernelContext& context);
// The same eval() with the op data given (an optimized kernel's fallback keeps its own op data).
Status depthwise_conv_2d_eval(KernelContext& context, const DepthwiseOpData& data);

}  // namespace reference
}  // namespace edgeinfer
