#include "kernels/reference/conv_common.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kernels/common/padding.h"

namespace edgeinfer {
namespace reference {

Status check_io_count(KernelContext& context, int min_inputs, int max_inputs, int required) {
  const int inputs = context.num_inputs();
  if (inputs < min_inputs || inputs > max_inputs || context.num_outputs() != 1) {
    return Status::error(StatusCode::kInvalidModel, "expected %d to %d inputs and 1 output, got %d and %d",
                         min_inputs, max_inputs, inputs, context.num_outputs());
  }
  for (int i = 0; i < required; ++i) {
    if (!context.has_input(i)) return Status::error(StatusCode::kInvalidModel, "input %d is required", i);
  }
  return Status::ok();
}

Status read_conv_geometry(const Tensor& input, const Tensor& filter, const Tensor& output,
                          int32_t stride_height, int32_t stride_width, ConvParams* params,
                          bool allow_hybrid) {
  EI_RETURN_IF_ERROR(check_conv_types(input, filter, output, allow_hybrid));
  EI_RETURN_IF_ERROR(require_rank(input, "input", 4));
  EI_RETURN_IF_ERROR(require_rank(filter, "filter", 4));
  EI_RETURN_IF_ERROR(require_rank(output, "output", 4));
  EI_RETURN_IF_ERROR(require_valid_shape(input, "input"));
  EI_RETURN_IF_ERROR(require_valid_shape(filter, "filter"));
  EI_RETURN_IF_ERROR(require_valid_shape(output, "output"));
  ConvParams& p = *params;
  p.batches = input.shape.dims[0];
  p.input_height = input.shape.dims[1];
  p.input_width = input.shape.dims[2];
  p.input_depth = input.shape.dims[3];
  p.filter_height = filter.shape.dims[1];
  p.filter_width = filter.shape.dims[2];
  p.output_height = output.shape.dims[1];
  p.output_width = output.shape.dims[2];
  p.stride_height = stride_height;
  p.stride_width = stride_width;
  if (output.shape.dims[0] != p.batches) {
    return Status::error(StatusCode::kInvalidModel, "output batch %d differs from input batch %d",
                         static_cast<int>(output.shape.dims[0]), static_cast<int>(p.batches));
  }
  return Status::ok();
}

Status check_conv_types(const Tensor& input, const Tensor& filter, const Tensor& output, bool allow_hybrid) {
  if (input.type != output.type) {
    return Status::error(StatusCode::kInvalidModel, "input is %s but output is %s",
                         data_type_name(input.type), data_type_name(output.type));
  }
  const bool supported = (input.type == DataType::kFloat32 && filter.type == DataType::kFloat32) ||
                         (input.type == DataType::kInt8 && filter.type == DataType::kInt8) ||
                         (input.type == DataType::kInt16 && filter.type == DataType::kInt8) ||
                         (allow_hybrid && is_hybrid(input, filter));
  if (!supported) {
    return Status::error(StatusCode::kUnsupported, "%s input with %s filter is not supported%s",
                         data_type_name(input.type), data_type_name(filter.type),
                         input.type == DataType::kFloat32 && !allow_hybrid ? " (hybrid models are not)" : "");
  }
  return Status::ok();
}

Status require_rank(const Tensor& tensor, const char* what, int rank) {
  if (tensor.shape.rank != rank) {
    return Status::error(StatusCode::kInvalidModel, "%s has rank %d, expected %d", what,
                         static_cast<int>(tensor.shape.rank), rank);
  }
  return Status::ok();
}

Status require_valid_shape(const Tensor& tensor, const char* what) {
  int64_t elements = 1;
  for (int i = 0; i < tensor.shape.rank; ++i) {
    const int32_t dim = tensor.shape.dims[i];
    if (dim < 1) {
      return Status::error(StatusCode::kInvalidModel, "%s has dimension %d of size %d", what, i,
                           static_cast<int>(dim));
    }
    elements *= dim;
    if (elements > std::numeric_limits<int32_t>::max()) {
      return Status::error(StatusCode::kUnsupported, "%s has 2^31 or more elements", what);
    }
  }
  return Status::ok();
}

Status require_per_tensor_quantization(const Tensor& tensor, const char* what) {
  if (!tensor.quant.is_quantized()) {
    return Status::error(StatusCode::kInvalidModel, "%s (%s) has no quantization parameters", what,
                         data_type_name(tensor.type));
  }
  if (tensor.quant.count != 1) {
    return Status::error(StatusCode::kUnsupported, "%s has %d scales, expected per-tensor quantization", what,
                         static_cast<int>(tensor.quant.count));
  }
  const float scale = tensor.quant.scale(0);
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    return Status::error(StatusCode::kInvalidModel, "%s has a non-positive or non-finite scale", what);
  }
  const int64_t zero_point = tensor.quant.zero_points ? tensor.quant.zero_points[0] : 0;
  if (zero_point < type_min(tensor.type) || zero_point > type_max(tensor.type)) {
    return Status::error(StatusCode::kInvalidModel, "%s zero point %lld is outside the %s range", what,
                         static_cast<long long>(zero_point), data_type_name(tensor.type));
  }
  return Status::ok();
}

Status check_filter_quantization(const Tensor& filter, int channel_dim, int num_channels) {
  const Quantization& q = filter.quant;
  if (!q.is_quantized())
    return Status::error(StatusCode::kInvalidModel, "filter has no quantization parameters");
  if (q.count != 1) {
    if (q.count != num_channels) {
      return Status::error(StatusCode::kInvalidModel, "filter has %d scales for %d output channels",
                           static_cast<int>(q.count), num_channels);
    }
    if (q.quantized_dimension != channel_dim) {
      return Status::error(StatusCode::kInvalidModel, "filter is quantized along dimension %d, expected %d",
                           static_cast<int>(q.quantized_dimension), channel_dim);
    }
  }
  for (int c = 0; c < q.count; ++c) {
    const float scale = q.scales[c];
    if (!(scale >= 0.0f) || !std::isfinite(scale)) {
      return Status::error(StatusCode::kInvalidModel, "filter scale %d is negative or not finite", c);
    }
    const int64_t zero_point = q.zero_points ? q.zero_points[c] : 0;
    if (zero_point < type_min(filter.type) || zero_point > type_max(filter.type)) {
      return Status::error(StatusCode::kInvalidModel, "filter zero point %lld is outside the %s range",
                           static_cast<long long>(zero_point), data_type_name(filter.type));
    }
  }
  return Status::ok();
}

Status check_bias(const Tensor& bias, DataType type, int channels) {
  if (bias.type != type) {
    return Status::error(StatusCode::kUnsupported, "bias is %s, expected %s", data_type_name(bias.type),
                         data_type_name(type));
  }
  if (bias.num_elements() != channels) {
    return Status::error(StatusCode::kInvalidModel, "bias has %lld elements for %d output channels",
                         static_cast<long long>(bias.num_elements()), channels);
  }
  return Status::ok();
}

Status compute_channel_multipliers(const Tensor& input, const Tensor& filter, const Tensor& output,
                                   int num_channels, int max_shift, int32_t* multipliers, int32_t* shifts) {
  const double input_scale = static_cast<double>(input.quant.scale(0));
  const double output_scale = static_cast<double>(output.quant.scale(0));
  const bool per_channel = filter.quant.count > 1;
  for (int c = 0; c < num_channels; ++c) {
    const double filter_scale = static_cast<double>(filter.quant.scale(per_channel ? c : 0));
    // Same operation order as TensorFlow Lite: (input * filter) / output, in double.
    const double effective_scale = input_scale * filter_scale / output_scale;
    int shift = 0;
    quantize_multiplier(effective_scale, &multipliers[c], &shift);
    if (shift > max_shift) {
      return Status::error(StatusCode::kUnsupported,
                           "output channel %d: effective scale input*filter/output is too large (2^%d)", c,
                           shift);
    }
    shifts[c] = shift;
  }
  return Status::ok();
}

Status quantized_activation(FusedActivation activation, const Tensor& output, int32_t* min, int32_t* max) {
  // TensorFlow Lite refuses clamp limits that do not fit in int32 (it quantizes 6 and +-1 with the output
  // scale); checking first also keeps the float-to-int conversion defined.
  const float limit = activation == FusedActivation::kRelu6 ? 6.0f : 1.0f;
  if (activation == FusedActivation::kRelu6 || activation == FusedActivation::kReluN1To1) {
    const float steps = std::round(limit / output.quant.scale(0));
    if (!(steps <= 2147418112.0f)) {  // 2^31 - 2^16: room for the zero point
      return Status::error(StatusCode::kInvalidModel,
                           "output scale too small to quantize the activation limit");
    }
  }
  return activation_range_quantized(activation, output.type, output.quant.scale(0),
                                    output.quant.zero_point(0), min, max);
}

Status prepare_conv_window(int8_t padding_type, ConvParams* p) {
  Window2D window;
  window.padding = static_cast<PaddingType>(padding_type);
  window.stride_height = p->stride_height;
  window.stride_width = p->stride_width;
  window.dilation_height = p->dilation_height;
  window.dilation_width = p->dilation_width;
  window.in_height = p->input_height;
  window.in_width = p->input_width;
  window.filter_height = p->filter_height;
  window.filter_width = p->filter_width;
  Padding2D padding;
  EI_RETURN_IF_ERROR(compute_padding_2d(window, &padding));
  if (padding.out_height != p->output_height || padding.out_width != p->output_width) {
    return Status::error(StatusCode::kInvalidModel, "output is %dx%d, padding and strides give %dx%d",
                         static_cast<int>(p->output_height), static_cast<int>(p->output_width),
                         static_cast<int>(padding.out_height), static_cast<int>(padding.out_width));
  }
  p->padding_height = padding.height;
  p->padding_width = padding.width;
  return Status::ok();
}

Status prepare_conv_quantization(KernelContext& context, const Tensor& input, const Tensor& filter,
                                 const Tensor& output, int channel_dim, int max_shift,
                                 FusedActivation activation, ConvParams* p, int32_t** multipliers,
                                 int32_t** shifts) {
  EI_RETURN_IF_ERROR(require_per_tensor_quantization(input, "input"));
  EI_RETURN_IF_ERROR(require_per_tensor_quantization(output, "output"));
  EI_RETURN_IF_ERROR(check_filter_quantization(filter, channel_dim, p->output_depth));
  EI_RETURN_IF_ERROR(allocate_int32_array(context, p->output_depth, multipliers));
  EI_RETURN_IF_ERROR(allocate_int32_array(context, p->output_depth, shifts));
  EI_RETURN_IF_ERROR(
      compute_channel_multipliers(input, filter, output, p->output_depth, max_shift, *multipliers, *shifts));
  EI_RETURN_IF_ERROR(quantized_activation(activation, output, &p->activation_min, &p->activation_max));
  if (input.type == DataType::kInt8) {
    p->input_offset = -input.quant.zero_point(0);
    p->output_offset = output.quant.zero_point(0);
  }
  return Status::ok();
}

Status prepare_bias_source(KernelContext& context, int input_index, BiasSource* source) {
  source->input_index = input_index;
  source->constant_data = nullptr;
  const Tensor bias = context.input(input_index);
  if (!bias.is_constant) return Status::ok();
  const size_t element_size = data_type_size(bias.type);
  if (element_size == 0 || reinterpret_cast<uintptr_t>(bias.data) % element_size == 0) {
    source->constant_data = bias.data;
    return Status::ok();
  }
  void* copy = context.allocate_persistent(bias.bytes);
  if (copy == nullptr) return context.arena_full_error();
  std::memcpy(copy, bias.data, bias.bytes);
  source->constant_data = copy;
  return Status::ok();
}

Status allocate_int32_array(KernelContext& context, int count, int32_t** out) {
  if (static_cast<uint64_t>(count) * sizeof(int32_t) > std::numeric_limits<size_t>::max()) {
    return Status::error(StatusCode::kUnsupported, "%d channels do not fit in memory", count);
  }
  *out = static_cast<int32_t*>(context.allocate_persistent(static_cast<size_t>(count) * sizeof(int32_t)));
  if (*out == nullptr) return context.arena_full_error();
  return Status::ok();
}

}  // namespace reference
}  // namespace edgeinfer
