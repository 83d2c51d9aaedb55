// What the convolution family (conv_2d, depthwise_conv_2d, transpose_conv, fully_connected) shares: the
// geometry and output-stage parameters of its pure kernels, TensorFlow Lite's wrapping int32 arithmetic, and
// the prepare()-time checks and per-channel requantization constants.
#pragma once

#include <algorithm>
#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {

// Geometry and output stage of the windowed ops over NHWC tensors. Filters are [out, h, w, in] for conv_2d
// and transpose_conv, [1, h, w, out] for depthwise_conv_2d.
struct ConvParams {
  int32_t batches = 0;
  int32_t input_height = 0;
  int32_t input_width = 0;
  int32_t input_depth = 0;
  int32_t filter_height = 0;
  int32_t filter_width = 0;
  int32_t filter_input_depth = 0;  // conv_2d: input channels per group (== input_depth unless grouped)
  int32_t depth_multiplier = 1;    // depthwise_conv_2d: output channels per input channel
  int32_t output_height = 0;
  int32_t output_width = 0;
  int32_t output_depth = 0;
  int32_t stride_height = 1;
  int32_t stride_width = 1;
  int32_t dilation_height = 1;  // transpose_conv has none
  int32_t dilation_width = 1;
  int32_t padding_height = 0;  // padding before the first row / column
  int32_t padding_width = 0;
  // Integer kernels. int16 kernels are symmetric: like TensorFlow Lite they ignore both offsets.
  int32_t input_offset = 0;   // minus the input zero point
  int32_t output_offset = 0;  // the output zero point
  int32_t activation_min = 0;
  int32_t activation_max = 0;
  // Float kernels.
  float float_activation_min = 0.0f;
  float float_activation_max = 0.0f;
};

// TensorFlow Lite accumulates int8 products in int32 and lets the sum wrap. The kernels accumulate in
// uint32_t, whose arithmetic wraps by definition, and convert the sum back to int32_t: the same bits, without
// undefined behaviour.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// The taps [*begin, *end) of one filter dimension whose input position origin + dilation * tap lies inside
// [0, input_size); empty when none does. TensorFlow Lite's loops visit every tap and skip the others
// (padding): visiting just these, in the same order, adds the same terms in the same order.
// compute_padding_2d() bounds every term below 2^29, so the arithmetic fits in int.
inline void taps_inside_input(int origin, int dilation, int filter_size, int input_size, int* begin,
                              int* end) {
  // Smallest tap at or past position 0, and at or past position input_size (ceiling divisions).
  const int first = origin >= 0 ? 0 : (-origin + dilation - 1) / dilation;
  const int last = origin >= input_size ? 0 : (input_size - origin + dilation - 1) / dilation;
  *begin = std::min(first, filter_size);
  *end = std::max(*begin, std::min(last, filter_size));
}

// Output stages, clamping in TensorFlow Lite's order (max with the lower limit first).
// With a 32-bit accumulator (int8 kernels, and int16 kernels with int32 bias): requantize, add
// the zero point (wrapping, as TensorFlow Lite's int32 does), clamp.
inline int32_t requantize_acc32(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                                int32_t min, int32_t max) {
  const int32_t scaled =
      wrapping_add(multiply_by_quantized_multiplier(acc, multiplier, shift), output_offset);
  return std::min(std::max(scaled, min), max);
}

// requantize_acc32() with multiply_by_quantized_multiplier_fast(): exactly equal.
inline int32_t requantize_acc32_fast(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                                     int32_t min, int32_t max) {
  const int32_t scaled =
      wrapping_add(multiply_by_quantized_multiplier_fast(acc, multiplier, shift), output_offset);
  // std::min(std::max(scaled, min), max) by value (the references cost a stack slot at -O2).
  const int32_t lower = scaled < min ? min : scaled;
  return max < lower ? max : lower;
}

// Output stage with a 64-bit accumulator (int16 kernels with int64 bias): no zero point.
inline int32_t requantize_acc64(int64_t acc, int32_t multiplier, int shift, int32_t min, int32_t max) {
  return std::min(std::max(multiply_by_quantized_multiplier(acc, multiplier, shift), min), max);
}

// Largest requantization shifts the kernels accept: beyond them TensorFlow Lite's arithmetic is undefined
// (int32 path: left shift past the sign bit; int64 path: a non-positive total shift).
constexpr int kMaxShiftAcc32 = 30;
constexpr int kMaxShiftAcc64 = 14;

// Which bias an op has, decided in prepare().
enum class BiasKind : int8_t { kNone, kFloat32, kInt16, kInt32, kInt64 };

// ---- prepare()-time checks (errors are kInvalidModel unless the model is valid but unsupported) ----

// Between `min_inputs` and `max_inputs` inputs with the first `required` present, and one output.
Status check_io_count(KernelContext& context, int min_inputs, int max_inputs, int required);
// The element types TensorFlow Lite's reference kernels run: float32 everywhere, int8 with int8 filter, or
// int16 with int8 filter (16x8); same input and output type. Hybrid (float input, int8 filter: see hybrid.h)
// only with `allow_hybrid` (the ops that have hybrid kernels), else kUnsupported.
Status check_conv_types(const Tensor& input, const Tensor& filter, const Tensor& output,
                        bool allow_hybrid = false);
// Float input and output with an int8 filter: a hybrid op (once check_conv_types() accepted it).
inline bool is_hybrid(const Tensor& input, const Tensor& filter) {
  return input.type == DataType::kFloat32 && filter.type == DataType::kInt8;
}
Status require_rank(const Tensor& tensor, const char* what, int rank);
// Positive dimensions and fewer than 2^31 elements, so kernels index with int.
Status require_valid_shape(const Tensor& tensor, const char* what);
// Per-tensor affine quantization with a finite positive scale and a zero point within the type's range.
Status require_per_tensor_quantization(const Tensor& tensor, const char* what);
// Filter quantization: one scale, or one per channel along `channel_dim` (with quantized_dimension ==
// channel_dim); every scale finite and >= 0.
Status check_filter_quantization(const Tensor& filter, int channel_dim, int num_channels);
// Bias: `type`, `channels` elements.
Status check_bias(const Tensor& bias, DataType type, int channels);

// What every windowed convolution (conv_2d, depthwise_conv_2d, transpose_conv) checks and reads first:
// check_conv_types(), rank-4 tensors of valid shape, the NHWC input and output sizes, the filter's height and
// width (dimensions 1 and 2), the strides, and an output batch equal to the input's. The filter's channel
// dimensions, dilation and padding are each op's own. `allow_hybrid` as in check_conv_types().
Status read_conv_geometry(const Tensor& input, const Tensor& filter, const Tensor& output,
                          int32_t stride_height, int32_t stride_width, ConvParams* params,
                          bool allow_hybrid = false);

// Requantization constants of each output channel, as TensorFlow Lite's
// PopulateConvolutionQuantizationParams: multiplier of input_scale * filter_scale[c] / output_scale (computed
// in double), the per-tensor filter scale broadcast. Fails when a shift exceeds `max_shift`.
Status compute_channel_multipliers(const Tensor& input, const Tensor& filter, const Tensor& output,
                                   int num_channels, int max_shift, int32_t* multipliers, int32_t* shifts);

// Activation clamp of a quantized output (kUnsupported for TANH / SIGN_BIT, which are not clamps).
Status quantized_activation(FusedActivation activation, const Tensor& output, int32_t* min, int32_t* max);

// Pads the window of conv_2d / depthwise_conv_2d: from the input size, filter size, strides and dilations in
// `p`, checks the output size in `p` against what `padding` (a tflite::Padding value) gives and sets the
// padding fields.
Status prepare_conv_window(int8_t padding, ConvParams* p);

// Quantized setup of conv_2d / depthwise_conv_2d / transpose_conv: checks the quantization of input, filter
// (channels along `channel_dim`) and output, allocates and computes the per-channel multipliers, and sets
// the activation limits and (int8 only: int16 is symmetric) the offsets in `p`.
Status prepare_conv_quantization(KernelContext& context, const Tensor& input, const Tensor& filter,
                                 const Tensor& output, int channel_dim, int max_shift,
                                 FusedActivation activation, ConvParams* p, int32_t** multipliers,
                                 int32_t** shifts);

// Where eval() finds the bias. Constant biases are resolved in prepare(): the model's bytes, or an aligned
// copy in persistent memory when the model stores them misaligned (older converters did not align buffers and
// TFLM reads them unaligned). Non-constant biases are read from the tensor at eval time.
struct BiasSource {
  const void* constant_data = nullptr;
  int input_index = -1;  // -1: no bias
};
Status prepare_bias_source(KernelContext& context, int input_index, BiasSource* source);
inline const void* bias_data(const KernelContext& context, const BiasSource& source) {
  if (source.input_index < 0) return nullptr;
  return source.constant_data ? source.constant_data : context.input(source.input_index).data;
}

// Allocates `count` int32 values of persistent memory (or fails with the arena-full error).
Status allocate_int32_array(KernelContext& context, int count, int32_t** out);

}  // namespace reference
}  // namespace edgeinfer
