// DEQUANTIZE: int8 / uint8 / int16 -> float32, real = scale * (q - zero_point) computed in float as
// TensorFlow Lite's reference Dequantize. Per-tensor quantization, or per-channel along one dimension as
// TensorFlow Lite's PerChannelDequantize (TFLM supports only per-tensor; the arithmetic is the same).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {

inline float dequantize_element(int32_t value, float scale, int32_t zero_point) {
  return scale * static_cast<float>(value - zero_point);
}

// Channel c = (i / inner) % channels of element i uses scales[c] and zero_points[c] (zero when null):
// per-tensor quantization is channels = 1.
struct DequantizeParams {
  const float* scales = nullptr;
  const int64_t* zero_points = nullptr;
  int32_t channels = 1;
  int32_t inner = 1;  // elements after the quantized dimension
  int32_t count = 0;  // all elements
};

template <class In>
void dequantize(const DequantizeParams& params, const In* input, float* output) {
  int32_t i = 0;
  while (i < params.count) {
    for (int32_t c = 0; c < params.channels; ++c) {
      const float scale = params.scales[c];
      const int32_t zero_point = params.zero_points ? static_cast<int32_t>(params.zero_points[c]) : 0;
      for (int32_t k = 0; k < params.inner; ++k, ++i)
        output[i] = dequantize_element(input[i], scale, zero_point);
    }
  }
}

}  // namespace reference
}  // namespace edgeinfer
