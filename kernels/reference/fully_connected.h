// FULLY_CONNECTED reference kernels: TensorFlow Lite's reference_ops::FullyConnected (float) and
// reference_integer_ops::FullyConnected / FullyConnectedPerChannel (int8, 16x8), bit for bit; and the hybrid
// kernel (float input and output, int8 weights) of full TensorFlow Lite (see fully_connected_hybrid()).
//
// The filter is [output_depth, accum_depth]; the input is read as [batches, accum_depth] and the output
// written as [batches, output_depth] whatever their ranks (keep_num_dims only changes the output's shape).
#pragma once

#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "kernels/reference/conv_common.h"
#include "kernels/reference/hybrid.h"

namespace edgeinfer {
namespace reference {

struct FullyConnectedParams {
  int32_t batches = 0;
  int32_t accum_depth = 0;
  int32_t output_depth = 0;
  // Integer kernels. Per-tensor filters keep TensorFlow Lite's filter offset; per-channel ones are symmetric
  // (filter_offset 0). int16 kernels ignore input and output offsets.
  bool per_channel = false;   // multipliers / shifts hold output_depth values, else one
  int32_t input_offset = 0;   // minus the input zero point
  int32_t filter_offset = 0;  // minus the filter zero point
  int32_t output_offset = 0;  // the output zero point
  int32_t activation_min = 0;
  int32_t activation_max = 0;
  // Float kernels.
  float float_activation_min = 0.0f;
  float float_activation_max = 0.0f;
};

// `bias` may be null.
void fully_connected_float(const FullyConnectedParams& params, const float* input, const float* filter,
                           const float* bias, float* output);

// The integer kernels take an optional `block_bitmap`: the filter's block-sparsity bitmap
// (edgeinfer/block_sparsity.h: output_depth rows of accum_depth values), with which they skip the filter's
// zero blocks and compute the same bytes. It requires filter_offset 0 (a zero weight is then a zero product).

// int32 accumulator that wraps like TFLite's.
void fully_connected_int8(const FullyConnectedParams& params, const int32_t* multipliers,
                          const int32_t* shifts, const int8_t* input, const int8_t* filter,
                          const int32_t* bias, int8_t* output, const uint8_t* block_bitmap = nullptr);

// 16x8 with int64 bias: 64-bit accumulator and requantization.
void fully_connected_int16(const FullyConnectedParams& params, const int32_t* multipliers,
                           const int32_t* shifts, const int16_t* input, const int8_t* filter,
                           const int64_t* bias, int16_t* output, const uint8_t* block_bitmap = nullptr);

// 16x8 with int32 bias or none (TFLM's choice for a missing bias): 32-bit wrapping accumulator and the int32
// requantization.
void fully_connected_int16_acc32(const FullyConnectedParams& params, const int32_t* multipliers,
                                 const int32_t* shifts, const int16_t* input, const int8_t* filter,
                                 const int32_t* bias, int16_t* output, const uint8_t* block_bitmap = nullptr);

// Hybrid: TensorFlow Lite's EvalHybridDense. Each batch row of the input is quantized on its own
// (symmetric, or asymmetric when the op's asymmetric_quantize_inputs option is set); then
// output = bias + float(acc) * scale, with acc = sum(filter * q) - row_sum * offset (int32, wrapping) and
// scale = scaling factor * filter scale (per-tensor filters: folded into the scaling factor first) or
// scaling factor * channel scale (per-channel), followed by TFLite's vector activation
// (hybrid_vector_activation()). An all-zero input skips the product: output = activation(bias).
// `bias` may be null; `buffers.row_sums` must hold the filter's row sums when `hybrid.asymmetric`.
void fully_connected_hybrid(const FullyConnectedParams& params, const HybridParams& hybrid,
                            const float* input, const int8_t* filter, const float* bias, float* output,
                            const HybridBuffers& buffers);

// ---- Kernel glue, shared with the optimized kernels (which check the same and fall back to this eval) ----

// What prepare_fully_connected() computes once and stores as the op data (in persistent memory).
struct FullyConnectedData {
  FullyConnectedParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int32_t* multipliers;  // per channel, or pointing at `multiplier`; null for float32
  int32_t* shifts;
  int32_t multiplier;  // per-tensor filters
  int32_t shift;
  const HybridData* hybrid;  // hybrid ops (float input, int8 filter; `type` is float32), else null
  const uint8_t* block_bitmap;  // integer ops: the filter's block-sparsity bitmap in the model, or null
};

// The reference kernel's prepare(): validates the op and sets a FullyConnectedData as its op data.
Status prepare_fully_connected(KernelContext& context);
// The reference kernel's eval() with the op data `data`.
Status eval_fully_connected(KernelContext& context, const FullyConnectedData& data);

}  // namespace reference
}  // namespace edgeinfer
