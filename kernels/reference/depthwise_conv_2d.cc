#include "kernels/reference/depthwise_conv_2d.h"

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace reference {
namespace {

// Sum over the receptive field of output channel oc = ic * depth_multiplier + m at (b, out_y, out_x) of
// filter * (input + input_offset), in TensorFlow Lite's order (filter rows, then columns). Exact in int64:
// the callers reduce it to TFLite's accumulator width.
template <typename In>
int64_t receptive_field_sum(const ConvParams& p, const In* input, const int8_t* filter, int32_t input_offset,
                            int b, int out_y, int out_x, int ic, int oc) {
  const int in_y_origin = out_y * p.stride_height - p.padding_height;
  const int in_x_origin = out_x * p.stride_width - p.padding_width;
  int64_t sum = 0;
  for (int fy = 0; fy < p.filter_height; ++fy) {
    const int in_y = in_y_origin + p.dilation_height * fy;
    if (in_y < 0 || in_y >= p.input_height) continue;
    for (int fx = 0; fx < p.filter_width; ++fx) {
      const int in_x = in_x_origin + p.dilation_width * fx;
      if (in_x < 0 || in_x >= p.input_width) continue;
      const int32_t in = input[((b * p.input_height + in_y) * p.input_width + in_x) * p.input_depth + ic];
      const int32_t f = filter[(fy * p.filter_width + fx) * p.output_depth + oc];
      sum += static_cast<int64_t>(f) * (static_cast<int64_t>(in) + input_offset);
    }
  }
  return sum;
}

// Calls `store(output_index, oc, sum)` for every output element, in TensorFlow Lite's loop order.
template <typename In, typename Store>
void for_each_output(const ConvParams& p, const In* input, const int8_t* filter, int32_t input_offset,
                     Store store) {
  for (int b = 0; b < p.batches; ++b) {
    for (int y = 0; y < p.output_height; ++y) {
      for (int x = 0; x < p.output_width; ++x) {
        for (int ic = 0; ic < p.input_depth; ++ic) {
          for (int m = 0; m < p.depth_multiplier; ++m) {
            const int oc = ic * p.depth_multiplier + m;
            const int index = ((b * p.output_height + y) * p.output_width + x) * p.output_depth + oc;
            store(index, oc, receptive_field_sum(p, input, filter, input_offset, b, y, x, ic, oc));
          }
        }
      }
    }
  }
}

}  // namespace

void depthwise_conv_2d_float(const ConvParams& p, const float* input, const float* filter, const float* bias,
                             float* output) {
  for (int b = 0; b < p.batches; ++b) {
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        for (int ic = 0; ic < p.input_depth; ++ic) {
          for (int m = 0; m < p.depth_multiplier; ++m) {
            const int oc = ic * p.depth_multiplier + m;
            const int in_y_origin = out_y * p.stride_height - p.padding_height;
            const int in_x_origin = out_x * p.stride_width - p.padding_width;
            float total = 0.0f;
            for (int fy = 0; fy < p.filter_height; ++fy) {
              const int in_y = in_y_origin + p.dilation_height * fy;
              if (in_y < 0 || in_y >= p.input_height) continue;
              for (int fx = 0; fx < p.filter_width; ++fx) {
                const int in_x = in_x_origin + p.dilation_width * fx;
                if (in_x < 0 || in_x >= p.input_width) continue;
                const float in =
                    input[((b * p.input_height + in_y) * p.input_width + in_x) * p.input_depth + ic];
                total += in * filter[(fy * p.filter_width + fx) * p.output_depth + oc];
              }
            }
            const float bias_value = bias ? bias[oc] : 0.0f;
            output[((b * p.output_height + out_y) * p.output_width + out_x) * p.output_depth + oc] =
                clamp_float(total + bias_value, p.float_activation_min, p.float_activation_max);
          }
        }
      }
    }
  }
}

void depthwise_conv_2d_int8(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                            const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output) {
  for_each_output(p, input, filter, p.input_offset, [&](int index, int oc, int64_t sum) {
    int32_t acc = wrap_to_int32(sum);
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[index] = static_cast<int8_t>(requantize_acc32(acc, multipliers[oc], shifts[oc], p.output_offset,
                                                         p.activation_min, p.activation_max));
  });
}

void depthwise_conv_2d_int16(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                             const int16_t* input, const int8_t* filter, const int64_t* bias,
                             int16_t* output) {
  for_each_output(p, input, filter, 0, [&](int index, int oc, int64_t acc) {
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[index] = static_cast<int16_t>(
        requantize_acc64(acc, multipliers[oc], shifts[oc], p.activation_min, p.activation_max));
  });
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

namespace {

struct DepthwiseData {
  ConvParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int32_t* multipliers;
  int32_t* shifts;
};

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_io_count(context, 2, 3, 2));
  const tflite::DepthwiseConv2DOptions* options = context.op()->builtin_options_as_DepthwiseConv2DOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "missing DepthwiseConv2DOptions");
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_conv_types(input, filter, output));
  EI_RETURN_IF_ERROR(require_rank(input, "input", 4));
  EI_RETURN_IF_ERROR(require_rank(filter, "filter", 4));
  EI_RETURN_IF_ERROR(require_rank(output, "output", 4));
  EI_RETURN_IF_ERROR(require_valid_shape(input, "input"));
  EI_RETURN_IF_ERROR(require_valid_shape(filter, "filter"));
  EI_RETURN_IF_ERROR(require_valid_shape(output, "output"));

  ConvParams p;
  p.batches = input.shape.dims[0];
  p.input_height = input.shape.dims[1];
  p.input_width = input.shape.dims[2];
  p.input_depth = input.shape.dims[3];
  p.filter_height = filter.shape.dims[1];
  p.filter_width = filter.shape.dims[2];
  p.output_depth = filter.shape.dims[3];
  p.output_height = output.shape.dims[1];
  p.output_width = output.shape.dims[2];
  p.stride_height = options->stride_h();
  p.stride_width = options->stride_w();
  p.dilation_height = options->dilation_h_factor();
  p.dilation_width = options->dilation_w_factor();
  if (filter.shape.dims[0] != 1) {
    return Status::error(StatusCode::kInvalidModel, "filter dimension 0 is %d, expected 1",
                         static_cast<int>(filter.shape.dims[0]));
  }
  if (output.shape.dims[0] != p.batches) {
    return Status::error(StatusCode::kInvalidModel, "output batch %d differs from input batch %d",
                         static_cast<int>(output.shape.dims[0]), static_cast<int>(p.batches));
  }
  if (output.shape.dims[3] != p.output_depth) {
    return Status::error(StatusCode::kInvalidModel, "output has %d channels, filter has %d",
                         static_cast<int>(output.shape.dims[3]), static_cast<int>(p.output_depth));
  }
  // The multiplier follows from the shapes (as full TensorFlow Lite computes it); a stated one must agree,
  // since TFLM would index with it.
  if (p.output_depth % p.input_depth != 0) {
    return Status::error(StatusCode::kInvalidModel,
                         "%d output channels are not a multiple of %d input channels",
                         static_cast<int>(p.output_depth), static_cast<int>(p.input_depth));
  }
  p.depth_multiplier = p.output_depth / p.input_depth;
  if (options->depth_multiplier() != 0 && options->depth_multiplier() != p.depth_multiplier) {
    return Status::error(StatusCode::kInvalidModel, "depth_multiplier is %d, channels give %d",
                         static_cast<int>(options->depth_multiplier()), static_cast<int>(p.depth_multiplier));
  }
  EI_RETURN_IF_ERROR(prepare_conv_window(static_cast<int8_t>(options->padding()), &p));

  auto* data = static_cast<DepthwiseData*>(context.allocate_persistent(sizeof(DepthwiseData)));
  if (data == nullptr) return context.arena_full_error();
  data->type = input.type;
  data->bias = BiasKind::kNone;
  data->bias_source = BiasSource{};
  data->multipliers = nullptr;
  data->shifts = nullptr;

  const auto activation = static_cast<FusedActivation>(options->fused_activation_function());
  if (input.type == DataType::kFloat32) {
    if (context.has_input(2)) {
      EI_RETURN_IF_ERROR(check_bias(context.input(2), DataType::kFloat32, p.output_depth));
      data->bias = BiasKind::kFloat32;
    }
    EI_RETURN_IF_ERROR(activation_range_float(activation, &p.float_activation_min, &p.float_activation_max));
  } else {
    const bool int16_op = input.type == DataType::kInt16;
    if (context.has_input(2)) {
      EI_RETURN_IF_ERROR(
          check_bias(context.input(2), int16_op ? DataType::kInt64 : DataType::kInt32, p.output_depth));
      data->bias = int16_op ? BiasKind::kInt64 : BiasKind::kInt32;
    }
    EI_RETURN_IF_ERROR(prepare_conv_quantization(context, input, filter, output, 3,
                                                 int16_op ? kMaxShiftAcc64 : kMaxShiftAcc32, activation, &p,
                                                 &data->multipliers, &data->shifts));
  }
  if (data->bias != BiasKind::kNone) {
    EI_RETURN_IF_ERROR(prepare_bias_source(context, 2, &data->bias_source));
  }
  data->params = p;
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const DepthwiseData& d = *context.op_data_as<DepthwiseData>();
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const void* bias = bias_data(context, d.bias_source);
  switch (d.type) {
    case DataType::kFloat32:
      depthwise_conv_2d_float(d.params, input.data_as<const float>(), filter.data_as<const float>(),
                              static_cast<const float*>(bias), output.data_as<float>());
      break;
    case DataType::kInt8:
      depthwise_conv_2d_int8(d.params, d.multipliers, d.shifts, input.data_as<const int8_t>(),
                             filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                             output.data_as<int8_t>());
      break;
    default:  // int16, checked in prepare()
      depthwise_conv_2d_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                              filter.data_as<const int8_t>(), static_cast<const int64_t*>(bias),
                              output.data_as<int16_t>());
      break;
  }
  return Status::ok();
}

}  // namespace

const Kernel& depthwise_conv_2d() {
  static const Kernel kernel = {"reference/depthwise_conv_2d", prepare, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
