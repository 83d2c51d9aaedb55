#include "kernels/reference/softmax.h"

#include <cmath>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/fixed_point.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/activations.h"

namespace edgeinfer {
namespace reference {

void softmax_float(float beta, int64_t outer, int32_t depth, const float* in, float* out) {
  for (int64_t row = 0; row < outer; ++row) {
    const float* x = in + row * depth;
    float* y = out + row * depth;
    // Subtracting the maximum keeps exp() in range without changing the result.
    float max = std::numeric_limits<float>::lowest();
    for (int32_t c = 0; c < depth; ++c) max = max < x[c] ? x[c] : max;
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      y[c] = std::exp((x[c] - max) * beta);
      sum += y[c];
    }
    for (int32_t c = 0; c < depth; ++c) y[c] = y[c] / sum;
  }
}

// ---- int8 input ----

namespace {

constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

template <class Out>
void softmax_from_int8(const SoftmaxInt8Params& p, int64_t outer, int32_t depth, const int8_t* in, Out* out) {
  using ScaledDiff = fixed_point::FixedPoint<int32_t, kScaledDiffIntegerBits>;
  using Accum = fixed_point::FixedPoint<int32_t, kAccumulationIntegerBits>;
  using F0 = fixed_point::FixedPoint<int32_t, 0>;
  constexpr int32_t kOutMin = std::numeric_limits<Out>::min();
  constexpr int32_t kOutMax = std::numeric_limits<Out>::max();
  auto exp_of_diff = [&](int32_t diff) {
    const int32_t rescaled =
        multiply_by_quantized_multiplier_greater_than_one(diff, p.input_multiplier, p.input_left_shift);
    return fixed_point::exp_on_negative_values(ScaledDiff::from_raw(rescaled));
  };
  for (int64_t row = 0; row < outer; ++row) {
    const int8_t* x = in + row * depth;
    Out* y = out + row * depth;
    int32_t max = std::numeric_limits<int8_t>::min();
    for (int32_t c = 0; c < depth; ++c) max = x[c] > max ? x[c] : max;

    Accum sum = Accum::zero();
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(x[c]) - max;
      if (diff >= p.diff_min) sum = sum + fixed_point::rescale<kAccumulationIntegerBits>(exp_of_diff(diff));
    }
    int num_bits_over_unit = 0;
    const F0 reciprocal =
        F0::from_raw(fixed_point::get_reciprocal(sum.raw(), kAccumulationIntegerBits, &num_bits_over_unit));
    // TFLite requires this in [0, 31] (it aborts otherwise); beyond 31 every quotient rounds to 0.
    const int exponent = num_bits_over_unit + 31 - 8 * static_cast<int>(sizeof(Out));

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(x[c]) - max;
      if (diff < p.diff_min) {
        y[c] = static_cast<Out>(kOutMin);
        continue;
      }
      const int32_t product = (reciprocal * exp_of_diff(diff)).raw();
      const int32_t unsaturated =
          exponent > 31 ? 0 : rounding_divide_by_pot(product, exponent < 0 ? 0 : exponent);
      y[c] = static_cast<Out>(clamp_int(unsaturated + kOutMin, kOutMin, kOutMax));
    }
  }
}

}  // namespace

Status make_softmax_int8_params(float input_scale, float beta, SoftmaxInt8Params* params) {
  // TFLite's PreprocessSoftmaxScaling: beta * scale in Q5.26, capped below 2^31.
  const double real = std::fmin(static_cast<double>(beta) * static_cast<double>(input_scale) *
                                    static_cast<double>(1 << (31 - kScaledDiffIntegerBits)),
                                (1ll << 31) - 1.0);
  if (!(real > 1.0)) {
    return Status::error(StatusCode::kUnsupported, "input scale %g times beta %g is too small",
                         static_cast<double>(input_scale), static_cast<double>(beta));
  }
  int shift = 0;
  quantize_multiplier(real, &params->input_multiplier, &shift);
  params->input_left_shift = shift;
  // Largest |difference| whose rescaled value fits Q5.26 (TFLite's CalculateInputRadius).
  const double radius = 1.0 * ((1 << kScaledDiffIntegerBits) - 1) *
                        static_cast<double>(1ll << (31 - kScaledDiffIntegerBits)) /
                        static_cast<double>(1ll << shift);
  params->diff_min = -static_cast<int32_t>(std::floor(radius));
  return Status::ok();
}

void softmax_int8(const SoftmaxInt8Params& params, int64_t outer, int32_t depth, const int8_t* in,
                  int8_t* out) {
  softmax_from_int8(params, outer, depth, in, out);
}

void softmax_int8_int16(const SoftmaxInt8Params& params, int64_t outer, int32_t depth, const int8_t* in,
                        int16_t* out) {
  softmax_from_int8(params, outer, depth, in, out);
}

// ---- int16 ----

namespace {

// TFLite's LUTPopulate for int16 -> int16 tables: the input range is what int16 values mean under
// (input_scale, input_zero_point); 512 samples of func mapped to the int16 output range, each biased by half
// the interpolation error at its midpoint, plus the end value. Float arithmetic, in TFLite's order.
void populate_int16_lut(float (*func)(float), float input_scale, int32_t input_zero_point, float output_scale,
                        int32_t output_zero_point, int16_t* lut) {
  constexpr int kSteps = 512;
  const float input_min = input_scale * static_cast<float>(-32768 - input_zero_point);
  const float input_max = input_scale * static_cast<float>(32767 - input_zero_point);
  const float output_min = output_scale * static_cast<float>(-32768 - output_zero_point);
  const float output_max = output_scale * static_cast<float>(32767 - output_zero_point);
  const float step = (input_max - input_min) / kSteps;
  const float half_step = step / 2;
  const float output_scaling_inv = static_cast<float>(32767 - (-32768) + 1) / (output_max - output_min);
  const float table_min = -32768.0f;
  const float table_max = 32767.0f;
  auto clamp_to_table = [&](float v) {
    // std::min(std::max(v, table_min), table_max)
    const float lower = v < table_min ? table_min : v;
    return static_cast<int16_t>(table_max < lower ? table_max : lower);
  };
  for (int i = 0; i < kSteps; ++i) {
    const float value = func(input_min + i * step);
    const float value_midpoint = func(input_min + i * step + half_step);
    const float value_next = func(input_min + (i + 1) * step);
    const float sample = std::round(value * output_scaling_inv);
    const float midpoint_interpolated =
        std::round((value_next * output_scaling_inv + std::round(value * output_scaling_inv)) / 2);
    const float midpoint = std::round(value_midpoint * output_scaling_inv);
    const float bias = std::round((midpoint_interpolated - midpoint) / 2);
    lut[i] = clamp_to_table(sample - bias);
  }
  lut[kSteps] = clamp_to_table(std::round(func(input_max) * output_scaling_inv));
}

float exp_float(float x) {
  return std::exp(x);
}
float one_over_one_plus_x(float x) {
  return 1.0f / (1.0f + x);
}

}  // namespace

void make_softmax_int16_luts(int16_t* exp_lut, int16_t* one_over_one_plus_x_lut) {
  // exp on [-10, 0] (exp(-10) is negligible next to the row maximum's exp(0)) and 1 / (1 + x) on [0, 1],
  // both onto [-1, 1], described as TFLM does: int16 scales over the 65535-step range.
  const int32_t range = 32767 - (-32768);
  populate_int16_lut(exp_float, 10.0f / range, 32767, 2.0f / range, 0, exp_lut);
  populate_int16_lut(one_over_one_plus_x, 1.0f / range, -32768, 2.0f / range, 0, one_over_one_plus_x_lut);
}

int16_t lut_lookup_int16(int16_t value, const int16_t* lut) {
  const int index = 256 + (value >> 7);
  const int16_t offset = static_cast<int16_t>(value & 0x7f);
  const int16_t base = lut[index];
  // TFLite keeps the slope in int16.
  const int16_t slope = static_cast<int16_t>(lut[index + 1] - lut[index]);
  const int delta = (slope * offset + 64) >> 7;
  return static_cast<int16_t>(base + delta);
}

Status make_softmax_int16_params(float input_scale, float beta, SoftmaxInt16Params* params) {
  // Differences in [-65535, 0] map to [-10, 0].
  const double real = static_cast<double>(input_scale) * static_cast<double>(beta) / (10.0 / 65535.0);
  if (!(real > 0.0) || !std::isfinite(real)) {
    return Status::error(StatusCode::kUnsupported, "input scale %g times beta %g is not positive",
                         static_cast<double>(input_scale), static_cast<double>(beta));
  }
  int shift = 0;
  quantize_multiplier(real, &params->input_multiplier, &shift);
  params->input_shift = shift;
  return Status::ok();
}

void softmax_int16(const SoftmaxInt16Params& p, int64_t outer, int32_t depth, const int16_t* in,
                   int16_t* out) {
  for (int64_t row = 0; row < outer; ++row) {
    const int16_t* x = in + row * depth;
    int16_t* y = out + row * depth;
    int16_t max = std::numeric_limits<int16_t>::min();
    for (int32_t c = 0; c < depth; ++c) max = x[c] > max ? x[c] : max;

    // exp(x - max) in Q0.15, cached in the output; their sum in Q16.15.
    int32_t sum = 0;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(x[c]) - max;
      const int32_t scaled = multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_shift);
      // Recentre [-65535, 0] on the table's symmetric input range.
      const int16_t centered = static_cast<int16_t>(clamp_int(scaled + 32767, -32768, 32767));
      y[c] = lut_lookup_int16(centered, p.exp_lut);
      sum += y[c];
    }

    // 1 / sum: normalise sum into [1, 2) as x + 1 with x in Q0.15 recentred on [-32768, 32767].
    const int headroom_plus_one = fixed_point::count_leading_zeros(static_cast<uint32_t>(sum));
    const int32_t shifted_sum =
        static_cast<int32_t>(((static_cast<int64_t>(sum) << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int32_t centered_sum = shifted_sum - ((1 << 15) + (1 << 16));
    const int16_t reciprocal = lut_lookup_int16(static_cast<int16_t>(clamp_int(centered_sum, -32768, 32767)),
                                                p.one_over_one_plus_x_lut);

    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = int64_t{1} << (right_shift - 1);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t result = static_cast<int32_t>(
          (static_cast<int64_t>(y[c]) * static_cast<int64_t>(reciprocal) + round) >> right_shift);
      y[c] = static_cast<int16_t>(clamp_int(result, 0, 32767));
    }
  }
}

// ---- Kernel ----

namespace {

enum class SoftmaxMode : int32_t { kFloat, kInt8, kInt8Int16, kInt16 };

struct SoftmaxOpData {
  SoftmaxMode mode;
  float beta;
  int64_t outer;
  int32_t depth;
  SoftmaxInt8Params int8;
  SoftmaxInt16Params int16;
};

Status softmax_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kFloat32, DataType::kInt8, DataType::kInt16}));
  if (input.shape.rank < 1) return Status::error(StatusCode::kInvalidModel, "input must have rank >= 1");
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", input.shape));

  auto* data = static_cast<SoftmaxOpData*>(context.allocate_persistent(sizeof(SoftmaxOpData)));
  if (data == nullptr) return context.arena_full_error();
  const auto* options = context.op()->builtin_options_as_SoftmaxOptions();
  // TFLite's schema default for beta is 0; converters always write it.
  data->beta = options != nullptr ? options->beta() : 0.0f;
  data->depth = input.shape.dim_from_end(1);
  data->outer = data->depth > 0 ? input.num_elements() / data->depth : 0;

  if (input.type == DataType::kFloat32) {
    EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
    data->mode = SoftmaxMode::kFloat;
    context.set_op_data(data);
    return Status::ok();
  }
  float input_scale = 0;
  float output_scale = 0;
  int32_t input_zp = 0;
  int32_t output_zp = 0;
  EI_RETURN_IF_ERROR(per_tensor_quantization(input, "input", &input_scale, &input_zp));
  if (input.type == DataType::kInt8) {
    EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt8, DataType::kInt16}));
    EI_RETURN_IF_ERROR(per_tensor_quantization(output, "output", &output_scale, &output_zp));
    if (output.type == DataType::kInt8) {
      if (output_zp != -128 || output_scale != 1.0f / 256) {
        return Status::error(StatusCode::kUnsupported,
                             "int8 output must have scale 1/256 and zero point -128, got %g and %d",
                             static_cast<double>(output_scale), static_cast<int>(output_zp));
      }
      data->mode = SoftmaxMode::kInt8;
    } else {
      if (output_zp != -32768 || std::fabs(output_scale - 1.0f / 65536) > 0.001f / 65536) {
        return Status::error(StatusCode::kUnsupported,
                             "int16 output must have scale 1/65536 and zero point -32768, got %g and %d",
                             static_cast<double>(output_scale), static_cast<int>(output_zp));
      }
      data->mode = SoftmaxMode::kInt8Int16;
    }
    EI_RETURN_IF_ERROR(make_softmax_int8_params(input_scale, data->beta, &data->int8));
  } else {
    EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
    EI_RETURN_IF_ERROR(per_tensor_quantization(output, "output", &output_scale, &output_zp));
    if (output_zp != 0 || std::fabs(output_scale - 1.0f / 32768) > 0.001f / 32768) {
      return Status::error(StatusCode::kUnsupported,
                           "int16 output must have scale 1/32768 and zero point 0, got %g and %d",
                           static_cast<double>(output_scale), static_cast<int>(output_zp));
    }
    // The Q16.15 sum of exps must not overflow int32.
    if (data->depth > 65536) {
      return Status::error(StatusCode::kUnsupported, "int16 softmax over %d elements (at most 65536)",
                           static_cast<int>(data->depth));
    }
    auto* luts = static_cast<int16_t*>(context.allocate_persistent(2 * kSoftmaxLutSize * sizeof(int16_t)));
    if (luts == nullptr) return context.arena_full_error();
    make_softmax_int16_luts(luts, luts + kSoftmaxLutSize);
    data->int16.exp_lut = luts;
    data->int16.one_over_one_plus_x_lut = luts + kSoftmaxLutSize;
    EI_RETURN_IF_ERROR(make_softmax_int16_params(input_scale, data->beta, &data->int16));
    data->mode = SoftmaxMode::kInt16;
  }
  context.set_op_data(data);
  return Status::ok();
}

Status softmax_eval(KernelContext& context) {
  const auto* data = context.op_data_as<SoftmaxOpData>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  switch (data->mode) {
    case SoftmaxMode::kFloat:
      softmax_float(data->beta, data->outer, data->depth, input.data_as<float>(), output.data_as<float>());
      break;
    case SoftmaxMode::kInt8:
      softmax_int8(data->int8, data->outer, data->depth, input.data_as<int8_t>(), output.data_as<int8_t>());
      break;
    case SoftmaxMode::kInt8Int16:
      softmax_int8_int16(data->int8, data->outer, data->depth, input.data_as<int8_t>(),
                         output.data_as<int16_t>());
      break;
    case SoftmaxMode::kInt16:
      softmax_int16(data->int16, data->outer, data->depth, input.data_as<int16_t>(),
                    output.data_as<int16_t>());
      break;
  }
  return Status::ok();
}

}  // namespace

const Kernel& softmax() {
  static const Kernel kernel = {"reference/softmax", softmax_prepare, softmax_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
