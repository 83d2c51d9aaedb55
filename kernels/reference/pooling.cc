#include "kernels/reference/pooling.h"

#include <cmath>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/padding.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/activations.h"

namespace edgeinfer {
namespace reference {
namespace {

// The part of the window of output (out_y, out_x) inside the input: filter rows [y_begin, y_end) and
// columns [x_begin, x_end), starting at input row / column (y_origin, x_origin).
struct Window {
  int32_t y_origin;
  int32_t x_origin;
  int32_t y_begin;
  int32_t y_end;
  int32_t x_begin;
  int32_t x_end;
};

Window window_at(const PoolParams& p, int32_t out_y, int32_t out_x) {
  Window w;
  w.y_origin = out_y * p.stride_height - p.padding_height;
  w.x_origin = out_x * p.stride_width - p.padding_width;
  w.y_begin = w.y_origin < 0 ? -w.y_origin : 0;
  w.y_end = p.filter_height < p.in_height - w.y_origin ? p.filter_height : p.in_height - w.y_origin;
  w.x_begin = w.x_origin < 0 ? -w.x_origin : 0;
  w.x_end = p.filter_width < p.in_width - w.x_origin ? p.filter_width : p.in_width - w.x_origin;
  return w;
}

// Calls reduce(window, input pointer at the window's origin row/column of this batch and channel 0) for
// each output position; `reduce` writes out[0..depth).
template <class T, class Reduce>
void pool(const PoolParams& p, const T* in, T* out, Reduce reduce) {
  const int64_t row_stride = static_cast<int64_t>(p.in_width) * p.depth;
  for (int32_t b = 0; b < p.batches; ++b) {
    const T* batch_in = in + static_cast<int64_t>(b) * p.in_height * row_stride;
    for (int32_t out_y = 0; out_y < p.out_height; ++out_y) {
      for (int32_t out_x = 0; out_x < p.out_width; ++out_x) {
        const Window w = window_at(p, out_y, out_x);
        T* y = out + ((static_cast<int64_t>(b) * p.out_height + out_y) * p.out_width + out_x) * p.depth;
        for (int32_t c = 0; c < p.depth; ++c) {
          auto at = [&](int32_t fy, int32_t fx) {
            return batch_in[(w.y_origin + fy) * row_stride + static_cast<int64_t>(w.x_origin + fx) * p.depth +
                            c];
          };
          y[c] = reduce(w, at);
        }
      }
    }
  }
}

float clamp_activation(float x, float min, float max) {
  // std::min(std::max(x, min), max), comparisons in that order.
  const float lower = x < min ? min : x;
  return max < lower ? max : lower;
}

template <class T>
void average_pool_quantized(const PoolParams& p, const T* in, T* out) {
  pool(p, in, out, [&](const Window& w, auto at) {
    int32_t sum = 0;
    int32_t count = 0;
    for (int32_t fy = w.y_begin; fy < w.y_end; ++fy) {
      for (int32_t fx = w.x_begin; fx < w.x_end; ++fx) {
        sum += at(fy, fx);
        ++count;
      }
    }
    // Round half away from zero (prepare guarantees count > 0).
    const int32_t average = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
    return static_cast<T>(clamp_int(average, p.quantized_min, p.quantized_max));
  });
}

template <class T>
void max_pool_quantized(const PoolParams& p, const T* in, T* out) {
  pool(p, in, out, [&](const Window& w, auto at) {
    int32_t max = std::numeric_limits<T>::lowest();
    for (int32_t fy = w.y_begin; fy < w.y_end; ++fy) {
      for (int32_t fx = w.x_begin; fx < w.x_end; ++fx) {
        const int32_t v = at(fy, fx);
        max = v > max ? v : max;
      }
    }
    return static_cast<T>(clamp_int(max, p.quantized_min, p.quantized_max));
  });
}

}  // namespace

void average_pool_float(const PoolParams& p, const float* in, float* out) {
  pool(p, in, out, [&](const Window& w, auto at) {
    float sum = 0.0f;
    float count = 0.0f;
    for (int32_t fy = w.y_begin; fy < w.y_end; ++fy) {
      for (int32_t fx = w.x_begin; fx < w.x_end; ++fx) {
        sum += at(fy, fx);
        count += 1.0f;
      }
    }
    return clamp_activation(sum / count, p.float_min, p.float_max);
  });
}

void max_pool_float(const PoolParams& p, const float* in, float* out) {
  pool(p, in, out, [&](const Window& w, auto at) {
    float max = std::numeric_limits<float>::lowest();
    for (int32_t fy = w.y_begin; fy < w.y_end; ++fy) {
      for (int32_t fx = w.x_begin; fx < w.x_end; ++fx) {
        const float v = at(fy, fx);
        max = max < v ? v : max;  // std::max(max, v)
      }
    }
    return clamp_activation(max, p.float_min, p.float_max);
  });
}

void average_pool_int8(const PoolParams& p, const int8_t* in, int8_t* out) {
  average_pool_quantized(p, in, out);
}
void average_pool_int16(const PoolParams& p, const int16_t* in, int16_t* out) {
  average_pool_quantized(p, in, out);
}
void max_pool_int8(const PoolParams& p, const int8_t* in, int8_t* out) {
  max_pool_quantized(p, in, out);
}
void max_pool_int16(const PoolParams& p, const int16_t* in, int16_t* out) {
  max_pool_quantized(p, in, out);
}

// ---- Kernels ----

namespace {

Status pool_prepare(KernelContext& context, bool is_average) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (input.shape.rank != 4) {
    return Status::error(StatusCode::kUnsupported, "input must have rank 4 (NHWC), has rank %d",
                         static_cast<int>(input.shape.rank));
  }
  const auto* options = context.op()->builtin_options_as_Pool2DOptions();
  if (options == nullptr) return Status::error(StatusCode::kInvalidModel, "Pool2DOptions are missing");

  auto* p = static_cast<PoolParams*>(context.allocate_persistent(sizeof(PoolParams)));
  if (p == nullptr) return context.arena_full_error();
  Window2D window;
  window.padding = static_cast<PaddingType>(options->padding());
  window.stride_height = options->stride_h();
  window.stride_width = options->stride_w();
  window.in_height = input.shape.dim(1);
  window.in_width = input.shape.dim(2);
  window.filter_height = options->filter_height();
  window.filter_width = options->filter_width();
  Padding2D padding;
  EI_RETURN_IF_ERROR(compute_padding_2d(window, &padding));
  p->batches = input.shape.dim(0);
  p->in_height = input.shape.dim(1);
  p->in_width = input.shape.dim(2);
  p->depth = input.shape.dim(3);
  p->out_height = padding.out_height;
  p->out_width = padding.out_width;
  p->stride_height = window.stride_height;
  p->stride_width = window.stride_width;
  p->filter_height = window.filter_height;
  p->filter_width = window.filter_width;
  p->padding_height = padding.height;
  p->padding_width = padding.width;

  Shape expected;
  expected.rank = 4;
  expected.dims[0] = p->batches;
  expected.dims[1] = p->out_height;
  expected.dims[2] = p->out_width;
  expected.dims[3] = p->depth;
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  // Every window must overlap the input (TFLite's padding guarantees it; a count of 0 would divide by 0).
  const int64_t last_y = static_cast<int64_t>(p->out_height - 1) * p->stride_height - p->padding_height;
  const int64_t last_x = static_cast<int64_t>(p->out_width - 1) * p->stride_width - p->padding_width;
  if (p->padding_height >= p->filter_height || p->padding_width >= p->filter_width ||
      last_y >= p->in_height || last_x >= p->in_width) {
    return Status::error(StatusCode::kInvalidModel, "a pooling window lies entirely in the padding");
  }

  const auto activation = static_cast<FusedActivation>(options->fused_activation_function());
  if (input.type == DataType::kFloat32) {
    EI_RETURN_IF_ERROR(activation_range_float(activation, &p->float_min, &p->float_max));
  } else {
    float input_scale = 0;
    float output_scale = 0;
    int32_t input_zp = 0;
    int32_t output_zp = 0;
    EI_RETURN_IF_ERROR(per_tensor_quantization(input, "input", &input_scale, &input_zp));
    EI_RETURN_IF_ERROR(per_tensor_quantization(output, "output", &output_scale, &output_zp));
    // The kernels do not requantize.
    if (std::fabs(static_cast<double>(input_scale) - static_cast<double>(output_scale)) > 1e-6 ||
        input_zp != output_zp) {
      return Status::error(StatusCode::kUnsupported,
                           "input and output quantization differ (scales %g / %g, zero points %d / %d)",
                           static_cast<double>(input_scale), static_cast<double>(output_scale),
                           static_cast<int>(input_zp), static_cast<int>(output_zp));
    }
    EI_RETURN_IF_ERROR(activation_range_quantized(activation, output.type, output_scale, output_zp,
                                                  &p->quantized_min, &p->quantized_max));
    // The int32 window sum must not overflow.
    const int64_t area = static_cast<int64_t>(p->filter_height) * p->filter_width;
    if (is_average && area > (int64_t{1} << 16)) {
      return Status::error(StatusCode::kUnsupported, "pooling window of %ld elements is too large",
                           static_cast<long>(area));
    }
  }
  context.set_op_data(p);
  return Status::ok();
}

Status max_pool_prepare(KernelContext& context) {
  return pool_prepare(context, false);
}

Status max_pool_eval(KernelContext& context) {
  const auto& p = *context.op_data_as<PoolParams>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  switch (input.type) {
    case DataType::kFloat32: max_pool_float(p, input.data_as<float>(), output.data_as<float>()); break;
    case DataType::kInt8: max_pool_int8(p, input.data_as<int8_t>(), output.data_as<int8_t>()); break;
    default: max_pool_int16(p, input.data_as<int16_t>(), output.data_as<int16_t>()); break;
  }
  return Status::ok();
}

}  // namespace

Status average_pool_2d_prepare(KernelContext& context) {
  return pool_prepare(context, true);
}

Status average_pool_2d_eval(KernelContext& context) {
  const auto& p = *context.op_data_as<PoolParams>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  switch (input.type) {
    case DataType::kFloat32: average_pool_float(p, input.data_as<float>(), output.data_as<float>()); break;
    case DataType::kInt8: average_pool_int8(p, input.data_as<int8_t>(), output.data_as<int8_t>()); break;
    default: average_pool_int16(p, input.data_as<int16_t>(), output.data_as<int16_t>()); break;
  }
  return Status::ok();
}

const Kernel& average_pool_2d() {
  static const Kernel kernel = {"reference/average_pool_2d", average_pool_2d_prepare, average_pool_2d_eval};
  return kernel;
}

const Kernel& max_pool_2d() {
  static const Kernel kernel = {"reference/max_pool_2d", max_pool_prepare, max_pool_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
