// CONV_2D for Cortex-M with the DSP extension: int8 as a matrix product of receptive fields (rows) and
// filters (matmul_int8), byte-identical to reference::conv_2d_int8. 1x1 unpadded convolutions (MobileNet's
// pointwise layers) read their rows straight from the input; the others gather four receptive fields at a
// time into a scratch buffer (im2col). Four output pixels share each filter load (matmul_int8_four_rows), and
// with a block-sparsity index (found by the reference prepare()) they skip the filter's zero blocks.
// Other types, grouped convolutions and non-constant filters run the reference kernel.
#include "kernels/reference/conv_2d.h"

#include <cstring>

#include "edgeinfer/kernel.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/optimized/cortex_m/matmul_int8.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

using reference::ConvParams;

constexpr int kRowsPerGroup = 4;  // output pixels per matmul_int8_four_rows() call

struct Conv2DOptData {
  const reference::Conv2DData* reference;  // checked parameters; the whole op data of the fallback
  bool fast;                               // int8 fast path
  bool direct_rows;                        // 1x1 filter without padding: rows are input pixels
  int scratch_index;                       // im2col buffer of four receptive fields (not direct_rows)
  int expanded_index;                      // four rows as int16 pairs (expand_four_rows)
  int32_t* channel_terms;                  // bias + input_offset * sum(filter), per output channel
};

// Copies the receptive field of the output pixel whose window starts at (in_y_origin, in_x_origin) to
// `column` in the filter's order (rows, columns, channels). Taps outside the input get the input zero point
// (`pad_value`): with the input offset added it is 0, so they contribute nothing, as TensorFlow Lite's
// skipped taps, and the offset folded into the channel terms stays exact.
void gather_receptive_field(const ConvParams& p, const int8_t* batch_input, int in_y_origin, int in_x_origin,
                            int8_t pad_value, int8_t* column) {
  const int depth = p.input_depth;
  const int row_bytes = p.filter_width * depth;
  int fx_begin, fx_end;
  reference::taps_inside_input(in_x_origin, p.dilation_width, p.filter_width, p.input_width, &fx_begin,
                               &fx_end);
  for (int fy = 0; fy < p.filter_height; ++fy, column += row_bytes) {
    const int in_y = in_y_origin + p.dilation_height * fy;
    if (in_y < 0 || in_y >= p.input_height || fx_begin == fx_end) {
      std::memset(column, pad_value, row_bytes);
      continue;
    }
    const int8_t* input_row = batch_input + in_y * p.input_width * depth;
    std::memset(column, pad_value, fx_begin * depth);
    if (p.dilation_width == 1) {  // the taps inside are contiguous in the input
      std::memcpy(column + fx_begin * depth, input_row + (in_x_origin + fx_begin) * depth,
                  (fx_end - fx_begin) * depth);
    } else {
      for (int fx = fx_begin; fx < fx_end; ++fx) {
        std::memcpy(column + fx * depth, input_row + (in_x_origin + p.dilation_width * fx) * depth, depth);
      }
    }
    std::memset(column + fx_end * depth, pad_value, (p.filter_width - fx_end) * depth);
  }
}

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(reference::prepare_conv_2d(context));
  const auto* ref = context.op_data_as<reference::Conv2DData>();
  auto* data = static_cast<Conv2DOptData*>(context.allocate_persistent(sizeof(Conv2DOptData)));
  if (data == nullptr) return context.arena_full_error();
  data->reference = ref;
  data->fast = false;
  data->direct_rows = false;
  data->scratch_index = -1;
  data->expanded_index = -1;
  data->channel_terms = nullptr;
  context.set_op_data(data);

  const ConvParams& p = ref->params;
  const Tensor filter = context.input(1);
  const bool constant_bias = ref->bias == reference::BiasKind::kNone || ref->bias_source.constant_data;
  if (ref->type != DataType::kInt8 || p.filter_input_depth != p.input_depth || !filter.is_constant ||
      !constant_bias || !multipliers_supported(ref->multipliers, p.output_depth)) {
    return Status::ok();  // the reference kernel runs
  }
  // The filter has fewer than 2^31 elements (prepare_conv_2d checked), so its rows' length fits in int.
  const int row_length = p.filter_height * p.filter_width * p.filter_input_depth;
  EI_RETURN_IF_ERROR(reference::allocate_int32_array(context, p.output_depth, &data->channel_terms));
  compute_channel_terms(filter.data_as<const int8_t>(), row_length, p.output_depth,
                        static_cast<const int32_t*>(ref->bias_source.constant_data), p.input_offset,
                        data->channel_terms);
  data->direct_rows =
      p.filter_height == 1 && p.filter_width == 1 && p.padding_height == 0 && p.padding_width == 0;
  if (!data->direct_rows) {
    EI_RETURN_IF_ERROR(
        context.request_scratch(kRowsPerGroup * static_cast<size_t>(row_length), &data->scratch_index));
  }
  // Splitting four rows into int16 pairs once (not once per output channel) costs a buffer of 2 bytes per
  // value.
  EI_RETURN_IF_ERROR(context.request_scratch(
      static_cast<size_t>(expanded_entries(row_length) > 0 ? expanded_entries(row_length) : 1) *
          sizeof(uint64_t),
      &data->expanded_index));
  data->fast = true;
  return Status::ok();
}

Status eval(KernelContext& context) {
  const Conv2DOptData& d = *context.op_data_as<Conv2DOptData>();
  if (!d.fast) return reference::eval_conv_2d(context, *d.reference);
  const ConvParams p = d.reference->params;  // a local copy: int8 stores cannot alias it
  Int8OutputStage stage;
  stage.channel_terms = d.channel_terms;
  stage.multipliers = d.reference->multipliers;
  stage.shifts = d.reference->shifts;
  stage.per_channel = true;
  stage.output_offset = p.output_offset;
  stage.activation_min = p.activation_min;
  stage.activation_max = p.activation_max;

  const int8_t* input = context.input(0).data_as<const int8_t>();
  const int8_t* filter = context.input(1).data_as<const int8_t>();
  int8_t* output = context.output(0).data_as<int8_t>();
  const int row_length = p.filter_height * p.filter_width * p.input_depth;
  const int input_batch_stride = p.input_height * p.input_width * p.input_depth;
  int8_t* columns = d.direct_rows ? nullptr : static_cast<int8_t*>(context.scratch(d.scratch_index));
  uint64_t* expanded = static_cast<uint64_t*>(context.scratch(d.expanded_index));
  const auto pad_value = static_cast<int8_t>(-p.input_offset);
  // With the index when input channels are a multiple of 4 (blocks of whole words): with 1 or 3 (first
  // layers), blocks of one or three products cost more to find than they save.
  const uint8_t* block_bitmap = p.input_depth % 4 == 0 ? d.reference->block_bitmap : nullptr;

  // Output pixels in order, four at a time: the rows and outputs of a group wait in `rows` / `outputs`.
  const int8_t* rows[kRowsPerGroup];
  int8_t* outputs[kRowsPerGroup];
  int pending = 0;
  for (int b = 0; b < p.batches; ++b) {
    const int8_t* batch_input = input + b * input_batch_stride;
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      for (int out_x = 0; out_x < p.output_width; ++out_x, output += p.output_depth) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        if (d.direct_rows) {
          rows[pending] = batch_input + (in_y_origin * p.input_width + in_x_origin) * p.input_depth;
        } else {
          int8_t* column = columns + pending * row_length;
          gather_receptive_field(p, batch_input, in_y_origin, in_x_origin, pad_value, column);
          rows[pending] = column;
        }
        outputs[pending] = output;
        if (++pending == kRowsPerGroup) {
          expand_four_rows(rows, row_length, expanded);
          // The four pixels are consecutive, and so are their outputs.
          if (block_bitmap != nullptr) {
            matmul_int8_four_rows_sparse(expanded, p.filter_height * p.filter_width, p.input_depth, filter,
                                         block_bitmap, p.output_depth, stage, outputs[0], p.output_depth);
          } else {
            matmul_int8_four_rows(rows, expanded, row_length, filter, p.output_depth, stage, outputs[0],
                                  p.output_depth);
          }
          pending = 0;
        }
      }
    }
  }
  // The last one to three pixels: in pairs, then alone (dense: zero blocks add 0 either way).
  int i = 0;
  for (; i + 1 < pending; i += 2) {
    matmul_int8_rows(rows[i], rows[i + 1], row_length, filter, p.output_depth, stage, outputs[i],
                     outputs[i + 1]);
  }
  if (i < pending) {
    matmul_int8_rows(rows[i], nullptr, row_length, filter, p.output_depth, stage, outputs[i], nullptr);
  }
  return Status::ok();
}

}  // namespace

const Kernel& conv_2d() {
  static const Kernel kernel = {"cortex_m/conv_2d", prepare, eval};
  return kernel;
}

}  // namespace cortex_m
}  // namespace edgeinfer
