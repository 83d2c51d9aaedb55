// Hybrid (dynamic-range) kernels: float32 activations with int8 weights, as full TensorFlow Lite runs them
// (TFLM refuses such models). At run time each batch of the float input is quantized to int8 with its own
// scaling factor (symmetric, or asymmetric with a zero point); the products accumulate in int32 and come
// back to float as acc * input scaling factor * weight scale; bias and activation are applied in float.
//
// This file holds what FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D share: the run-time quantization
// (TensorFlow Lite's tensor_utils SymmetricQuantizeFloats / AsymmetricQuantizeFloats, bit for bit), the
// matrix x batched-vector product with scaling factors and the zero-point correction by row sums
// (MatrixBatchVectorMultiplyAccumulate), and the prepare()-time setup of the op's scratch buffer. Which
// quantization and which float operation order each op uses is documented with its kernel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {

// ---- Run-time quantization of the float input ----

// Symmetric: scaling factor max|x| / 127 (float), q = round(x * (127 / max|x|)) clamped to [-127, 127]. An
// all-zero row gives q = 0 and scaling factor 1. NaN inputs quantize to -127 (what TFLite's int conversion
// yields on x86); `size` >= 1.
void hybrid_quantize_symmetric(const float* values, int size, int8_t* quantized, float* scaling_factor);

// Asymmetric: the range [min(0, min x), max(0, max x)] mapped onto [-128, 127] in double, the zero point
// nudged to an integer (`*offset`), q = round(offset + x / scaling factor) clamped to [-128, 127]. A row
// whose range is empty gives q = 0, scaling factor 1, offset 0.
void hybrid_quantize_asymmetric(const float* values, int size, int8_t* quantized, float* scaling_factor,
                                int32_t* offset);

// Each of `batches` rows of `batch_size` values quantized on its own; `offsets` receives the zero points
// (0 when symmetric).
void hybrid_quantize_batches(const float* input, int batches, int batch_size, bool asymmetric,
                             int8_t* quantized, float* scaling_factors, int32_t* offsets);

// ---- The fully connected product ----

// sums[r] = sum of row r of the int8 matrix [rows, cols] (int32, wrapping).
void hybrid_row_sums(const int8_t* matrix, int rows, int cols, int32_t* sums);

// For each batch b and row r: result[b * rows + r] += float(acc) * scale, with
// acc = sum_c matrix[r][c] * vectors[b][c] - row_sums[r] * offsets[b] (int32, wrapping) and
// scale = scaling_factors[b] * channel_scales[r] (scaling_factors[b] alone when `channel_scales` is null).
// `offsets` null: symmetric input (no correction, `row_sums` unused).
void hybrid_matrix_batch_vector_multiply_accumulate(const int8_t* matrix, int rows, int cols,
                                                    const int8_t* vectors, int batches,
                                                    const float* scaling_factors, const float* channel_scales,
                                                    const int32_t* offsets, const int32_t* row_sums,
                                                    float* result);

// TensorFlow Lite's ApplyActivationToVector, which hybrid FULLY_CONNECTED applies (not a clamp to float
// limits: kNone leaves infinities, RELU has no upper limit): RELU max(0, x), RELU_N1_TO_1
// max(-1, min(x, 1)), RELU6 max(0, min(x, 6)) with std::max/std::min semantics, SIGN_BIT 1 for a set sign
// bit else 0.
float hybrid_vector_activation(FusedActivation activation, float x);
bool hybrid_vector_activation_supported(FusedActivation activation);

// ---- Parameters and buffers of the pure kernels ----

struct HybridParams {
  bool asymmetric = false;   // input quantized with a zero point per batch (else symmetric)
  bool per_channel = false;  // weight_scales holds one scale per output channel (else weight_scales[0])
  const float* weight_scales = nullptr;
  FusedActivation activation = FusedActivation::kNone;  // FULLY_CONNECTED only (the convolutions clamp)
};

// The weight scale of output channel `c`.
inline float hybrid_weight_scale(const HybridParams& h, int c) {
  return h.weight_scales[h.per_channel ? c : 0];
}

// Where a hybrid kernel works. Sizes: the input's element count, one value per batch, one per output channel.
struct HybridBuffers {
  int8_t* quantized_input = nullptr;
  float* scaling_factors = nullptr;
  int32_t* offsets = nullptr;
  int32_t* row_sums = nullptr;  // FULLY_CONNECTED with asymmetric input: the filter's row sums (filled)
};

// ---- Kernel glue (prepare() / eval()) ----

// What prepare_hybrid() sets up: the kernel's parameters and one scratch buffer holding
// [quantized input | scaling factors | offsets | row sums when computed per eval].
struct HybridData {
  HybridParams params;
  int32_t batches;
  int32_t batch_size;            // values quantized together
  int32_t channels;              // output channels (row sums)
  int32_t row_length;            // values per row sum; 0 when the kernel needs none
  int32_t* persistent_row_sums;  // computed once in prepare() for a constant filter, else null
  int scratch_index;
  size_t scaling_factors_at;  // byte offsets in the scratch buffer
  size_t offsets_at;
  size_t row_sums_at;
};

// Validates the int8 filter of a hybrid op (quantized, one scale or one per channel along `channel_dim`,
// zero points 0: TFLite's hybrid kernels ignore them), requests the scratch buffer and stores a HybridData in
// persistent memory. `row_length` > 0: the kernel subtracts offsets * row sums of that length (computed here
// when the filter is constant, else in each eval by hybrid_buffers()).
Status prepare_hybrid(KernelContext& context, const Tensor& filter, int channel_dim, int channels,
                      int batches, int batch_size, bool asymmetric, int row_length,
                      FusedActivation activation, HybridData** data);

// The buffers of `data`'s scratch; fills the row sums from the filter (input 1) when prepare() could not.
HybridBuffers hybrid_buffers(const KernelContext& context, const HybridData& data);

}  // namespace reference
}  // namespace edgeinfer
