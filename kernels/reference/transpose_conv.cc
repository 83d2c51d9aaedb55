#include "kernels/reference/transpose_conv.h"

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/padding.h"

namespace edgeinfer {
namespace reference {
namespace {

// Calls `add(output_index, input_value, filter_value)` for every (input element, filter tap) pair that lands
// inside the output, in TensorFlow Lite's order: batch, input row, column, input channel, filter row, column,
// output channel.
template <typename In, typename Filter, typename Add>
void scatter(const ConvParams& params, const In* input, const Filter* filter, Add add) {
  // A local copy: stores made by `add` cannot change it, so its fields stay in registers.
  const ConvParams p = params;
  const int filter_channel_stride = p.filter_height * p.filter_width * p.input_depth;
  for (int b = 0; b < p.batches; ++b) {
    for (int in_y = 0; in_y < p.input_height; ++in_y) {
      const int out_y_origin = in_y * p.stride_height - p.padding_height;
      int fy_begin, fy_end;
      taps_inside_input(out_y_origin, 1, p.filter_height, p.output_height, &fy_begin, &fy_end);
      for (int in_x = 0; in_x < p.input_width; ++in_x) {
        const int out_x_origin = in_x * p.stride_width - p.padding_width;
        int fx_begin, fx_end;
        taps_inside_input(out_x_origin, 1, p.filter_width, p.output_width, &fx_begin, &fx_end);
        for (int ic = 0; ic < p.input_depth; ++ic) {
          const In input_value = *input++;  // the input is read in order
          for (int fy = fy_begin; fy < fy_end; ++fy) {
            const int out_y = out_y_origin + fy;
            for (int fx = fx_begin; fx < fx_end; ++fx) {
              const int out_x = out_x_origin + fx;
              const int out_base = ((b * p.output_height + out_y) * p.output_width + out_x) * p.output_depth;
              // Tap (fy, fx, ic) of output channel 0; the next channel's is filter_channel_stride further.
              const Filter* f = filter + (fy * p.filter_width + fx) * p.input_depth + ic;
              for (int oc = 0; oc < p.output_depth; ++oc) {
                add(out_base + oc, input_value, f[oc * filter_channel_stride]);
              }
            }
          }
        }
      }
    }
  }
}

int output_elements(const ConvParams& p) {
  return p.batches * p.output_height * p.output_width * p.output_depth;
}

template <typename Bias>
void transpose_conv_16x8(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                         const int16_t* input, const int8_t* filter, const Bias* bias, int16_t* output,
                         int64_t* scratch) {
  const int count = output_elements(p);
  for (int i = 0; i < count; ++i) scratch[i] = 0;
  scatter(p, input, filter, [&](int index, int16_t in, int8_t f) {
    scratch[index] += static_cast<int64_t>(static_cast<int32_t>(in) * static_cast<int32_t>(f));
  });
  for (int i = 0; i < count; ++i) {
    const int oc = i % p.output_depth;
    int64_t acc = scratch[i];
    if (bias) acc = wrapping_add(acc, static_cast<int64_t>(bias[oc]));
    output[i] = static_cast<int16_t>(
        requantize_acc64(acc, multipliers[oc], shifts[oc], p.activation_min, p.activation_max));
  }
}

}  // namespace

void transpose_conv_float(const ConvParams& p, const float* input, const float* filter, const float* bias,
                          float* output) {
  const int count = output_elements(p);
  for (int i = 0; i < count; ++i) output[i] = 0.0f;
  scatter(p, input, filter, [&](int index, float in, float f) { output[index] += in * f; });
  for (int i = 0; i < count; ++i) {
    float acc = output[i];
    if (bias) acc += bias[i % p.output_depth];
    output[i] = clamp_float(acc, p.float_activation_min, p.float_activation_max);
  }
}

void transpose_conv_int8(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                         const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output,
                         int32_t* scratch) {
  const int count = output_elements(p);
  for (int i = 0; i < count; ++i) scratch[i] = 0;
  const int32_t input_offset = p.input_offset;
  scatter(p, input, filter, [&](int index, int8_t in, int8_t f) {
    scratch[index] = wrapping_add(scratch[index], (static_cast<int32_t>(in) + input_offset) * f);
  });
  for (int i = 0; i < count; ++i) {
    const int oc = i % p.output_depth;
    int32_t acc = scratch[i];
    if (bias) acc = wrapping_add(acc, bias[oc]);
    output[i] = static_cast<int8_t>(requantize_acc32(acc, multipliers[oc], shifts[oc], p.output_offset,
                                                     p.activation_min, p.activation_max));
  }
}

void transpose_conv_int16(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                          const int16_t* input, const int8_t* filter, const int64_t* bias, int16_t* output,
                          int64_t* scratch) {
  transpose_conv_16x8(p, multipliers, shifts, input, filter, bias, output, scratch);
}

void transpose_conv_int16(const ConvParams& p, const int32_t* multipliers, const int32_t* shifts,
                          const int16_t* input, const int8_t* filter, const int16_t* bias, int16_t* output,
                          int64_t* scratch) {
  transpose_conv_16x8(p, multipliers, shifts, input, filter, bias, output, scratch);
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

namespace {

// Inputs: output_shape (int32 [4], ignored as in TFLM), filter, input, optional bias.
constexpr int kOutputShape = 0;
constexpr int kFilter = 1;
constexpr int kInput = 2;
constexpr int kBias = 3;

struct TransposeConvData {
  ConvParams params;
  DataType type;  // input and output type
  BiasKind bias;
  BiasSource bias_source;
  int scratch_index;
  int32_t* multipliers;
  int32_t* shifts;
};

// The output_shape input must describe the output tensor when it is a constant we can read; TFLM ignores it
// (the output tensor's shape is static) and so do we when it is computed at run time.
Status check_output_shape_input(KernelContext& context, const Tensor& output) {
  if (!context.has_input(kOutputShape)) return Status::ok();
  const Tensor shape = context.input(kOutputShape);
  EI_RETURN_IF_ERROR(check_type(shape, "output_shape", {DataType::kInt32}));
  if (shape.num_elements() != 4) {
    return Status::error(StatusCode::kInvalidModel, "output_shape has %lld elements, expected 4",
                         static_cast<long long>(shape.num_elements()));
  }
  if (shape.is_constant) {
    const int32_t* dims = shape.data_as<const int32_t>();
    for (int i = 0; i < 4; ++i) {
      if (dims[i] != output.shape.dims[i]) {
        return Status::error(StatusCode::kInvalidModel, "output_shape[%d] is %d, output tensor has %d", i,
                             static_cast<int>(dims[i]), static_cast<int>(output.shape.dims[i]));
      }
    }
  }
  return Status::ok();
}

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_io_count(context, 3, 4, 3));
  const tflite::TransposeConvOptions* options = context.op()->builtin_options_as_TransposeConvOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "missing TransposeConvOptions");
  const Tensor input = context.input(kInput);
  const Tensor filter = context.input(kFilter);
  const Tensor output = context.output(0);
  ConvParams p;
  EI_RETURN_IF_ERROR(read_conv_geometry(input, filter, output, options->stride_h(), options->stride_w(), &p));
  EI_RETURN_IF_ERROR(check_output_shape_input(context, output));
  p.output_depth = filter.shape.dims[0];
  p.filter_input_depth = filter.shape.dims[3];
  if (p.filter_input_depth != p.input_depth) {
    return Status::error(StatusCode::kInvalidModel, "filter has %d input channels, input has %d",
                         static_cast<int>(p.filter_input_depth), static_cast<int>(p.input_depth));
  }
  if (output.shape.dims[3] != p.output_depth) {
    return Status::error(StatusCode::kInvalidModel, "output has %d channels, filter has %d output channels",
                         static_cast<int>(output.shape.dims[3]), static_cast<int>(p.output_depth));
  }

  // Padding as TFLite computes it: the forward convolution's, from output to input. That convolution must
  // give back the input size, or the output tensor does not belong to this input.
  Window2D window;
  window.padding = static_cast<PaddingType>(options->padding());
  window.stride_height = p.stride_height;
  window.stride_width = p.stride_width;
  window.in_height = p.output_height;
  window.in_width = p.output_width;
  window.filter_height = p.filter_height;
  window.filter_width = p.filter_width;
  Padding2D padding;
  EI_RETURN_IF_ERROR(compute_padding_2d(window, &padding));
  if (padding.out_height != p.input_height || padding.out_width != p.input_width) {
    return Status::error(StatusCode::kInvalidModel,
                         "output %dx%d does not match input %dx%d for this filter, stride and padding",
                         static_cast<int>(p.output_height), static_cast<int>(p.output_width),
                         static_cast<int>(p.input_height), static_cast<int>(p.input_width));
  }
  p.padding_height = padding.height;
  p.padding_width = padding.width;

  auto* data = static_cast<TransposeConvData*>(context.allocate_persistent(sizeof(TransposeConvData)));
  if (data == nullptr) return context.arena_full_error();
  data->type = input.type;
  data->bias = BiasKind::kNone;
  data->bias_source = BiasSource{};
  data->scratch_index = -1;
  data->multipliers = nullptr;
  data->shifts = nullptr;

  const auto activation = static_cast<FusedActivation>(options->fused_activation_function());
  const bool has_bias = context.has_input(kBias);
  if (input.type == DataType::kFloat32) {
    if (has_bias) {
      EI_RETURN_IF_ERROR(check_bias(context.input(kBias), DataType::kFloat32, p.output_depth));
      data->bias = BiasKind::kFloat32;
    }
    EI_RETURN_IF_ERROR(activation_range_float(activation, &p.float_activation_min, &p.float_activation_max));
  } else {
    const bool int16_op = input.type == DataType::kInt16;
    if (has_bias) {
      const Tensor bias = context.input(kBias);
      DataType bias_type = DataType::kInt32;
      if (int16_op) bias_type = bias.type == DataType::kInt16 ? DataType::kInt16 : DataType::kInt64;
      EI_RETURN_IF_ERROR(check_bias(bias, bias_type, p.output_depth));
      data->bias = bias_type == DataType::kInt32   ? BiasKind::kInt32
                   : bias_type == DataType::kInt16 ? BiasKind::kInt16
                                                   : BiasKind::kInt64;
    }
    EI_RETURN_IF_ERROR(prepare_conv_quantization(context, input, filter, output, 0,
                                                 int16_op ? kMaxShiftAcc64 : kMaxShiftAcc32, activation, &p,
                                                 &data->multipliers, &data->shifts));
    const uint64_t scratch_bytes =
        static_cast<uint64_t>(output.num_elements()) * (int16_op ? sizeof(int64_t) : sizeof(int32_t));
    if (scratch_bytes > 0x7FFFFFFF) {
      return Status::error(StatusCode::kUnsupported, "accumulators of %lld outputs do not fit in memory",
                           static_cast<long long>(output.num_elements()));
    }
    EI_RETURN_IF_ERROR(context.request_scratch(static_cast<size_t>(scratch_bytes), &data->scratch_index));
  }
  if (data->bias != BiasKind::kNone) {
    EI_RETURN_IF_ERROR(prepare_bias_source(context, kBias, &data->bias_source));
  }
  data->params = p;
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const TransposeConvData& d = *context.op_data_as<TransposeConvData>();
  const Tensor input = context.input(kInput);
  const Tensor filter = context.input(kFilter);
  const Tensor output = context.output(0);
  const void* bias = bias_data(context, d.bias_source);
  switch (d.type) {
    case DataType::kFloat32:
      transpose_conv_float(d.params, input.data_as<const float>(), filter.data_as<const float>(),
                           static_cast<const float*>(bias), output.data_as<float>());
      break;
    case DataType::kInt8:
      transpose_conv_int8(d.params, d.multipliers, d.shifts, input.data_as<const int8_t>(),
                          filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
                          output.data_as<int8_t>(), static_cast<int32_t*>(context.scratch(d.scratch_index)));
      break;
    default: {  // int16, checked in prepare()
      auto* scratch = static_cast<int64_t*>(context.scratch(d.scratch_index));
      if (d.bias == BiasKind::kInt16) {
        transpose_conv_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                             filter.data_as<const int8_t>(), static_cast<const int16_t*>(bias),
                             output.data_as<int16_t>(), scratch);
      } else {
        transpose_conv_int16(d.params, d.multipliers, d.shifts, input.data_as<const int16_t>(),
                             filter.data_as<const int8_t>(), static_cast<const int64_t*>(bias),
                             output.data_as<int16_t>(), scratch);
      }
      break;
    }
  }
  return Status::ok();
}

}  // namespace

const Kernel& transpose_conv() {
  static const Kernel kernel = {"reference/transpose_conv", prepare, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
