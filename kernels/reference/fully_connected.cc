#include "kernels/reference/fully_connected.h"

#include <cmath>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/block_sparse.h"
#include "kernels/reference/conv_common.h"

namespace edgeinfer {
namespace reference {
namespace {

// Calls `store(out_c, acc)` for every output in order (batch, output channel) and writes what it returns to
// the next output element. `acc` is the sum over d of (filter + filter_offset) * (input + input_offset),
// accumulated in `Acc`: uint32_t gives TFLite's wrapping int32 sum without undefined behaviour, int64_t its
// 16x8 int64 sum. Each product fits in int32. Not inlined into the callers that also hold the sparse loops,
// so that it compiles as it did before them.
template <typename Acc, typename In, typename Out, typename Store>
[[gnu::noinline]] void fully_connected_integer(const FullyConnectedParams& p, const In* input,
                                               const int8_t* filter, int32_t input_offset, Out* output,
                                               Store store) {
  const int32_t filter_offset = p.filter_offset;
  for (int b = 0; b < p.batches; ++b) {
    const In* in = input + b * p.accum_depth;
    for (int out_c = 0; out_c < p.output_depth; ++out_c) {
      const int8_t* f = filter + out_c * p.accum_depth;
      Acc acc = 0;
      for (int d = 0; d < p.accum_depth; ++d) {
        acc += static_cast<Acc>((f[d] + filter_offset) * (in[d] + input_offset));
      }
      *output++ = store(out_c, acc);
    }
  }
}

// With a block-sparsity bitmap (filter offset 0), the same sums over the filter rows' non-zero blocks only:
// the skipped products are 0, and the wrapping sum does not depend on the order.
template <typename Acc, typename In, typename Out, typename Store>
[[gnu::noinline]] void fully_connected_integer_sparse(const FullyConnectedParams& p, const In* input,
                                                      const int8_t* filter, const uint8_t* block_bitmap,
                                                      int32_t input_offset, Out* output, Store store) {
  const int depth = p.accum_depth;
  const int full_blocks = depth / kSparseBlock;  // then a shorter one when depth % kSparseBlock != 0
  const int row_bytes = block_sparsity_row_bytes(sparse_blocks(depth));
  for (int b = 0; b < p.batches; ++b) {
    const In* in = input + b * depth;
    for (int out_c = 0; out_c < p.output_depth; ++out_c) {
      const int8_t* f = filter + out_c * depth;
      const uint8_t* bits = block_bitmap + out_c * row_bytes;
      Acc acc = 0;
      auto products = [&](int k, int n) {
        for (int i = k; i < k + n; ++i) acc += static_cast<Acc>(f[i] * (in[i] + input_offset));
      };
      for_each_set_bit(bits, full_blocks, [&](int block) { products(block * kSparseBlock, kSparseBlock); });
      const int rest = full_blocks * kSparseBlock;
      if (rest < depth && block_is_nonzero(bits, full_blocks)) products(rest, depth - rest);
      *output++ = store(out_c, acc);
    }
  }
}

// fully_connected_integer_sparse() with a bitmap, else fully_connected_integer() (whose code stays as it was
// for models without an index).
template <typename Acc, typename In, typename Out, typename Store>
void fully_connected_integer(const FullyConnectedParams& p, const In* input, const int8_t* filter,
                             int32_t input_offset, Out* output, Store store, const uint8_t* block_bitmap) {
  if (block_bitmap != nullptr) {
    fully_connected_integer_sparse<Acc>(p, input, filter, block_bitmap, input_offset, output, store);
  } else {
    fully_connected_integer<Acc>(p, input, filter, input_offset, output, store);
  }
}

}  // namespace

void fully_connected_float(const FullyConnectedParams& p, const float* input, const float* filter,
                           const float* bias, float* output) {
  for (int b = 0; b < p.batches; ++b) {
    const float* in = input + b * p.accum_depth;
    for (int out_c = 0; out_c < p.output_depth; ++out_c) {
      const float* f = filter + out_c * p.accum_depth;
      float total = 0.0f;
      for (int d = 0; d < p.accum_depth; ++d) total += in[d] * f[d];
      const float bias_value = bias ? bias[out_c] : 0.0f;
      *output++ = clamp_float(total + bias_value, p.float_activation_min, p.float_activation_max);
    }
  }
}

void fully_connected_int8(const FullyConnectedParams& p, const int32_t* multipliers, const int32_t* shifts,
                          const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output,
                          const uint8_t* block_bitmap) {
  fully_connected_integer<uint32_t>(
      p, input, filter, p.input_offset, output,
      [&](int out_c, uint32_t sum) {
        const int q = p.per_channel ? out_c : 0;
        int32_t acc = static_cast<int32_t>(sum);
        if (bias) acc = wrapping_add(acc, bias[out_c]);
        return static_cast<int8_t>(requantize_acc32(acc, multipliers[q], shifts[q], p.output_offset,
                                                    p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void fully_connected_int16(const FullyConnectedParams& p, const int32_t* multipliers, const int32_t* shifts,
                           const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output,
                           const uint8_t* block_bitmap) {
  fully_connected_integer<int64_t>(
      p, input, filter, 0, output,
      [&](int out_c, int64_t acc) {
        const int q = p.per_channel ? out_c : 0;
        if (bias) acc = wrapping_add(acc, bias[out_c]);
        return static_cast<int16_t>(
            requantize_acc64(acc, multipliers[q], shifts[q], p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void fully_connected_int16_acc32(const FullyConnectedParams& p, const int32_t* multipliers,
                                 const int32_t* shifts, const int16_t* input, const int8_t* filter,
                                 const int32_t* bias, int16_t* output, const uint8_t* block_bitmap) {
  fully_connected_integer<uint32_t>(
      p, input, filter, 0, output,
      [&](int out_c, uint32_t sum) {
        const int q = p.per_channel ? out_c : 0;
        int32_t acc = static_cast<int32_t>(sum);
        if (bias) acc = wrapping_add(acc, bias[out_c]);
        return static_cast<int16_t>(
            requantize_acc32(acc, multipliers[q], shifts[q], 0, p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void fully_connected_hybrid(const FullyConnectedParams& p, const HybridParams& h, const float* input,
                            const int8_t* filter, const float* bias, float* output,
                            const HybridBuffers& buffers) {
  // The output starts as the bias (or zero) and the products accumulate onto it.
  float* row = output;
  for (int b = 0; b < p.batches; ++b, row += p.output_depth) {
    for (int c = 0; c < p.output_depth; ++c) row[c] = bias ? bias[c] : 0.0f;
  }
  const size_t inputs = static_cast<size_t>(p.batches) * static_cast<size_t>(p.accum_depth);
  bool all_zero = true;
  for (size_t i = 0; i < inputs && all_zero; ++i) all_zero = input[i] == 0.0f;
  if (!all_zero) {  // TFLite skips the product for an all-zero input
    hybrid_quantize_batches(input, p.batches, p.accum_depth, h.asymmetric, buffers.quantized_input,
                            buffers.scaling_factors, buffers.offsets);
    if (!h.per_channel) {
      for (int b = 0; b < p.batches; ++b) buffers.scaling_factors[b] *= h.weight_scales[0];
    }
    hybrid_matrix_batch_vector_multiply_accumulate(
        filter, p.output_depth, p.accum_depth, buffers.quantized_input, p.batches, buffers.scaling_factors,
        h.per_channel ? h.weight_scales : nullptr, h.asymmetric ? buffers.offsets : nullptr, buffers.row_sums,
        output);
  }
  if (h.activation != FusedActivation::kNone) {
    const size_t outputs = static_cast<size_t>(p.batches) * static_cast<size_t>(p.output_depth);
    for (size_t i = 0; i < outputs; ++i) output[i] = hybrid_vector_activation(h.activation, output[i]);
  }
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

namespace {

// Per-tensor requantization exactly as TFLM's FullyConnected prepare: the bias scale must be close to
// input_scale * filter_scale, and the multiplier comes from that product taken in float.
Status per_tensor_multiplier(const Tensor& input, const Tensor& filter, const Tensor* bias,
                             const Tensor& output, int max_shift, int32_t* multiplier, int32_t* shift) {
  const float input_scale = input.quant.scale(0);
  const float filter_scale = filter.quant.scale(0);
  const float output_scale = output.quant.scale(0);
  if (bias != nullptr) {
    const double product = static_cast<double>(input_scale) * static_cast<double>(filter_scale);
    const double difference = std::fabs(product - static_cast<double>(bias->quant.scale(0)));
    if (!(difference / static_cast<double>(output_scale) <= 0.02)) {
      return Status::error(StatusCode::kInvalidModel, "bias scale is not input scale * filter scale");
    }
  }
  const float product = input_scale * filter_scale;
  const double real_multiplier = static_cast<double>(product) / static_cast<double>(output_scale);
  int exponent = 0;
  quantize_multiplier(real_multiplier, multiplier, &exponent);
  if (exponent > max_shift) {
    return Status::error(StatusCode::kUnsupported, "effective scale input*filter/output is too large (2^%d)",
                         exponent);
  }
  *shift = exponent;
  return Status::ok();
}

}  // namespace

Status prepare_fully_connected(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_io_count(context, 2, 3, 2));
  // Missing options mean TensorFlow Lite's defaults: no activation, default weights format.
  const tflite::FullyConnectedOptions* options = context.op()->builtin_options_as_FullyConnectedOptions();
  const auto activation =
      options ? static_cast<FusedActivation>(options->fused_activation_function()) : FusedActivation::kNone;
  if (options && options->weights_format() != tflite::FullyConnectedOptionsWeightsFormat::DEFAULT) {
    return Status::error(StatusCode::kUnsupported, "shuffled weights format is not supported");
  }
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_conv_types(input, filter, output, /*allow_hybrid=*/true));
  EI_RETURN_IF_ERROR(require_rank(filter, "filter", 2));
  EI_RETURN_IF_ERROR(require_valid_shape(input, "input"));
  EI_RETURN_IF_ERROR(require_valid_shape(filter, "filter"));
  EI_RETURN_IF_ERROR(require_valid_shape(output, "output"));
  if (input.shape.rank < 1 || output.shape.rank < 1) {
    return Status::error(StatusCode::kInvalidModel, "input and output must have rank >= 1");
  }

  FullyConnectedParams p;
  p.output_depth = filter.shape.dims[0];
  p.accum_depth = filter.shape.dims[1];
  if (output.shape.dim_from_end(1) != p.output_depth) {
    return Status::error(StatusCode::kInvalidModel, "output's last dimension is %d, filter has %d units",
                         static_cast<int>(output.shape.dim_from_end(1)), static_cast<int>(p.output_depth));
  }
  if (input.num_elements() % p.accum_depth != 0) {
    return Status::error(StatusCode::kInvalidModel,
                         "input of %lld elements is not a multiple of %d filter columns",
                         static_cast<long long>(input.num_elements()), static_cast<int>(p.accum_depth));
  }
  p.batches = static_cast<int32_t>(input.num_elements() / p.accum_depth);
  if (output.num_elements() != static_cast<int64_t>(p.batches) * p.output_depth) {
    return Status::error(StatusCode::kInvalidModel,
                         "output has %lld elements, expected %d batches x %d units",
                         static_cast<long long>(output.num_elements()), static_cast<int>(p.batches),
                         static_cast<int>(p.output_depth));
  }

  auto* data = static_cast<FullyConnectedData*>(context.allocate_persistent(sizeof(FullyConnectedData)));
  if (data == nullptr) return context.arena_full_error();
  data->type = input.type;
  data->bias = BiasKind::kNone;
  data->bias_source = BiasSource{};
  data->multipliers = nullptr;
  data->shifts = nullptr;
  data->hybrid = nullptr;
  data->block_bitmap = nullptr;

  const bool has_bias = context.has_input(2);
  if (input.type == DataType::kFloat32) {
    if (has_bias) {
      EI_RETURN_IF_ERROR(check_bias(context.input(2), DataType::kFloat32, p.output_depth));
      data->bias = BiasKind::kFloat32;
    }
    if (is_hybrid(input, filter)) {
      if (!hybrid_vector_activation_supported(activation)) {
        return Status::error(StatusCode::kUnsupported, "fused activation %d on a hybrid op is not supported",
                             static_cast<int>(activation));
      }
      // Row sums only serve the zero-point correction of asymmetric inputs.
      const bool asymmetric = options && options->asymmetric_quantize_inputs();
      HybridData* hybrid = nullptr;
      EI_RETURN_IF_ERROR(prepare_hybrid(context, filter, 0, p.output_depth, p.batches, p.accum_depth,
                                        asymmetric, asymmetric ? p.accum_depth : 0, activation, &hybrid));
      data->hybrid = hybrid;
    } else {
      EI_RETURN_IF_ERROR(
          activation_range_float(activation, &p.float_activation_min, &p.float_activation_max));
    }
  } else {
    const bool int16_op = input.type == DataType::kInt16;
    Tensor bias;
    if (has_bias) {
      bias = context.input(2);
      const DataType bias_type =
          int16_op && bias.type == DataType::kInt64 ? DataType::kInt64 : DataType::kInt32;
      EI_RETURN_IF_ERROR(check_bias(bias, bias_type, p.output_depth));
      data->bias = bias_type == DataType::kInt64 ? BiasKind::kInt64 : BiasKind::kInt32;
    }
    const int max_shift = data->bias == BiasKind::kInt64 ? kMaxShiftAcc64 : kMaxShiftAcc32;
    EI_RETURN_IF_ERROR(require_per_tensor_quantization(input, "input"));
    EI_RETURN_IF_ERROR(require_per_tensor_quantization(output, "output"));
    EI_RETURN_IF_ERROR(check_filter_quantization(filter, 0, p.output_depth));
    p.per_channel = filter.quant.count > 1;
    if (p.per_channel) {
      EI_RETURN_IF_ERROR(allocate_int32_array(context, p.output_depth, &data->multipliers));
      EI_RETURN_IF_ERROR(allocate_int32_array(context, p.output_depth, &data->shifts));
      EI_RETURN_IF_ERROR(compute_channel_multipliers(input, filter, output, p.output_depth, max_shift,
                                                     data->multipliers, data->shifts));
    } else {
      EI_RETURN_IF_ERROR(per_tensor_multiplier(input, filter, has_bias ? &bias : nullptr, output, max_shift,
                                               &data->multiplier, &data->shift));
      data->multipliers = &data->multiplier;
      data->shifts = &data->shift;
      p.filter_offset = -filter.quant.zero_point(0);
    }
    EI_RETURN_IF_ERROR(quantized_activation(activation, output, &p.activation_min, &p.activation_max));
    if (!int16_op) {
      p.input_offset = -input.quant.zero_point(0);
      p.output_offset = output.quant.zero_point(0);
    }
    // Only given for filters with zero points 0: filter_offset is 0, as the sparse loops need.
    data->block_bitmap = context.block_sparsity(1);
  }
  if (data->bias != BiasKind::kNone) {
    EI_RETURN_IF_ERROR(prepare_bias_source(context, 2, &data->bias_source));
  }
  data->params = p;
  context.set_op_data(data);
  return Status::ok();
}

Status eval_fully_connected(KernelContext& context, const FullyConnectedData& d) {
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const void* bias = bias_data(context, d.bias_source);
  if (d.hybrid != nullptr) {
    fully_connected_hybrid(d.params, d.hybrid->params, input.data_as<const float>(),
                           filter.data_as<const int8_t>(), static_cast<const float*>(bias),
                           output.data_as<float>(), hybrid_buffers(context, *d.hybrid));
    return Status::ok();
  }
  switch (d.type) {
    case DataType::kFloat32:
      fully_connected_float(d.params, input.data_as<const float>(), filter.data_as<const float>(),
                            static_cast<const float*>(bias), output.data_as<float>());
      break;
    case DataType::kInt8:
      fully_connected_int8(d.params, d.multipliers, d.shifts, input.data_as<const int8_t>(),
                           filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                           output.data_as<int8_t>(), d.block_bitmap);
      break;
    default:  // int16, checked in prepare()
      if (d.bias == BiasKind::kInt64) {
        fully_connected_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                              filter.data_as<const int8_t>(), static_cast<const int64_t*>(bias),
                              output.data_as<int16_t>(), d.block_bitmap);
      } else {
        fully_connected_int16_acc32(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                                    filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                                    output.data_as<int16_t>(), d.block_bitmap);
      }
      break;
  }
  return Status::ok();
}

namespace {

Status eval(KernelContext& context) {
  return eval_fully_connected(context, *context.op_data_as<FullyConnectedData>());
}

}  // namespace

const Kernel& fully_connected() {
  static const Kernel kernel = {"reference/fully_connected", prepare_fully_connected, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
