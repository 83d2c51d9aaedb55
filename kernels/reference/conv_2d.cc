#include "kernels/reference/conv_2d.h"

#include <cstddef>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/block_sparse.h"

namespace edgeinfer {
namespace reference {
namespace {

// Calls `store(oc, acc)` for every output element in TensorFlow Lite's order (batch, row, column, output
// channel) and writes what it returns to the next output element. `acc` is the sum over the receptive field
// of filter * (input + input_offset), in TensorFlow Lite's order (filter rows, columns, then the group's
// input channels; padded positions are skipped), accumulated in `Acc`: uint32_t gives TFLite's wrapping int32
// sum without undefined behaviour, int64_t its 16x8 int64 sum. Each product fits in int32. Not inlined into
// the callers that also hold the sparse loops, so that it compiles as it did before them.
template <typename Acc, typename In, typename Out, typename Store>
[[gnu::noinline]] void conv_integer(const ConvParams& params, const In* input, const int8_t* filter,
                                    int32_t input_offset, Out* output, Store store) {
  // A local copy: stores through `output` (int8_t may alias anything) cannot change it, so its fields stay
  // in registers instead of being reloaded for every output.
  const ConvParams p = params;
  const int filters_per_group = p.output_depth / (p.input_depth / p.filter_input_depth);
  const int input_row_stride = p.input_width * p.input_depth;
  const int filter_row_stride = p.filter_width * p.filter_input_depth;
  const int filter_channel_stride = p.filter_height * filter_row_stride;
  // Without dilation or groups, a filter row's taps and channels lie in one run of the input too.
  const bool row_is_one_run = p.dilation_width == 1 && p.filter_input_depth == p.input_depth;
  for (int b = 0; b < p.batches; ++b) {
    const In* batch_input = input + b * p.input_height * input_row_stride;
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      int fy_begin, fy_end;
      taps_inside_input(in_y_origin, p.dilation_height, p.filter_height, p.input_height, &fy_begin, &fy_end);
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        int fx_begin, fx_end;
        taps_inside_input(in_x_origin, p.dilation_width, p.filter_width, p.input_width, &fx_begin, &fx_end);
        for (int oc = 0; oc < p.output_depth; ++oc) {
          const In* group_input = batch_input + (oc / filters_per_group) * p.filter_input_depth;
          const int8_t* channel_filter = filter + oc * filter_channel_stride;
          Acc acc = 0;
          for (int fy = fy_begin; fy < fy_end; ++fy) {
            const int in_y = in_y_origin + p.dilation_height * fy;
            if (row_is_one_run) {
              // The row's taps inside the input, all their channels: one run in both input and filter.
              const In* in = group_input + in_y * input_row_stride + (in_x_origin + fx_begin) * p.input_depth;
              const int8_t* f = channel_filter + fy * filter_row_stride + fx_begin * p.filter_input_depth;
              const int run = (fx_end - fx_begin) * p.filter_input_depth;
              for (int i = 0; i < run; ++i) acc += static_cast<Acc>(f[i] * (in[i] + input_offset));
              continue;
            }
            for (int fx = fx_begin; fx < fx_end; ++fx) {
              const int in_x = in_x_origin + p.dilation_width * fx;
              const In* in = group_input + in_y * input_row_stride + in_x * p.input_depth;
              const int8_t* f = channel_filter + fy * filter_row_stride + fx * p.filter_input_depth;
              for (int ic = 0; ic < p.filter_input_depth; ++ic) {
                acc += static_cast<Acc>(f[ic] * (in[ic] + input_offset));
              }
            }
          }
          *output++ = store(oc, acc);
        }
      }
    }
  }
}

// A non-zero filter block of one output channel, listed once per channel so that the loop over the outputs
// does no bitmap work: its values, its tap, and where its input values start relative to the receptive
// field's first value.
struct NonZeroBlock {
  int32_t input;
  int8_t filter[kSparseBlock];
  uint8_t fy, fx;
};
static_assert(kSparseBlock == 4, "the loops below multiply 4 values per block");
// Blocks one channel may list (a stack array of 768 bytes); a channel with more, or a filter whose input
// channels are not a multiple of the block, goes through the bitmap tap by tap.
constexpr int kMaxListedBlocks = 64;

// conv_integer() over the non-zero blocks of a block-sparsity bitmap (`block_bitmap`: a row per output
// channel, a run of filter_input_depth values per filter position) only: the skipped products are 0, and the
// wrapping sum does not depend on the order, so the outputs are conv_integer()'s. Output channel by output
// channel: its non-zero blocks are listed once, then every output of the channel sums over the list (taps
// outside the input skipped, as conv_integer() skips them). conv_integer() itself stays as it was (its code
// must not change for models without an index).
template <typename Acc, typename In, typename Out, typename Store>
[[gnu::noinline]] void conv_integer_sparse(const ConvParams& params, const In* input, const int8_t* filter,
                                           const uint8_t* block_bitmap, int32_t input_offset, Out* output,
                                           Store store) {
  const ConvParams p = params;  // a local copy, as in conv_integer()
  const int filters_per_group = p.output_depth / (p.input_depth / p.filter_input_depth);
  const int input_row_stride = p.input_width * p.input_depth;
  const int depth = p.filter_input_depth;
  const int blocks = sparse_blocks(depth);  // per filter position
  const int positions = p.filter_height * p.filter_width;
  const int row_bytes = block_sparsity_row_bytes(positions * blocks);
  const int filter_channel_stride = positions * depth;
  const bool listable = depth % kSparseBlock == 0 && p.filter_height <= 255 && p.filter_width <= 255;
  // The outputs whose filter columns all fall inside the input: a contiguous range, the origin growing with
  // x.
  int inside_x_begin = p.output_width, inside_x_end = 0;
  for (int out_x = 0; out_x < p.output_width; ++out_x) {
    int fx_begin, fx_end;
    taps_inside_input(out_x * p.stride_width - p.padding_width, p.dilation_width, p.filter_width,
                      p.input_width, &fx_begin, &fx_end);
    if (fx_begin == 0 && fx_end == p.filter_width) {
      if (inside_x_begin > out_x) inside_x_begin = out_x;
      inside_x_end = out_x + 1;
    }
  }
  NonZeroBlock list[kMaxListedBlocks];
  for (int oc = 0; oc < p.output_depth; ++oc) {
    const int group_channel = (oc / filters_per_group) * depth;
    const int8_t* channel_filter = filter + oc * filter_channel_stride;
    const uint8_t* row = block_bitmap + oc * row_bytes;
    int listed = 0;
    if (listable) {
      for_each_set_bit(row, positions * blocks, [&](int bit) {
        if (listed == kMaxListedBlocks) {
          ++listed;  // too many: marks the channel for the tap-by-tap loop
          return;
        }
        if (listed > kMaxListedBlocks) return;
        const int position = bit / blocks, k = bit % blocks * kSparseBlock;
        NonZeroBlock& block = list[listed++];
        block.fy = static_cast<uint8_t>(position / p.filter_width);
        block.fx = static_cast<uint8_t>(position % p.filter_width);
        block.input =
            block.fy * p.dilation_height * input_row_stride + block.fx * p.dilation_width * p.input_depth + k;
        for (int i = 0; i < kSparseBlock; ++i) block.filter[i] = channel_filter[position * depth + k + i];
      });
    }
    const bool use_list = listable && listed <= kMaxListedBlocks;
    Acc listed_offset_sum = 0;
    for (int i = 0; use_list && i < listed; ++i) {
      for (int k = 0; k < kSparseBlock; ++k)
        listed_offset_sum += static_cast<Acc>(list[i].filter[k] * input_offset);
    }
    Out* out = output + oc;
    for (int b = 0; b < p.batches; ++b) {
      const In* batch_input = input + b * p.input_height * input_row_stride + group_channel;
      for (int out_y = 0; out_y < p.output_height; ++out_y) {
        const int in_y_origin = out_y * p.stride_height - p.padding_height;
        int fy_begin, fy_end;
        taps_inside_input(in_y_origin, p.dilation_height, p.filter_height, p.input_height, &fy_begin,
                          &fy_end);
        const bool row_inside = fy_begin == 0 && fy_end == p.filter_height;
        for (int out_x = 0; out_x < p.output_width; ++out_x, out += p.output_depth) {
          const int in_x_origin = out_x * p.stride_width - p.padding_width;
          // The receptive field's first value (outside the input when the field starts in the padding: only
          // offsets of taps inside are ever added to it).
          const ptrdiff_t origin = static_cast<ptrdiff_t>(in_y_origin) * input_row_stride +
                                   static_cast<ptrdiff_t>(in_x_origin) * p.input_depth;
          Acc acc = 0;
          if (use_list && row_inside && out_x >= inside_x_begin && out_x < inside_x_end) {
            // Every tap inside: sum f * in, plus input_offset x the listed filter values once (equal in the
            // wrapping, or exact 64-bit, sum).
            acc = listed_offset_sum;
            const In* field = batch_input + origin;
            for (int i = 0; i < listed; ++i) {
              const In* in = field + list[i].input;
              const int8_t* f = list[i].filter;
              acc += static_cast<Acc>(f[0] * in[0] + f[1] * in[1] + f[2] * in[2] + f[3] * in[3]);
            }
            *out = store(oc, acc);
            continue;
          }
          int fx_begin, fx_end;
          taps_inside_input(in_x_origin, p.dilation_width, p.filter_width, p.input_width, &fx_begin, &fx_end);
          if (use_list) {
            for (int i = 0; i < listed; ++i) {
              const NonZeroBlock& block = list[i];
              if (block.fy < fy_begin || block.fy >= fy_end || block.fx < fx_begin || block.fx >= fx_end)
                continue;
              const In* in = batch_input + (origin + block.input);
              for (int k = 0; k < kSparseBlock; ++k)
                acc += static_cast<Acc>(block.filter[k] * (in[k] + input_offset));
            }
          } else {
            for (int fy = fy_begin; fy < fy_end; ++fy) {
              for (int fx = fx_begin; fx < fx_end; ++fx) {
                const int position = fy * p.filter_width + fx;
                const In* in = batch_input + (origin + fy * p.dilation_height * input_row_stride +
                                              fx * p.dilation_width * p.input_depth);
                const int8_t* f = channel_filter + position * depth;
                for_each_set_bit_in(row, position * blocks, blocks, [&](int block) {
                  const int k = block * kSparseBlock;
                  const int end =
                      k + kSparseBlock < depth ? k + kSparseBlock : depth;  // the last may be shorter
                  for (int i = k; i < end; ++i) acc += static_cast<Acc>(f[i] * (in[i] + input_offset));
                });
              }
            }
          }
          *out = store(oc, acc);
        }
      }
    }
  }
}

// Receptive fields of at most this many values (a 3x3 filter on up to 7 channels: the first layers of image
// and sensor networks) are gathered once per output position; the 256-byte stack buffer bounds it.
constexpr int kMaxGatheredField = 64;

// conv_integer() for an ungrouped filter of at most kMaxGatheredField values: each output position's
// receptive field, input_offset added and 0 for taps outside the input, is gathered once, then every output
// channel is one contiguous dot product with its filter. A padded tap adds 0 instead of being skipped, and
// the wrapping (or exact 64-bit) sum does not depend on the order: the outputs are conv_integer()'s.
template <typename Acc, typename In, typename Out, typename Store>
[[gnu::noinline]] void conv_integer_gathered(const ConvParams& params, const In* input, const int8_t* filter,
                                             int32_t input_offset, Out* output, Store store) {
  const ConvParams p = params;  // a local copy, as in conv_integer()
  const int input_row_stride = p.input_width * p.input_depth;
  const int depth = p.filter_input_depth;
  const int field = p.filter_height * p.filter_width * depth;
  int32_t values[kMaxGatheredField];
  for (int b = 0; b < p.batches; ++b) {
    const In* batch_input = input + b * p.input_height * input_row_stride;
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        int32_t* v = values;
        for (int fy = 0; fy < p.filter_height; ++fy) {
          const int in_y = in_y_origin + p.dilation_height * fy;
          for (int fx = 0; fx < p.filter_width; ++fx) {
            const int in_x = in_x_origin + p.dilation_width * fx;
            const bool inside = in_y >= 0 && in_y < p.input_height && in_x >= 0 && in_x < p.input_width;
            const In* in = batch_input + (inside ? in_y * input_row_stride + in_x * p.input_depth : 0);
            for (int ic = 0; ic < depth; ++ic) *v++ = inside ? in[ic] + input_offset : 0;
          }
        }
        for (int oc = 0; oc < p.output_depth; ++oc) {
          const int8_t* f = filter + oc * field;
          Acc acc = 0;
          for (int k = 0; k < field; ++k) acc += static_cast<Acc>(f[k] * values[k]);
          *output++ = store(oc, acc);
        }
      }
    }
  }
}

// conv_integer_sparse() with a bitmap, else conv_integer_gathered() for small ungrouped filters, else
// conv_integer().
template <typename Acc, typename In, typename Out, typename Store>
void conv_integer(const ConvParams& params, const In* input, const int8_t* filter, int32_t input_offset,
                  Out* output, Store store, const uint8_t* block_bitmap) {
  if (block_bitmap != nullptr) {
    conv_integer_sparse<Acc>(params, input, filter, block_bitmap, input_offset, output, store);
  } else if (params.filter_input_depth == params.input_depth &&
             params.filter_height * params.filter_width * params.filter_input_depth <= kMaxGatheredField) {
    conv_integer_gathered<Acc>(params, input, filter, input_offset, output, store);
  } else {
    conv_integer<Acc>(params, input, filter, input_offset, output, store);
  }
}

}  // namespace

void conv_2d_float(const ConvParams& params, const float* input, const float* filter, const float* bias,
                   float* output) {
  const ConvParams p = params;  // a local copy, as in conv_integer()
  const int filters_per_group = p.output_depth / (p.input_depth / p.filter_input_depth);
  const int input_row_stride = p.input_width * p.input_depth;
  const int filter_row_stride = p.filter_width * p.filter_input_depth;
  const int filter_channel_stride = p.filter_height * filter_row_stride;
  for (int b = 0; b < p.batches; ++b) {
    const float* batch_input = input + b * p.input_height * input_row_stride;
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      int fy_begin, fy_end;
      taps_inside_input(in_y_origin, p.dilation_height, p.filter_height, p.input_height, &fy_begin, &fy_end);
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        int fx_begin, fx_end;
        taps_inside_input(in_x_origin, p.dilation_width, p.filter_width, p.input_width, &fx_begin, &fx_end);
        for (int oc = 0; oc < p.output_depth; ++oc) {
          const float* group_input = batch_input + (oc / filters_per_group) * p.filter_input_depth;
          const float* channel_filter = filter + oc * filter_channel_stride;
          float total = 0.0f;
          for (int fy = fy_begin; fy < fy_end; ++fy) {
            const int in_y = in_y_origin + p.dilation_height * fy;
            for (int fx = fx_begin; fx < fx_end; ++fx) {
              const int in_x = in_x_origin + p.dilation_width * fx;
              const float* in = group_input + in_y * input_row_stride + in_x * p.input_depth;
              const float* f = channel_filter + fy * filter_row_stride + fx * p.filter_input_depth;
              for (int ic = 0; ic < p.filter_input_depth; ++ic) total += in[ic] * f[ic];
            }
          }
          const float bias_value = bias ? bias[oc] : 0.0f;
          *output++ = clamp_float(total + bias_value, p.float_activation_min, p.float_activation_max);
        }
      }
    }
  }
}

void conv_2d_int8(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts, const int8_t* input,
                  const int8_t* filter, const int32_t* bias, int8_t* output, const uint8_t* block_bitmap) {
  conv_integer<uint32_t>(
      p, input, filter, p.input_offset, output,
      [&](int oc, uint32_t sum) {
        int32_t acc = static_cast<int32_t>(sum);
        if (bias) acc = wrapping_add(acc, bias[oc]);
        return static_cast<int8_t>(requantize_acc32(acc, multipliers[oc], shifts[oc], p.output_offset,
                                                    p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void conv_2d_int16(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                   const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output,
                   const uint8_t* block_bitmap) {
  conv_integer<int64_t>(
      p, input, filter, 0, output,
      [&](int oc, int64_t acc) {
        if (bias) acc = wrapping_add(acc, bias[oc]);
        return static_cast<int16_t>(
            requantize_acc64(acc, multipliers[oc], shifts[oc], p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void conv_2d_int16_acc32(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                         const int16_t* input, const int8_t* filter, const int32_t* bias, int16_t* output,
                         const uint8_t* block_bitmap) {
  conv_integer<uint32_t>(
      p, input, filter, 0, output,
      [&](int oc, uint32_t sum) {
        int32_t acc = static_cast<int32_t>(sum);
        if (bias) acc = wrapping_add(acc, bias[oc]);
        return static_cast<int16_t>(
            requantize_acc32(acc, multipliers[oc], shifts[oc], 0, p.activation_min, p.activation_max));
      },
      block_bitmap);
}

void conv_2d_hybrid(const ConvParams& params, const HybridParams& h, const float* input, const int8_t* filter,
                    const float* bias, float* output, const HybridBuffers& buffers) {
  const int batch_size = params.input_height * params.input_width * params.input_depth;
  const size_t output_batch_size =
      static_cast<size_t>(params.output_height) * params.output_width * params.output_depth;
  hybrid_quantize_batches(input, params.batches, batch_size, h.asymmetric, buffers.quantized_input,
                          buffers.scaling_factors, buffers.offsets);
  const bool grouped = params.filter_input_depth != params.input_depth;
  ConvParams one = params;  // one batch at a time: each has its own scaling factor and offset
  one.batches = 1;
  const float min = params.float_activation_min;
  const float max = params.float_activation_max;
  for (int b = 0; b < params.batches; ++b) {
    const int8_t* q = buffers.quantized_input + static_cast<size_t>(b) * static_cast<size_t>(batch_size);
    float* out = output + static_cast<size_t>(b) * output_batch_size;
    const float factor = buffers.scaling_factors[b];
    if (!h.asymmetric) {
      const float scale = factor * h.weight_scales[0];
      conv_integer<uint32_t>(one, q, filter, 0, out, [&](int oc, uint32_t sum) {
        float total = 0.0f;  // TFLite accumulates onto a zeroed output, then adds the bias
        total += static_cast<float>(static_cast<int32_t>(sum)) * scale;
        if (bias) total += bias[oc];
        return clamp_float(total, min, max);
      });
    } else if (!grouped) {
      conv_integer<uint32_t>(one, q, filter, -buffers.offsets[b], out, [&](int oc, uint32_t sum) {
        float total = static_cast<float>(static_cast<int32_t>(sum)) * (hybrid_weight_scale(h, oc) * factor);
        if (bias) total += bias[oc];
        return clamp_float(total, min, max);
      });
    } else {
      conv_integer<uint32_t>(one, q, filter, -buffers.offsets[b], out, [&](int oc, uint32_t sum) {
        float total = static_cast<float>(static_cast<int32_t>(sum)) * hybrid_weight_scale(h, oc) * factor;
        if (bias) total += bias[oc];
        return clamp_float(total, min, max);
      });
    }
  }
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

Status prepare_conv_2d(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_io_count(context, 2, 3, 2));
  const tflite::Conv2DOptions* options = context.op()->builtin_options_as_Conv2DOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "missing Conv2DOptions");
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const bool has_bias = context.has_input(2);

  ConvParams p;
  EI_RETURN_IF_ERROR(read_conv_geometry(input, filter, output, options->stride_h(), options->stride_w(), &p,
                                        /*allow_hybrid=*/true));
  const bool int16_op = input.type == DataType::kInt16;
  p.output_depth = filter.shape.dims[0];
  p.filter_input_depth = filter.shape.dims[3];
  p.dilation_height = options->dilation_h_factor();
  p.dilation_width = options->dilation_w_factor();
  if (output.shape.dims[3] != p.output_depth) {
    return Status::error(StatusCode::kInvalidModel, "output has %d channels, filter has %d output channels",
                         static_cast<int>(output.shape.dims[3]), static_cast<int>(p.output_depth));
  }
  if (p.input_depth % p.filter_input_depth != 0) {
    return Status::error(StatusCode::kInvalidModel, "filter has %d input channels, input has %d",
                         static_cast<int>(p.filter_input_depth), static_cast<int>(p.input_depth));
  }
  const int groups = p.input_depth / p.filter_input_depth;
  if (p.output_depth % groups != 0) {
    return Status::error(StatusCode::kInvalidModel, "%d output channels do not split into %d groups",
                         static_cast<int>(p.output_depth), groups);
  }

  EI_RETURN_IF_ERROR(prepare_conv_window(static_cast<int8_t>(options->padding()), &p));

  auto* data = static_cast<Conv2DData*>(context.allocate_persistent(sizeof(Conv2DData)));
  if (data == nullptr) return context.arena_full_error();
  data->type = input.type;
  data->bias = BiasKind::kNone;
  data->bias_source = BiasSource{};
  data->multipliers = nullptr;
  data->shifts = nullptr;
  data->hybrid = nullptr;
  data->block_bitmap = nullptr;

  const auto activation = static_cast<FusedActivation>(options->fused_activation_function());
  if (input.type == DataType::kFloat32) {
    if (has_bias) {
      EI_RETURN_IF_ERROR(check_bias(context.input(2), DataType::kFloat32, p.output_depth));
      data->bias = BiasKind::kFloat32;
    }
    EI_RETURN_IF_ERROR(activation_range_float(activation, &p.float_activation_min, &p.float_activation_max));
    if (is_hybrid(input, filter)) {
      EI_RETURN_IF_ERROR(check_filter_quantization(filter, 0, p.output_depth));
      // TFLite takes its per-channel (asymmetric) path for scales that differ, and for groups.
      bool scales_differ = false;
      for (int c = 1; c < filter.quant.count; ++c)
        scales_differ |= filter.quant.scale(c) != filter.quant.scale(0);
      HybridData* hybrid = nullptr;
      EI_RETURN_IF_ERROR(prepare_hybrid(context, filter, 0, p.output_depth, p.batches,
                                        p.input_height * p.input_width * p.input_depth,
                                        scales_differ || groups != 1, 0, activation, &hybrid));
      data->hybrid = hybrid;
    }
  } else {
    if (has_bias) {
      const Tensor bias = context.input(2);
      const DataType bias_type =
          int16_op && bias.type == DataType::kInt64 ? DataType::kInt64 : DataType::kInt32;
      EI_RETURN_IF_ERROR(check_bias(bias, bias_type, p.output_depth));
      data->bias = bias_type == DataType::kInt64 ? BiasKind::kInt64 : BiasKind::kInt32;
    }
    const int max_shift = data->bias == BiasKind::kInt64 ? kMaxShiftAcc64 : kMaxShiftAcc32;
    EI_RETURN_IF_ERROR(prepare_conv_quantization(context, input, filter, output, 0, max_shift, activation, &p,
                                                 &data->multipliers, &data->shifts));
    data->block_bitmap = context.block_sparsity(1);
  }
  if (data->bias != BiasKind::kNone) {
    EI_RETURN_IF_ERROR(prepare_bias_source(context, 2, &data->bias_source));
  }
  data->params = p;
  context.set_op_data(data);
  return Status::ok();
}

Status eval_conv_2d(KernelContext& context, const Conv2DData& d) {
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const void* bias = bias_data(context, d.bias_source);
  if (d.hybrid != nullptr) {
    conv_2d_hybrid(d.params, d.hybrid->params, input.data_as<const float>(), filter.data_as<const int8_t>(),
                   static_cast<const float*>(bias), output.data_as<float>(),
                   hybrid_buffers(context, *d.hybrid));
    return Status::ok();
  }
  switch (d.type) {
    case DataType::kFloat32:
      conv_2d_float(d.params, input.data_as<const float>(), filter.data_as<const float>(),
                    static_cast<const float*>(bias), output.data_as<float>());
      break;
    case DataType::kInt8:
      conv_2d_int8(d.params, d.multipliers, d.shifts, input.data_as<const int8_t>(),
                   filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                   output.data_as<int8_t>(), d.block_bitmap);
      break;
    default:  // int16, checked in prepare()
      if (d.bias == BiasKind::kInt64) {
        conv_2d_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                      filter.data_as<const int8_t>(), static_cast<const int64_t*>(bias),
                      output.data_as<int16_t>(), d.block_bitmap);
      } else {
        conv_2d_int16_acc32(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                            filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                            output.data_as<int16_t>(), d.block_bitmap);
      }
      break;
  }
  return Status::ok();
}

namespace {

Status eval(KernelContext& context) {
  return eval_conv_2d(context, *context.op_data_as<Conv2DData>());
}

}  // namespace

const Kernel& conv_2d() {
  static const Kernel kernel = {"reference/conv_2d", prepare_conv_2d, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
