#include "kernels/reference/conv_2d.h"

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace reference {
namespace {

inline int nhwc_index(const ConvParams& p, int b, int y, int x, int c) {
  return ((b * p.input_height + y) * p.input_width + x) * p.input_depth + c;
}

inline int output_index(const ConvParams& p, int b, int y, int x, int c) {
  return ((b * p.output_height + y) * p.output_width + x) * p.output_depth + c;
}

inline int filter_index(const ConvParams& p, int oc, int y, int x, int ic) {
  return ((oc * p.filter_height + y) * p.filter_width + x) * p.filter_input_depth + ic;
}

// Sum over the receptive field of output (b, out_y, out_x, oc) of filter * (input + input_offset), in
// TensorFlow Lite's order (filter rows, columns, then input channels of the group). Exact in int64: the
// callers reduce it to TFLite's accumulator width.
template <typename In>
int64_t receptive_field_sum(const ConvParams& p, const In* input, const int8_t* filter, int32_t input_offset,
                            int b, int out_y, int out_x, int oc) {
  const int group = oc / (p.output_depth / (p.input_depth / p.filter_input_depth));
  const int in_y_origin = out_y * p.stride_height - p.padding_height;
  const int in_x_origin = out_x * p.stride_width - p.padding_width;
  int64_t sum = 0;
  for (int fy = 0; fy < p.filter_height; ++fy) {
    const int in_y = in_y_origin + p.dilation_height * fy;
    if (in_y < 0 || in_y >= p.input_height) continue;
    for (int fx = 0; fx < p.filter_width; ++fx) {
      const int in_x = in_x_origin + p.dilation_width * fx;
      if (in_x < 0 || in_x >= p.input_width) continue;
      const In* in = input + nhwc_index(p, b, in_y, in_x, group * p.filter_input_depth);
      const int8_t* f = filter + filter_index(p, oc, fy, fx, 0);
      for (int ic = 0; ic < p.filter_input_depth; ++ic) {
        sum += static_cast<int64_t>(f[ic]) * (static_cast<int64_t>(in[ic]) + input_offset);
      }
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
        for (int oc = 0; oc < p.output_depth; ++oc) {
          store(output_index(p, b, y, x, oc), oc,
                receptive_field_sum(p, input, filter, input_offset, b, y, x, oc));
        }
      }
    }
  }
}

}  // namespace

void conv_2d_float(const ConvParams& p, const float* input, const float* filter, const float* bias,
                   float* output) {
  const int filters_per_group = p.output_depth / (p.input_depth / p.filter_input_depth);
  for (int b = 0; b < p.batches; ++b) {
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        for (int oc = 0; oc < p.output_depth; ++oc) {
          const int group = oc / filters_per_group;
          float total = 0.0f;
          for (int fy = 0; fy < p.filter_height; ++fy) {
            const int in_y = in_y_origin + p.dilation_height * fy;
            if (in_y < 0 || in_y >= p.input_height) continue;
            for (int fx = 0; fx < p.filter_width; ++fx) {
              const int in_x = in_x_origin + p.dilation_width * fx;
              if (in_x < 0 || in_x >= p.input_width) continue;
              const float* in = input + nhwc_index(p, b, in_y, in_x, group * p.filter_input_depth);
              const float* f = filter + filter_index(p, oc, fy, fx, 0);
              for (int ic = 0; ic < p.filter_input_depth; ++ic) total += in[ic] * f[ic];
            }
          }
          const float bias_value = bias ? bias[oc] : 0.0f;
          output[output_index(p, b, out_y, out_x, oc)] =
              clamp_float(total + bias_value, p.float_activation_min, p.float_activation_max);
        }
      }
    }
  }
}

void conv_2d_int8(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts, const int8_t* input,
                  const int8_t* filter, const int32_t* bias, int8_t* output) {
  for_each_output(p, input, filter, p.input_offset, [&](int index, int oc, int64_t sum) {
    int32_t acc = wrap_to_int32(sum);
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[index] = static_cast<int8_t>(requantize_acc32(acc, multipliers[oc], shifts[oc], p.output_offset,
                                                         p.activation_min, p.activation_max));
  });
}

void conv_2d_int16(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                   const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output) {
  for_each_output(p, input, filter, 0, [&](int index, int oc, int64_t acc) {
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[index] = static_cast<int16_t>(
        requantize_acc64(acc, multipliers[oc], shifts[oc], p.activation_min, p.activation_max));
  });
}

void conv_2d_int16_acc32(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                         const int16_t* input, const int8_t* filter, const int32_t* bias, int16_t* output) {
  for_each_output(p, input, filter, 0, [&](int index, int oc, int64_t sum) {
    int32_t acc = wrap_to_int32(sum);
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[index] = static_cast<int16_t>(
        requantize_acc32(acc, multipliers[oc], shifts[oc], 0, p.activation_min, p.activation_max));
  });
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

namespace {

struct Conv2DData {
  ConvParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int32_t* multipliers;
  int32_t* shifts;
};

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_io_count(context, 2, 3, 2));
  const tflite::Conv2DOptions* options = context.op()->builtin_options_as_Conv2DOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "missing Conv2DOptions");
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const bool has_bias = context.has_input(2);

  EI_RETURN_IF_ERROR(check_conv_types(input, filter, output));
  const bool int16_op = input.type == DataType::kInt16;
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
  p.output_depth = filter.shape.dims[0];
  p.filter_height = filter.shape.dims[1];
  p.filter_width = filter.shape.dims[2];
  p.filter_input_depth = filter.shape.dims[3];
  p.output_height = output.shape.dims[1];
  p.output_width = output.shape.dims[2];
  p.stride_height = options->stride_h();
  p.stride_width = options->stride_w();
  p.dilation_height = options->dilation_h_factor();
  p.dilation_width = options->dilation_w_factor();
  if (output.shape.dims[0] != p.batches) {
    return Status::error(StatusCode::kInvalidModel, "output batch %d differs from input batch %d",
                         static_cast<int>(output.shape.dims[0]), static_cast<int>(p.batches));
  }
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

  const auto activation = static_cast<FusedActivation>(options->fused_activation_function());
  if (input.type == DataType::kFloat32) {
    if (has_bias) {
      EI_RETURN_IF_ERROR(check_bias(context.input(2), DataType::kFloat32, p.output_depth));
      data->bias = BiasKind::kFloat32;
    }
    EI_RETURN_IF_ERROR(activation_range_float(activation, &p.float_activation_min, &p.float_activation_max));
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
  }
  if (data->bias != BiasKind::kNone) {
    EI_RETURN_IF_ERROR(prepare_bias_source(context, 2, &data->bias_source));
  }
  data->params = p;
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const Conv2DData& d = *context.op_data_as<Conv2DData>();
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const void* bias = bias_data(context, d.bias_source);
  switch (d.type) {
    case DataType::kFloat32:
      conv_2d_float(d.params, input.data_as<const float>(), filter.data_as<const float>(),
                    static_cast<const float*>(bias), output.data_as<float>());
      break;
    case DataType::kInt8:
      conv_2d_int8(d.params, d.multipliers, d.shifts, input.data_as<const int8_t>(),
                   filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                   output.data_as<int8_t>());
      break;
    default:  // int16, checked in prepare()
      if (d.bias == BiasKind::kInt64) {
        conv_2d_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                      filter.data_as<const int8_t>(), static_cast<const int64_t*>(bias),
                      output.data_as<int16_t>());
      } else {
        conv_2d_int16_acc32(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                            filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                            output.data_as<int16_t>());
      }
      break;
  }
  return Status::ok();
}

}  // namespace

const Kernel& conv_2d() {
  static const Kernel kernel = {"reference/conv_2d", prepare, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
