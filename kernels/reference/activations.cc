#include "kernels/reference/activations.h"

#include <cmath>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/fixed_point.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/activation_functions.h"

namespace edgeinfer {
namespace reference {

Status check_unary_elementwise(const KernelContext& context, std::initializer_list<DataType> types) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", types));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  if (output.num_elements() != input.num_elements()) {
    return Status::error(StatusCode::kInvalidModel, "output has %ld elements, input %ld",
                         static_cast<long>(output.num_elements()), static_cast<long>(input.num_elements()));
  }
  return Status::ok();
}

// ---- Pure functions ----

void relu_float(int64_t size, const float* in, float* out) {
  for (int64_t i = 0; i < size; ++i) out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

void relu6_float(int64_t size, const float* in, float* out) {
  for (int64_t i = 0; i < size; ++i) out[i] = in[i] > 6.0f ? 6.0f : (in[i] < 0.0f ? 0.0f : in[i]);
}

namespace {

template <class T>
void relu_quantized(const ReluQuantParams& p, int64_t size, const T* in, T* out) {
  for (int64_t i = 0; i < size; ++i) {
    const int32_t v = p.output_zero_point +
                      multiply_by_quantized_multiplier(static_cast<int32_t>(in[i]) - p.input_zero_point,
                                                       p.output_multiplier, p.output_shift);
    out[i] = static_cast<T>(clamp_int(v, p.activation_min, p.activation_max));
  }
}

template <class T>
void relu6_quantized(int32_t lower, int32_t upper, int64_t size, const T* in, T* out) {
  for (int64_t i = 0; i < size; ++i) {
    const int32_t v = in[i];
    out[i] = static_cast<T>(v > upper ? upper : (v < lower ? lower : v));
  }
}

template <class T>
void leaky_relu_quantized(const LeakyReluQuantParams& p, int64_t size, const T* in, T* out) {
  for (int64_t i = 0; i < size; ++i) {
    const int32_t x = static_cast<int32_t>(in[i]) - p.input_zero_point;
    const int32_t scaled = x >= 0
                               ? multiply_by_quantized_multiplier(x, p.multiplier_identity, p.shift_identity)
                               : multiply_by_quantized_multiplier(x, p.multiplier_alpha, p.shift_alpha);
    out[i] = static_cast<T>(clamp_int(p.output_zero_point + scaled, std::numeric_limits<T>::min(),
                                      std::numeric_limits<T>::max()));
  }
}

}  // namespace

void relu_int8(const ReluQuantParams& params, int64_t size, const int8_t* in, int8_t* out) {
  relu_quantized(params, size, in, out);
}
void relu_int16(const ReluQuantParams& params, int64_t size, const int16_t* in, int16_t* out) {
  relu_quantized(params, size, in, out);
}
void relu6_int8(int32_t lower, int32_t upper, int64_t size, const int8_t* in, int8_t* out) {
  relu6_quantized(lower, upper, size, in, out);
}
void relu6_int16(int32_t lower, int32_t upper, int64_t size, const int16_t* in, int16_t* out) {
  relu6_quantized(lower, upper, size, in, out);
}

void leaky_relu_float(float alpha, int64_t size, const float* in, float* out) {
  // alpha may be > 1 or negative: not a max().
  for (int64_t i = 0; i < size; ++i) out[i] = in[i] > 0.0f ? in[i] : in[i] * alpha;
}

LeakyReluQuantParams make_leaky_relu_params(float input_scale, int32_t input_zero_point, float output_scale,
                                            int32_t output_zero_point, float alpha) {
  LeakyReluQuantParams p;
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  // TFLM forms both ratios in float before widening to double.
  int shift = 0;
  quantize_multiplier(static_cast<double>(input_scale * alpha / output_scale), &p.multiplier_alpha, &shift);
  p.shift_alpha = shift;
  quantize_multiplier(static_cast<double>(input_scale / output_scale), &p.multiplier_identity, &shift);
  p.shift_identity = shift;
  return p;
}

void leaky_relu_int8(const LeakyReluQuantParams& params, int64_t size, const int8_t* in, int8_t* out) {
  leaky_relu_quantized(params, size, in, out);
}
void leaky_relu_int16(const LeakyReluQuantParams& params, int64_t size, const int16_t* in, int16_t* out) {
  leaky_relu_quantized(params, size, in, out);
}

void hard_swish_float(int64_t size, const float* in, float* out) {
  for (int64_t i = 0; i < size; ++i) {
    const float x = in[i];
    // std::max(0, x + 3) then std::min(6, .): comparisons in this order (NaN gives 0).
    const float shifted = x + 3.0f;
    const float lower_clamped = 0.0f < shifted ? shifted : 0.0f;
    const float relu6 = lower_clamped < 6.0f ? lower_clamped : 6.0f;
    out[i] = x * relu6 / 6.0f;
  }
}

namespace {

// int16 x * 2^amount, saturating.
int16_t saturating_left_shift_int16(int16_t value, int amount) {
  const int64_t v = static_cast<int64_t>(value) * (int64_t{1} << amount);
  return static_cast<int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

// Like saturating_rounding_doubling_high_mul but truncating toward zero (ARM's SQDMULH); TFLite uses it to
// cancel the rounding bias of the earlier multiplications.
int16_t saturating_doubling_high_mul_int16(int16_t a, int16_t b) {
  if (a == b && a == std::numeric_limits<int16_t>::min()) return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((static_cast<int32_t>(a) * static_cast<int32_t>(b)) / (1 << 15));
}

// TensorFlow Lite's DownScaleInt32ToInt16Multiplier: Q0.31 -> Q0.15, rounded.
int16_t downscale_multiplier_to_int16(int32_t multiplier) {
  if (multiplier >= std::numeric_limits<int32_t>::max() - (1 << 15))
    return std::numeric_limits<int16_t>::max();
  return static_cast<int16_t>((multiplier + (1 << 15)) >> 16);
}

}  // namespace

Status make_hard_swish_params(float input_scale, int32_t input_zero_point, float output_scale,
                              int32_t output_zero_point, HardSwishParams* params) {
  params->input_zero_point = input_zero_point;
  params->output_zero_point = output_zero_point;
  const float hires_input_scale = (1.0f / 128.0f) * input_scale;
  const float reluish_scale = 3.0f / 32768.0f;
  int32_t multiplier = 0;
  int shift = 0;
  quantize_multiplier(static_cast<double>(hires_input_scale / output_scale), &multiplier, &shift);
  params->output_multiplier = downscale_multiplier_to_int16(multiplier);
  params->output_exponent = shift;
  if (shift > 0 || shift < -31) {
    return Status::error(StatusCode::kUnsupported,
                         "input scale / output scale = %g is too large (output shift %d must be <= 0)",
                         static_cast<double>(input_scale / output_scale), shift);
  }
  quantize_multiplier(static_cast<double>(hires_input_scale / reluish_scale), &multiplier, &shift);
  params->reluish_multiplier = downscale_multiplier_to_int16(multiplier);
  params->reluish_exponent = shift;
  if (shift > 30 || shift < -31) {
    return Status::error(StatusCode::kUnsupported, "input scale %g is outside the supported range",
                         static_cast<double>(input_scale));
  }
  return Status::ok();
}

void hard_swish_int8(const HardSwishParams& p, int64_t size, const int8_t* in, int8_t* out) {
  using fixed_point::rounding_divide_by_pot;
  using fixed_point::saturating_rounding_doubling_high_mul;
  for (int64_t i = 0; i < size; ++i) {
    const int16_t x = static_cast<int16_t>(static_cast<int32_t>(in[i]) - p.input_zero_point);
    // 7 bits of headroom are free for |x| <= 255: keep them as precision.
    const int16_t x_hires = static_cast<int16_t>(x * (1 << 7));
    const int16_t x_preshift_output = saturating_rounding_doubling_high_mul(x_hires, p.output_multiplier);
    // x on the scale where 3.0 is 32768 (saturating): in [-1, 1] for x in [-3, 3]. The last left-shift bit
    // is applied after the multiplication so that saturation there decides the result.
    int16_t reluish = x_hires;
    if (p.reluish_exponent > 0) reluish = saturating_left_shift_int16(reluish, p.reluish_exponent - 1);
    reluish = saturating_rounding_doubling_high_mul(reluish, p.reluish_multiplier);
    if (p.reluish_exponent > 0) reluish = saturating_left_shift_int16(reluish, 1);
    if (p.reluish_exponent < 0) reluish = rounding_divide_by_pot(reluish, -p.reluish_exponent);
    // [-1, 1] -> [0, 1].
    reluish = static_cast<int16_t>((static_cast<int32_t>(reluish) + (1 << 15)) >> 1);
    const int16_t preshift_output = saturating_doubling_high_mul_int16(reluish, x_preshift_output);
    int16_t y = rounding_divide_by_pot(preshift_output, -p.output_exponent);
    // TFLite adds the zero point in int16 (wrapping) before clamping.
    y = static_cast<int16_t>(y + p.output_zero_point);
    out[i] = static_cast<int8_t>(y < -128 ? -128 : (y > 127 ? 127 : y));
  }
}

// ---- Kernels ----

namespace {

// The per-tensor quantization of a quantized activation's input and output.
struct UnaryQuant {
  float input_scale = 0.0f;
  int32_t input_zero_point = 0;
  float output_scale = 0.0f;
  int32_t output_zero_point = 0;
};

Status unary_quantization(const KernelContext& context, UnaryQuant* quant) {
  EI_RETURN_IF_ERROR(
      per_tensor_quantization(context.input(0), "input", &quant->input_scale, &quant->input_zero_point));
  return per_tensor_quantization(context.output(0), "output", &quant->output_scale,
                                 &quant->output_zero_point);
}

// eval() of an activation over float32, int8 and int16: Op::run(op data, size, input, output) for the input's
// element type, with the Op::OpData prepare() stored (none for float32 inputs).
template <class Op>
Status eval_unary(KernelContext& context) {
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int64_t n = input.num_elements();
  const auto* data = context.op_data_as<const typename Op::OpData>();
  switch (input.type) {
    case DataType::kFloat32: Op::run(data, n, input.data_as<const float>(), output.data_as<float>()); break;
    case DataType::kInt8: Op::run(data, n, input.data_as<const int8_t>(), output.data_as<int8_t>()); break;
    default: Op::run(data, n, input.data_as<const int16_t>(), output.data_as<int16_t>()); break;
  }
  return Status::ok();
}

constexpr std::initializer_list<DataType> kFloatInt8Int16 = {DataType::kFloat32, DataType::kInt8,
                                                             DataType::kInt16};

// RELU

struct Relu {
  using OpData = ReluQuantParams;
  static void run(const OpData*, int64_t n, const float* in, float* out) { relu_float(n, in, out); }
  static void run(const OpData* p, int64_t n, const int8_t* in, int8_t* out) { relu_int8(*p, n, in, out); }
  static void run(const OpData* p, int64_t n, const int16_t* in, int16_t* out) { relu_int16(*p, n, in, out); }
};

Status relu_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_unary_elementwise(context, kFloatInt8Int16));
  const Tensor input = context.input(0);
  if (input.type == DataType::kFloat32) return Status::ok();
  UnaryQuant quant;
  EI_RETURN_IF_ERROR(unary_quantization(context, &quant));
  if (input.type == DataType::kInt16 && (quant.input_zero_point != 0 || quant.output_zero_point != 0)) {
    return Status::error(StatusCode::kUnsupported, "int16 needs zero points 0 (input %d, output %d)",
                         static_cast<int>(quant.input_zero_point), static_cast<int>(quant.output_zero_point));
  }
  ReluQuantParams p;
  p.input_zero_point = quant.input_zero_point;
  p.output_zero_point = quant.output_zero_point;
  int shift = 0;
  quantize_multiplier(static_cast<double>(quant.input_scale) / static_cast<double>(quant.output_scale),
                      &p.output_multiplier, &shift);
  p.output_shift = shift;
  // Quantized 0 (output zero point) up to the type's maximum.
  p.activation_min =
      quant.output_zero_point > type_min(input.type) ? quant.output_zero_point : type_min(input.type);
  p.activation_max = type_max(input.type);
  return store_op_data(context, p);
}

// RELU6

struct Relu6 {
  struct OpData {
    int32_t lower;
    int32_t upper;
  };
  static void run(const OpData*, int64_t n, const float* in, float* out) { relu6_float(n, in, out); }
  static void run(const OpData* d, int64_t n, const int8_t* in, int8_t* out) {
    relu6_int8(d->lower, d->upper, n, in, out);
  }
  static void run(const OpData* d, int64_t n, const int16_t* in, int16_t* out) {
    relu6_int16(d->lower, d->upper, n, in, out);
  }
};

Status relu6_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_unary_elementwise(context, kFloatInt8Int16));
  const Tensor input = context.input(0);
  if (input.type == DataType::kFloat32) return Status::ok();
  float scale = 0;
  int32_t zp = 0;
  EI_RETURN_IF_ERROR(per_tensor_quantization(input, "input", &scale, &zp));
  Relu6::OpData data;
  data.lower = zp;
  // TFLM's FloatToQuantizedType: round(6 / scale) + zero point, clamped to the type.
  const double six = std::round(static_cast<double>(6.0f / scale)) + zp;
  data.upper = six > type_max(input.type)
                   ? type_max(input.type)
                   : (six < type_min(input.type) ? type_min(input.type) : static_cast<int32_t>(six));
  return store_op_data(context, data);
}

// LEAKY_RELU

struct LeakyRelu {
  struct OpData {
    float alpha;
    LeakyReluQuantParams params;
  };
  static void run(const OpData* d, int64_t n, const float* in, float* out) {
    leaky_relu_float(d->alpha, n, in, out);
  }
  static void run(const OpData* d, int64_t n, const int8_t* in, int8_t* out) {
    leaky_relu_int8(d->params, n, in, out);
  }
  static void run(const OpData* d, int64_t n, const int16_t* in, int16_t* out) {
    leaky_relu_int16(d->params, n, in, out);
  }
};

Status leaky_relu_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_unary_elementwise(context, kFloatInt8Int16));
  auto* data = static_cast<LeakyRelu::OpData*>(context.allocate_persistent(sizeof(LeakyRelu::OpData)));
  if (data == nullptr) return context.arena_full_error();
  const auto* options = context.op()->builtin_options_as_LeakyReluOptions();
  data->alpha = options != nullptr ? options->alpha() : 0.0f;
  if (context.input(0).type != DataType::kFloat32) {
    UnaryQuant quant;
    EI_RETURN_IF_ERROR(unary_quantization(context, &quant));
    data->params = make_leaky_relu_params(quant.input_scale, quant.input_zero_point, quant.output_scale,
                                          quant.output_zero_point, data->alpha);
  }
  context.set_op_data(data);
  return Status::ok();
}

// HARD_SWISH (float32 and int8)

Status hard_swish_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_unary_elementwise(context, {DataType::kFloat32, DataType::kInt8}));
  if (context.input(0).type == DataType::kFloat32) return Status::ok();
  UnaryQuant quant;
  EI_RETURN_IF_ERROR(unary_quantization(context, &quant));
  auto* data = static_cast<HardSwishParams*>(context.allocate_persistent(sizeof(HardSwishParams)));
  if (data == nullptr) return context.arena_full_error();
  EI_RETURN_IF_ERROR(make_hard_swish_params(quant.input_scale, quant.input_zero_point, quant.output_scale,
                                            quant.output_zero_point, data));
  context.set_op_data(data);
  return Status::ok();
}

Status hard_swish_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int64_t n = input.num_elements();
  if (input.type == DataType::kFloat32) {
    hard_swish_float(n, input.data_as<float>(), output.data_as<float>());
  } else {
    hard_swish_int8(*context.op_data_as<HardSwishParams>(), n, input.data_as<int8_t>(),
                    output.data_as<int8_t>());
  }
  return Status::ok();
}

// LOGISTIC and TANH: the same preparation and table, tanh(x) = 2 sigmoid(2x) - 1; the arithmetic lives in
// activation_functions.h, shared with the recurrent kernels.

template <bool kTanh>
struct Sigmoid {
  struct OpData {
    SigmoidInt8Params int8;
    int32_t int16_multiplier;
    int32_t int16_left_shift;
  };
  static void run(const OpData*, int64_t n, const float* in, float* out) {
    if (kTanh) {
      tanh_float(n, in, out);
    } else {
      logistic_float(n, in, out);
    }
  }
  static void run(const OpData* d, int64_t n, const int8_t* in, int8_t* out) {
    (kTanh ? tanh_int8 : logistic_int8)(d->int8, n, in, out);
  }
  static void run(const OpData* d, int64_t n, const int16_t* in, int16_t* out) {
    (kTanh ? tanh_int16 : logistic_int16)(d->int16_multiplier, d->int16_left_shift, n, in, out);
  }
};

template <bool kTanh>
Status sigmoid_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_unary_elementwise(context, kFloatInt8Int16));
  const Tensor input = context.input(0);
  if (input.type == DataType::kFloat32) return Status::ok();
  UnaryQuant quant;
  EI_RETURN_IF_ERROR(unary_quantization(context, &quant));
  auto* data = static_cast<typename Sigmoid<kTanh>::OpData*>(
      context.allocate_persistent(sizeof(typename Sigmoid<kTanh>::OpData)));
  if (data == nullptr) return context.arena_full_error();
  if (input.type == DataType::kInt8) {
    // The kernel writes sigmoid in units of 1/256 from -128 (TFLM checks only the zero point), tanh in units
    // of 1/128 around 0 (TFLM does not check; a converter always gives 0).
    const int32_t expected_zero_point = kTanh ? 0 : -128;
    if (quant.output_zero_point != expected_zero_point) {
      return Status::error(StatusCode::kUnsupported, "int8 output zero point must be %d, got %d",
                           static_cast<int>(expected_zero_point), static_cast<int>(quant.output_zero_point));
    }
    EI_RETURN_IF_ERROR(sigmoid_int8_params(quant.input_scale, quant.input_zero_point, &data->int8));
  } else {
    EI_RETURN_IF_ERROR(sigmoid_int16_params(kTanh, quant.input_scale, quant.input_zero_point,
                                            quant.output_scale, quant.output_zero_point,
                                            &data->int16_multiplier, &data->int16_left_shift));
  }
  context.set_op_data(data);
  return Status::ok();
}

}  // namespace

const Kernel& relu() {
  static const Kernel kernel = {"reference/relu", relu_prepare, eval_unary<Relu>};
  return kernel;
}
const Kernel& relu6() {
  static const Kernel kernel = {"reference/relu6", relu6_prepare, eval_unary<Relu6>};
  return kernel;
}
const Kernel& leaky_relu() {
  static const Kernel kernel = {"reference/leaky_relu", leaky_relu_prepare, eval_unary<LeakyRelu>};
  return kernel;
}
const Kernel& hard_swish() {
  static const Kernel kernel = {"reference/hard_swish", hard_swish_prepare, hard_swish_eval};
  return kernel;
}
const Kernel& logistic() {
  static const Kernel kernel = {"reference/logistic", sigmoid_prepare<false>, eval_unary<Sigmoid<false>>};
  return kernel;
}
const Kernel& tanh() {
  static const Kernel kernel = {"reference/tanh", sigmoid_prepare<true>, eval_unary<Sigmoid<true>>};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
