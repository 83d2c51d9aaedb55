// Pure logistic and tanh computations shared by the LOGISTIC and TANH kernels and by the recurrent kernels
// (LSTM gates). Header-only so any kernel can use them without the LOGISTIC / TANH kernel glue.
//
// Bit-exact with TensorFlow Lite's reference kernels as TFLM uses them:
//  - float: TFLite's logistic with its two cutoffs, std::tanh;
//  - int8: gemmlowp fixed point on a Q4.27 input;
//  - int16: the 256-entry sigmoid table with linear interpolation (tanh(x) = 2 sigmoid(2x) - 1).
#pragma once

#include <cmath>
#include <cstdint>

#include "edgeinfer/status.h"
#include "kernels/common/fixed_point.h"
#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {

// sigmoid(i / 24) in Q0.16 for i = 0..255 (entry 255 saturated to 65535). These are TensorFlow Lite's
// table values; they differ from round(65536 * sigmoid(i / 24)) by one in some entries, so they cannot be
// recomputed.
inline constexpr uint16_t kSigmoidTableQ16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064,
    42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464,
    50942, 51409, 51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503,
    56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666,
    62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968,
    64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687,
    64721, 64754, 64786, 64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258, 65269, 65280, 65291,
    65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367, 65374, 65381, 65387, 65393, 65399, 65404,
    65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516,
    65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525, 65525,
    65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530,
    65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65535,
};

// ---- float ----

inline float logistic_float(float x) {
  // Above the upper cutoff the float result is 1; below the lower one exp(x) is already exact enough.
  constexpr float kUpperCutoff = 16.619047164916992188f;
  constexpr float kLowerCutoff = -9.0f;
  if (x > kUpperCutoff) return 1.0f;
  if (x < kLowerCutoff) return std::exp(x);
  return 1.0f / (1.0f + std::exp(-x));
}

inline void logistic_float(int64_t size, const float* in, float* out) {
  for (int64_t i = 0; i < size; ++i) out[i] = logistic_float(in[i]);
}

inline void tanh_float(int64_t size, const float* in, float* out) {
  for (int64_t i = 0; i < size; ++i) out[i] = std::tanh(in[i]);
}

// ---- int8 ----

// Input rescaling of the int8 kernels: (x - zero_point) * multiplier * 2^left_shift is the input in Q4.27;
// inputs at or beyond +-range_radius saturate the output.
struct SigmoidInt8Params {
  int32_t input_zero_point = 0;
  int32_t input_range_radius = 0;
  int32_t input_multiplier = 0;
  int32_t input_left_shift = 0;
};

// TFLM's int8 LOGISTIC / TANH preparation for an input scale.
inline Status sigmoid_int8_params(float input_scale, int32_t input_zero_point, SigmoidInt8Params* params) {
  constexpr int kInputIntegerBits = 4;
  const double real_multiplier =
      static_cast<double>(input_scale) * static_cast<double>(1 << (31 - kInputIntegerBits));
  int shift = 0;
  const double fraction = std::frexp(real_multiplier, &shift);
  const double fixed = std::round(fraction * static_cast<double>(1ll << 31));
  // A fraction that rounds up to 2^31 or a shift below 0 would overflow TFLite's own arithmetic.
  if (!(input_scale > 0.0f) || !(fixed < 2147483648.0) || shift < 0 || shift > 30) {
    return Status::error(StatusCode::kUnsupported, "input scale %g is outside the supported range",
                         static_cast<double>(input_scale));
  }
  params->input_zero_point = input_zero_point;
  params->input_multiplier = static_cast<int32_t>(fixed);
  params->input_left_shift = shift;
  const double max_input_rescaled = 1.0 * ((1 << kInputIntegerBits) - 1) *
                                    static_cast<double>(1ll << (31 - kInputIntegerBits)) /
                                    static_cast<double>(1ll << shift);
  params->input_range_radius = static_cast<int32_t>(std::floor(max_input_rescaled));
  return Status::ok();
}

namespace detail {
// The int8 kernels: inputs at or beyond the range radius saturate; the others go through gemmlowp's Q4.27
// logistic (output Q0.31 rounded to Q0.8 and shifted by the zero point -128) or tanh (rounded to Q0.7).
template <bool kTanh>
inline void sigmoid_int8(const SigmoidInt8Params& params, int64_t size, const int8_t* in, int8_t* out) {
  using F4 = fixed_point::FixedPoint<int32_t, 4>;
  for (int64_t i = 0; i < size; ++i) {
    const int32_t x = static_cast<int32_t>(in[i]) - params.input_zero_point;
    if (x <= -params.input_range_radius) {
      out[i] = -128;
    } else if (x >= params.input_range_radius) {
      out[i] = 127;
    } else {
      const int32_t x_q4 =
          multiply_by_quantized_multiplier(x, params.input_multiplier, params.input_left_shift);
      const int32_t y =
          kTanh ? rounding_divide_by_pot(fixed_point::tanh(F4::from_raw(x_q4)).raw(), 31 - 7)
                : rounding_divide_by_pot(fixed_point::logistic(F4::from_raw(x_q4)).raw(), 31 - 8) - 128;
      out[i] = static_cast<int8_t>(clamp_int(y, -128, 127));
    }
  }
}
}  // namespace detail

// Output: scale 1/256, zero point -128.
inline void logistic_int8(const SigmoidInt8Params& params, int64_t size, const int8_t* in, int8_t* out) {
  detail::sigmoid_int8<false>(params, size, in, out);
}

// Output: scale 1/128, zero point 0.
inline void tanh_int8(const SigmoidInt8Params& params, int64_t size, const int8_t* in, int8_t* out) {
  detail::sigmoid_int8<true>(params, size, in, out);
}

// ---- int16 ----

// TFLM's int16 LOGISTIC / TANH preparation: zero points must be 0 and the output scale 2^-15. A power-of-two
// input scale gives multiplier 0 (the kernels then use 3 << left_shift); any other scale gives a multiplier
// <= 32767 that maps the input to units of 1 / (3 * 4096) times 2^left_shift.
inline Status sigmoid_int16_params(bool is_tanh, float input_scale, int32_t input_zero_point,
                                   float output_scale, int32_t output_zero_point, int32_t* input_multiplier,
                                   int32_t* input_left_shift) {
  if (input_zero_point != 0 || output_zero_point != 0) {
    return Status::error(StatusCode::kUnsupported, "int16 needs zero points 0 (input %d, output %d)",
                         static_cast<int>(input_zero_point), static_cast<int>(output_zero_point));
  }
  if (!(input_scale > 0.0f) || !(output_scale > 0.0f)) {
    return Status::error(StatusCode::kInvalidModel, "scales must be positive");
  }
  constexpr int kInputIntegerBits = 3;
  int input_log2 = 0;
  bool scale_is_pot = checked_log2(input_scale, &input_log2);
  int32_t shift = (15 - kInputIntegerBits) + input_log2;
  scale_is_pot = scale_is_pot && (shift == 0 || (is_tanh && shift == 1));
  int32_t multiplier = 0;
  if (!scale_is_pot) {
    double real = static_cast<double>(input_scale) * 4096.0 * 3.0;
    shift = 0;
    while (real <= 32767.0 / 2.0 && shift <= 30) {
      ++shift;
      real *= 2.0;
    }
    if (real > 32767.0) {
      return Status::error(StatusCode::kUnsupported, "int16 input scale %g is too large",
                           static_cast<double>(input_scale));
    }
    multiplier = static_cast<int32_t>(real);
  }
  int output_log2 = 0;
  if (!checked_log2(output_scale, &output_log2) || output_log2 != -15) {
    return Status::error(StatusCode::kUnsupported, "int16 output scale must be 2^-15, got %g",
                         static_cast<double>(output_scale));
  }
  *input_multiplier = multiplier;
  *input_left_shift = shift;
  return Status::ok();
}

namespace detail {
// (x * multiplier) / 2^left_shift rounded, the table's input units; multiplier 0 means 3 << left_shift.
inline void sigmoid_int16_rescale_params(int32_t* multiplier, int32_t* left_shift) {
  if (*multiplier == 0) {
    *multiplier = 3 << *left_shift;
    *left_shift = 0;
  }
}
// TFLite computes x * multiplier + round in int32; callers with extreme parameters (the LSTM passes its own)
// could overflow, so wrap as the hardware does instead of invoking undefined behaviour.
inline int32_t sigmoid_int16_rescale(int16_t x, int32_t multiplier, int32_t round, int32_t left_shift) {
  const uint32_t wrapped =
      static_cast<uint32_t>(static_cast<int32_t>(x)) * static_cast<uint32_t>(multiplier) +
      static_cast<uint32_t>(round);
  return static_cast<int32_t>(wrapped) >> left_shift;
}
inline uint32_t abs_as_unsigned(int32_t x) {
  return x < 0 ? 0u - static_cast<uint32_t>(x) : static_cast<uint32_t>(x);
}
}  // namespace detail

// sigmoid on int16 in / out (output Q0.15). `input_left_shift` must be in [0, 31].
inline void logistic_int16(int32_t input_multiplier, int32_t input_left_shift, int64_t size,
                           const int16_t* in, int16_t* out) {
  detail::sigmoid_int16_rescale_params(&input_multiplier, &input_left_shift);
  const int32_t round = input_left_shift > 0 ? (1 << (input_left_shift - 1)) : 0;
  for (int64_t i = 0; i < size; ++i) {
    const int32_t x = detail::sigmoid_int16_rescale(in[i], input_multiplier, round, input_left_shift);
    const uint32_t abs_x = detail::abs_as_unsigned(x);
    // 7 bits of the input scaling and 2 more of the 3/4 table range factor: 9 fractional bits.
    const uint32_t index = abs_x >> 9;
    uint32_t y;  // sigmoid(|x|) in Q0.25
    if (index >= 255) {
      y = 0x7FFFu << 10;
    } else {
      const uint32_t a = kSigmoidTableQ16[index];
      const uint32_t b = kSigmoidTableQ16[index + 1];
      y = (a << 9) + (abs_x & 0x1FFu) * (b - a);
    }
    // sigmoid(-x) = 1 - sigmoid(x); both rounded to Q0.15.
    y = x >= 0 ? y + (1u << 9) : (1u << 25) - y + (1u << 9) - 1u;
    out[i] = static_cast<int16_t>(y >> 10);
  }
}

// tanh on int16 in / out (output Q0.15). `input_left_shift` must be in [0, 31].
inline void tanh_int16(int32_t input_multiplier, int32_t input_left_shift, int64_t size, const int16_t* in,
                       int16_t* out) {
  detail::sigmoid_int16_rescale_params(&input_multiplier, &input_left_shift);
  const int32_t round = input_left_shift > 0 ? (1 << (input_left_shift - 1)) : 0;
  for (int64_t i = 0; i < size; ++i) {
    const int32_t x = detail::sigmoid_int16_rescale(in[i], input_multiplier, round, input_left_shift);
    const uint32_t abs_x = detail::abs_as_unsigned(x);
    // One bit fewer than logistic: tanh(x) = 2 sigmoid(2x) - 1.
    const uint32_t index = abs_x >> 8;
    int32_t y;  // sigmoid(2|x|) in Q0.24
    if (index >= 255) {
      y = 0xFFFF << 8;
    } else {
      const uint32_t a = kSigmoidTableQ16[index];
      const uint32_t b = kSigmoidTableQ16[index + 1];
      y = static_cast<int32_t>((a << 8) + (abs_x & 0xFFu) * (b - a));
    }
    y = x >= 0 ? y - (1 << 23) + (1 << 7) : -y + (1 << 23) + (1 << 7) - 1;
    out[i] = static_cast<int16_t>(y >> 8);
  }
}

}  // namespace reference
}  // namespace edgeinfer
