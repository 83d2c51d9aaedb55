// QUANTIZE, as TFLM's reference kernel: float32 -> int8 / int16 (affine quantization), and requantization
// between integer types for exactly TFLM's pairs: int8 -> int8 / uint8 / int16 / int32, uint8 -> int8,
// int16 -> int8 / int16 / int32, int32 -> int8 / int16.
//
// Float values are divided by the scale in float and rounded half away from zero. Requantization offsets by
// the input zero point, scales by s_in / s_out (one multiplier computed in double) and adds the output zero
// point. Results saturate at the output type's limits.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "edgeinfer/status.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

// round(value / scale) + zero_point, clamped to [min, max]. Out-of-range and NaN quotients, undefined in
// TensorFlow Lite, saturate (NaN gives the zero point).
inline int32_t quantize_element(float value, float scale, int32_t zero_point, int32_t min, int32_t max) {
  const int64_t q = static_cast<int64_t>(float_to_int32_saturating(std::round(value / scale))) + zero_point;
  return static_cast<int32_t>(q < min ? min : (q > max ? max : q));
}

template <class Out>
void quantize_float(float scale, int32_t zero_point, const float* input, int32_t count, Out* output) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int32_t i = 0; i < count; ++i)
    output[i] = static_cast<Out>(quantize_element(input[i], scale, zero_point, kMin, kMax));
}

struct RequantizeParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t multiplier = 0;
  int shift = 0;
};

// Fails when s_in / s_out needs a shift beyond [-31, 31].
Status make_requantize_params(AffineQuant input, AffineQuant output, RequantizeParams* params);

inline int32_t requantize_element(const RequantizeParams& p, int32_t value, int32_t min, int32_t max) {
  // int32 inputs may wrap here, as in TensorFlow Lite.
  const int32_t centered = wrapping_sub(value, p.input_zero_point);
  const int32_t scaled = multiply_by_quantized_multiplier(centered, p.multiplier, p.shift);
  return clamp_int(wrapping_add(scaled, p.output_zero_point), min, max);
}

template <class In, class Out>
void requantize(const RequantizeParams& params, const In* input, int32_t count, Out* output) {
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int32_t i = 0; i < count; ++i)
    output[i] = static_cast<Out>(requantize_element(params, input[i], kMin, kMax));
}

}  // namespace reference
}  // namespace edgeinfer
