#include "kernels/reference/hybrid.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/reference/conv_common.h"

namespace edgeinfer {
namespace reference {
namespace {

// int32_t(std::round(x)) clamped to [lo, hi] without undefined behaviour: TFLite converts first and clamps
// after; for finite values inside int32's range that is the same. NaN gives `lo`, as the x86 conversion
// (INT32_MIN) followed by the clamp does.
int8_t round_clamp(float x, int lo, int hi) {
  const float rounded = std::round(x);
  if (!(rounded >= static_cast<float>(lo))) return static_cast<int8_t>(lo);
  if (rounded > static_cast<float>(hi)) return static_cast<int8_t>(hi);
  return static_cast<int8_t>(static_cast<int32_t>(rounded));
}

}  // namespace

void hybrid_quantize_symmetric(const float* values, int size, int8_t* quantized, float* scaling_factor) {
  constexpr int32_t kScale = 127;
  const auto minmax = std::minmax_element(values, values + size);
  const float range = std::max(std::abs(*minmax.first), std::abs(*minmax.second));
  if (range == 0.0f) {
    std::memset(quantized, 0, static_cast<size_t>(size));
    *scaling_factor = 1.0f;
    return;
  }
  // Both in float, as TFLite: the factor and its inverse are rounded separately.
  *scaling_factor = range / kScale;
  const float inverse = kScale / range;
  for (int i = 0; i < size; ++i) quantized[i] = round_clamp(values[i] * inverse, -kScale, kScale);
}

void hybrid_quantize_asymmetric(const float* values, int size, int8_t* quantized, float* scaling_factor,
                                int32_t* offset) {
  constexpr int32_t kMin = -128;
  constexpr int32_t kMax = 127;
  const auto minmax = std::minmax_element(values, values + size);
  const double rmin = static_cast<double>(std::min(0.0f, *minmax.first));
  const double rmax = static_cast<double>(std::max(0.0f, *minmax.second));
  if (rmin == rmax) {
    std::memset(quantized, 0, static_cast<size_t>(size));
    *scaling_factor = 1.0f;
    *offset = 0;
    return;
  }
  // The scale and zero point in double; the zero point from whichever end of the range loses less precision.
  const double scale = (rmax - rmin) / (static_cast<double>(kMax) - static_cast<double>(kMin));
  const double zero_point_from_min = kMin - rmin / scale;
  const double zero_point_from_max = kMax - rmax / scale;
  const double error_from_min = std::abs(static_cast<double>(kMin)) + std::abs(rmin / scale);
  const double error_from_max = std::abs(static_cast<double>(kMax)) + std::abs(rmax / scale);
  const double zero_point = error_from_min < error_from_max ? zero_point_from_min : zero_point_from_max;
  int32_t nudged = 0;
  if (zero_point <= kMin) {
    nudged = kMin;
  } else if (zero_point >= kMax) {
    nudged = kMax;
  } else {
    nudged = static_cast<int32_t>(std::round(zero_point));
  }
  *scaling_factor = static_cast<float>(scale);
  *offset = nudged;
  // The inverse and the sum in float, as TFLite (offset + x * inverse, then rounded).
  const float inverse = 1.0f / *scaling_factor;
  for (int i = 0; i < size; ++i) {
    quantized[i] = round_clamp(static_cast<float>(nudged) + values[i] * inverse, kMin, kMax);
  }
}

void hybrid_quantize_batches(const float* input, int batches, int batch_size, bool asymmetric,
                             int8_t* quantized, float* scaling_factors, int32_t* offsets) {
  for (int b = 0; b < batches; ++b) {
    const size_t start = static_cast<size_t>(b) * static_cast<size_t>(batch_size);
    if (asymmetric) {
      hybrid_quantize_asymmetric(input + start, batch_size, quantized + start, &scaling_factors[b],
                                 &offsets[b]);
    } else {
      hybrid_quantize_symmetric(input + start, batch_size, quantized + start, &scaling_factors[b]);
      offsets[b] = 0;
    }
  }
}

void hybrid_row_sums(const int8_t* matrix, int rows, int cols, int32_t* sums) {
  for (int r = 0; r < rows; ++r) {
    uint32_t sum = 0;
    for (int c = 0; c < cols; ++c) sum += static_cast<uint32_t>(static_cast<int32_t>(*matrix++));
    sums[r] = static_cast<int32_t>(sum);
  }
}

void hybrid_matrix_batch_vector_multiply_accumulate(const int8_t* matrix, int rows, int cols,
                                                    const int8_t* vectors, int batches,
                                                    const float* scaling_factors, const float* channel_scales,
                                                    const int32_t* offsets, const int32_t* row_sums,
                                                    float* result) {
  for (int b = 0; b < batches; ++b) {
    const int8_t* vector = vectors + static_cast<size_t>(b) * static_cast<size_t>(cols);
    const float batch_scale = scaling_factors[b];
    const int8_t* row = matrix;
    for (int r = 0; r < rows; ++r, row += cols) {
      // TFLite forms the scale first (batch factor times channel scale), then multiplies the accumulator.
      float scale = batch_scale;
      if (channel_scales != nullptr) scale *= channel_scales[r];
      uint32_t acc = 0;  // TFLite's int32 sum, wrapping without undefined behaviour
      for (int c = 0; c < cols; ++c) {
        acc += static_cast<uint32_t>(static_cast<int32_t>(row[c]) * static_cast<int32_t>(vector[c]));
      }
      if (offsets != nullptr) {
        acc -= static_cast<uint32_t>(row_sums[r]) * static_cast<uint32_t>(offsets[b]);
      }
      *result++ += static_cast<float>(static_cast<int32_t>(acc)) * scale;
    }
  }
}

bool hybrid_vector_activation_supported(FusedActivation activation) {
  switch (activation) {
    case FusedActivation::kNone:
    case FusedActivation::kRelu:
    case FusedActivation::kReluN1To1:
    case FusedActivation::kRelu6:
    case FusedActivation::kSignBit: return true;
    default:  // TANH: TFLite evaluates Eigen's tanh approximation, which we do not reproduce
      return false;
  }
}

float hybrid_vector_activation(FusedActivation activation, float x) {
  switch (activation) {
    case FusedActivation::kRelu: return std::max(0.0f, x);
    case FusedActivation::kReluN1To1: return std::max(-1.0f, std::min(x, 1.0f));
    case FusedActivation::kRelu6: return std::max(0.0f, std::min(x, 6.0f));
    case FusedActivation::kSignBit: return std::signbit(x) ? 1.0f : 0.0f;
    default: return x;
  }
}

// ---- Kernel glue ------------------------------------------------------------------------------------------

namespace {

size_t align4(size_t bytes) {
  return (bytes + 3) & ~static_cast<size_t>(3);
}

}  // namespace

Status prepare_hybrid(KernelContext& context, const Tensor& filter, int channel_dim, int channels,
                      int batches, int batch_size, bool asymmetric, int row_length,
                      FusedActivation activation, HybridData** out) {
  if (filter.type != DataType::kInt8) {
    return Status::error(StatusCode::kUnsupported, "hybrid filter is %s, expected int8",
                         data_type_name(filter.type));
  }
  EI_RETURN_IF_ERROR(check_filter_quantization(filter, channel_dim, channels));
  for (int c = 0; c < filter.quant.count; ++c) {
    if (filter.quant.zero_point(c) != 0) {
      return Status::error(StatusCode::kUnsupported,
                           "hybrid filter zero point %d (scale %d) is not 0: weights must be symmetric",
                           static_cast<int>(filter.quant.zero_point(c)), c);
    }
  }
  auto* data = static_cast<HybridData*>(context.allocate_persistent(sizeof(HybridData)));
  if (data == nullptr) return context.arena_full_error();
  data->params.asymmetric = asymmetric;
  data->params.per_channel = filter.quant.count > 1;
  data->params.weight_scales = filter.quant.scales;
  data->params.activation = activation;
  data->batches = batches;
  data->batch_size = batch_size;
  data->channels = channels;
  data->row_length = row_length;
  data->persistent_row_sums = nullptr;

  // One scratch buffer: the quantized input (batches * batch_size < 2^31 bytes: the input's shape was
  // checked), then the per-batch factors and offsets, then the row sums when they change with the filter.
  const size_t quantized_bytes = static_cast<size_t>(batches) * static_cast<size_t>(batch_size);
  data->scaling_factors_at = align4(quantized_bytes);
  data->offsets_at = data->scaling_factors_at + static_cast<size_t>(batches) * sizeof(float);
  data->row_sums_at = data->offsets_at + static_cast<size_t>(batches) * sizeof(int32_t);
  size_t bytes = data->row_sums_at;
  if (row_length > 0) {
    if (filter.is_constant) {
      // Constant weights: their row sums once, as TFLite's compute_row_sums flag does on the first eval.
      EI_RETURN_IF_ERROR(allocate_int32_array(context, channels, &data->persistent_row_sums));
      hybrid_row_sums(filter.data_as<const int8_t>(), channels, row_length, data->persistent_row_sums);
    } else {
      bytes += static_cast<size_t>(channels) * sizeof(int32_t);
    }
  }
  EI_RETURN_IF_ERROR(context.request_scratch(bytes, &data->scratch_index));
  *out = data;
  return Status::ok();
}

HybridBuffers hybrid_buffers(const KernelContext& context, const HybridData& data) {
  auto* scratch = static_cast<uint8_t*>(context.scratch(data.scratch_index));
  HybridBuffers buffers;
  buffers.quantized_input = reinterpret_cast<int8_t*>(scratch);
  buffers.scaling_factors = reinterpret_cast<float*>(scratch + data.scaling_factors_at);
  buffers.offsets = reinterpret_cast<int32_t*>(scratch + data.offsets_at);
  if (data.row_length > 0) {
    buffers.row_sums = data.persistent_row_sums;
    if (buffers.row_sums == nullptr) {
      buffers.row_sums = reinterpret_cast<int32_t*>(scratch + data.row_sums_at);
      hybrid_row_sums(context.input(1).data_as<const int8_t>(), data.channels, data.row_length,
                      buffers.row_sums);
    }
  }
  return buffers;
}

}  // namespace reference
}  // namespace edgeinfer
