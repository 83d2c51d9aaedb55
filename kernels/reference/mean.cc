#include "kernels/reference/mean.h"

#include <cmath>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/activations.h"

namespace edgeinfer {
namespace reference {

Status make_reduce_shape(const Shape& input, const int64_t* axes, int axis_count, ReduceShape* shape) {
  *shape = ReduceShape();
  shape->rank = input.rank;
  bool reduced[kMaxRank] = {};
  for (int i = 0; i < axis_count; ++i) {
    int axis = 0;
    EI_RETURN_IF_ERROR(resolve_axis(axes[i], input.rank, "axis", &axis));
    reduced[axis] = true;
  }
  int64_t stride = 1;
  for (int d = input.rank - 1; d >= 0; --d) {
    shape->dims[d] = input.dims[d];
    if (reduced[d]) {
      shape->output_strides[d] = 0;
      shape->num_reduced *= input.dims[d];
    } else {
      shape->output_strides[d] = stride;
      stride *= input.dims[d];
    }
  }
  shape->num_outputs = stride;
  return Status::ok();
}

namespace {

// Calls visit(input index, output index) for every input element in row-major order, as TFLite's Reduce.
template <class Visit>
void for_each_input(const ReduceShape& s, Visit visit) {
  int64_t total = 1;
  for (int d = 0; d < s.rank; ++d) total *= s.dims[d];
  if (total == 0) return;
  int32_t index[kMaxRank] = {};
  int64_t out = 0;
  for (int64_t i = 0; i < total; ++i) {
    visit(i, out);
    // Increment the multi-index from the last dimension, keeping the output offset in step.
    for (int d = s.rank - 1; d >= 0; --d) {
      if (++index[d] < s.dims[d]) {
        out += s.output_strides[d];
        break;
      }
      out -= s.output_strides[d] * (s.dims[d] - 1);
      index[d] = 0;
    }
  }
}

// Sums of raw input values per output, wrapping as TFLite's int32 accumulation does.
template <class T>
void sum_int32(const ReduceShape& s, const T* in, int32_t* sums) {
  for (int64_t o = 0; o < s.num_outputs; ++o) sums[o] = 0;
  for_each_input(s, [&](int64_t i, int64_t o) {
    sums[o] = static_cast<int32_t>(static_cast<uint32_t>(sums[o]) +
                                   static_cast<uint32_t>(static_cast<int32_t>(in[i])));
  });
}

template <class T>
void mean_requantize(const ReduceShape& s, const MeanRequantizeParams& p, const T* in, T* out,
                     int32_t* sums) {
  sum_int32(s, in, sums);
  if (s.num_reduced == 0) {
    for (int64_t o = 0; o < s.num_outputs; ++o) out[o] = T(0);
    return;
  }
  // Fold 1 / count into the multiplier: scale it up by 2^floor(log2(count)) (at most 32, and keeping the
  // final shift >= -31), divide by count, and shift that much more to the right.
  const int64_t count = s.num_reduced;
  int extra = 63 - __builtin_clzll(static_cast<uint64_t>(count));
  extra = extra < 32 ? extra : 32;
  extra = extra < 31 + p.shift ? extra : 31 + p.shift;
  const int32_t multiplier = static_cast<int32_t>((static_cast<int64_t>(p.multiplier) << extra) / count);
  const int shift = p.shift - extra;
  for (int64_t o = 0; o < s.num_outputs; ++o) {
    const int32_t centered = static_cast<int32_t>(sums[o] - static_cast<int64_t>(p.input_zero_point) * count);
    const int32_t v = multiply_by_quantized_multiplier(centered, multiplier, shift) + p.output_zero_point;
    out[o] = static_cast<T>(clamp_int(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
  }
}

}  // namespace

void mean_spatial_float(const SpatialMeanShape& s, const float* in, float* out) {
  const int32_t count = s.height * s.width;
  for (int32_t b = 0; b < s.batches; ++b) {
    for (int32_t c = 0; c < s.depth; ++c) {
      float sum = 0.0f;
      for (int32_t y = 0; y < s.height; ++y) {
        for (int32_t x = 0; x < s.width; ++x) {
          sum += in[((static_cast<int64_t>(b) * s.height + y) * s.width + x) * s.depth + c];
        }
      }
      out[static_cast<int64_t>(b) * s.depth + c] = sum / static_cast<float>(count);
    }
  }
}

void mean_float(const ReduceShape& s, const float* in, float* out) {
  // TFLite accumulates straight into the output, in input order.
  for (int64_t o = 0; o < s.num_outputs; ++o) out[o] = 0.0f;
  for_each_input(s, [&](int64_t i, int64_t o) { out[o] = out[o] + in[i]; });
  if (s.num_reduced == 0) return;
  const float count = static_cast<float>(s.num_reduced);
  for (int64_t o = 0; o < s.num_outputs; ++o) out[o] = out[o] / count;
}

void mean_requantize_int8(const ReduceShape& shape, const MeanRequantizeParams& params, const int8_t* in,
                          int8_t* out, int32_t* sums) {
  mean_requantize(shape, params, in, out, sums);
}
void mean_requantize_int16(const ReduceShape& shape, const MeanRequantizeParams& params, const int16_t* in,
                           int16_t* out, int32_t* sums) {
  mean_requantize(shape, params, in, out, sums);
}

// ---- Kernel ----

namespace {

enum class MeanPath : int32_t { kSpatialFloat, kGenericFloat, kRequantize };

struct MeanOpData {
  MeanPath path;
  ReduceShape shape;
  SpatialMeanShape spatial;
  MeanRequantizeParams requantize;
  int scratch_index;
};

Status mean_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor axis = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (axis.type != DataType::kInt32) {
    return Status::error(StatusCode::kUnsupported, "axis tensor has type %s, expected int32",
                         data_type_name(axis.type));
  }
  int64_t axes[kMaxRank] = {};
  int axis_count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(axis, "axis", /*require_constant=*/true, axes, kMaxRank, &axis_count));
  if (input.num_elements() == 0) {
    return Status::error(StatusCode::kUnsupported, "input has no elements");
  }

  auto* data = static_cast<MeanOpData*>(context.allocate_persistent(sizeof(MeanOpData)));
  if (data == nullptr) return context.arena_full_error();
  EI_RETURN_IF_ERROR(make_reduce_shape(input.shape, axes, axis_count, &data->shape));
  if (output.num_elements() != data->shape.num_outputs) {
    return Status::error(StatusCode::kInvalidModel, "output has %ld elements, the reduction gives %ld",
                         static_cast<long>(output.num_elements()),
                         static_cast<long>(data->shape.num_outputs));
  }

  if (input.type == DataType::kFloat32) {
    const auto* options = context.op()->builtin_options_as_ReducerOptions();
    const bool keep_dims = options != nullptr && options->keep_dims();
    // TFLM picks its H/W kernel from the raw axis values, before resolving negative or repeated axes.
    const bool spatial = keep_dims && input.shape.rank == 4 && axis_count == 2 &&
                         ((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1));
    data->path = spatial ? MeanPath::kSpatialFloat : MeanPath::kGenericFloat;
    data->spatial.batches = input.shape.dim(0);
    if (spatial) {
      data->spatial.height = input.shape.dim(1);
      data->spatial.width = input.shape.dim(2);
      data->spatial.depth = input.shape.dim(3);
    }
    context.set_op_data(data);
    return Status::ok();
  }

  float input_scale = 0;
  float output_scale = 0;
  MeanRequantizeParams& p = data->requantize;
  EI_RETURN_IF_ERROR(per_tensor_quantization(input, "input", &input_scale, &p.input_zero_point));
  EI_RETURN_IF_ERROR(per_tensor_quantization(output, "output", &output_scale, &p.output_zero_point));
  int shift = 0;
  quantize_multiplier(static_cast<double>(input_scale) / static_cast<double>(output_scale), &p.multiplier,
                      &shift);
  p.shift = shift;
  if (p.multiplier == 0 || shift > 30) {
    return Status::error(StatusCode::kUnsupported, "input scale / output scale = %g is out of range",
                         static_cast<double>(input_scale) / static_cast<double>(output_scale));
  }
  data->path = MeanPath::kRequantize;
  EI_RETURN_IF_ERROR(context.request_scratch(static_cast<size_t>(data->shape.num_outputs) * sizeof(int32_t),
                                             &data->scratch_index));
  context.set_op_data(data);
  return Status::ok();
}

Status mean_eval(KernelContext& context) {
  const auto* d = context.op_data_as<MeanOpData>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const bool is_int8 = input.type == DataType::kInt8;
  switch (d->path) {
    case MeanPath::kSpatialFloat:
      mean_spatial_float(d->spatial, input.data_as<float>(), output.data_as<float>());
      break;
    case MeanPath::kGenericFloat:
      mean_float(d->shape, input.data_as<float>(), output.data_as<float>());
      break;
    case MeanPath::kRequantize: {
      auto* sums = static_cast<int32_t*>(context.scratch(d->scratch_index));
      if (is_int8) {
        mean_requantize_int8(d->shape, d->requantize, input.data_as<int8_t>(), output.data_as<int8_t>(),
                             sums);
      } else {
        mean_requantize_int16(d->shape, d->requantize, input.data_as<int16_t>(), output.data_as<int16_t>(),
                              sums);
      }
      break;
    }
  }
  return Status::ok();
}

}  // namespace

const Kernel& mean() {
  static const Kernel kernel = {"reference/mean", mean_prepare, mean_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
