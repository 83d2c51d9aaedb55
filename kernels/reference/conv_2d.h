// CONV_2D reference kernels: TensorFlow Lite's reference_ops::Conv (float) and
// reference_integer_ops::ConvPerChannel (int8, 16x8), bit for bit. Grouped convolution is supported
// (filter input depth dividing the input depth), as in TensorFlow Lite's reference kernels. Hybrid models
// (float input and output, int8 filter) run full TensorFlow Lite's hybrid arithmetic (conv_2d_hybrid()).
//
// Tensors are NHWC; the filter is [output_depth, filter_height, filter_width, filter_input_depth]. Padded
// positions contribute nothing (they are skipped, not multiplied by the zero point).
#pragma once

#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "kernels/reference/conv_common.h"
#include "kernels/reference/hybrid.h"

namespace edgeinfer {
namespace reference {

// `bias` may be null.
void conv_2d_float(const ConvParams& params, const float* input, const float* filter, const float* bias,
                   float* output);

// The integer kernels take an optional `block_bitmap`: the filter's block-sparsity bitmap
// (edgeinfer/block_sparsity.h: output_depth x filter_height x filter_width rows of filter_input_depth
// values), with which they skip the filter's zero blocks and compute the same bytes.

// Per-channel `multipliers` / `shifts` (one per output channel); int32 accumulator that wraps like TFLite's.
void conv_2d_int8(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                  const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output,
                  const uint8_t* block_bitmap = nullptr);

// 16x8 with int64 bias: 64-bit accumulator and requantization. Ignores zero points (symmetric int16).
void conv_2d_int16(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                   const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output,
                   const uint8_t* block_bitmap = nullptr);

// 16x8 with int32 bias or none (TFLM picks this for a missing bias): 32-bit wrapping accumulator and the
// int32 requantization, which rounds differently from the int64 one.
void conv_2d_int16_acc32(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                         const int16_t* input, const int8_t* filter, const int32_t* bias, int16_t* output,
                         const uint8_t* block_bitmap = nullptr);

// Hybrid, as TensorFlow Lite's conv.cc chooses (it has no asymmetric_quantize_inputs option for CONV_2D: the
// filter scales decide). Each batch of the input (height x width x depth values) is quantized on its own,
// acc sums filter * (q - offset) over the window (int32, wrapping; padding skipped), s is the batch's scaling
// factor, and the result is clamped to the activation limits:
// - equal filter scales (one, or one per channel all alike), no groups (EvalHybrid, HybridConv): symmetric
//   input (offset 0), s *= filter scale, output = (0 + float(acc) * s) + bias;
// - per-channel scales that differ (EvalHybridPerChannel, the optimized HybridConvPerChannel): asymmetric
//   input, output = float(acc) * (channel scale * s) + bias;
// - grouped (EvalHybridPerChannel on TFLite's reference HybridConvPerChannel): asymmetric input,
//   output = (float(acc) * channel scale) * s + bias.
// `hybrid.asymmetric` selects the last two; `bias` may be null.
void conv_2d_hybrid(const ConvParams& params, const HybridParams& hybrid, const float* input,
                    const int8_t* filter, const float* bias, float* output, const HybridBuffers& buffers);

// ---- Kernel glue, shared with the optimized kernels (which check the same and fall back to this eval) ----

// What prepare_conv_2d() computes once and stores as the op data (in persistent memory).
struct Conv2DData {
  ConvParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int32_t* multipliers;  // per output channel (a per-tensor filter scale is broadcast); null for float32
  int32_t* shifts;
  const HybridData* hybrid;  // hybrid ops (float input, int8 filter; `type` is float32), else null
  const uint8_t* block_bitmap;  // integer ops: the filter's block-sparsity bitmap in the model, or null
};

// The reference kernel's prepare(): validates the op and sets a Conv2DData as its op data.
Status prepare_conv_2d(KernelContext& context);
// The reference kernel's eval() with the op data `data`.
Status eval_conv_2d(KernelContext& context, const Conv2DData& data);

}  // namespace reference
}  // namespace edgeinfer
