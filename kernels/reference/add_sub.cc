#include "kernels/reference/add_sub.h"

#include <algorithm>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace reference {

Status make_add_sub_params(DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output,
                           FusedActivation activation, ScaleArithmetic arithmetic,
                           AddSubQuantParams* params) {
  if (type != DataType::kInt8 && type != DataType::kInt16)
    return Status::error(StatusCode::kUnsupported, "quantized ADD/SUB of type %s", data_type_name(type));
  AddSubQuantParams p;
  p.input1_offset = -input1.zero_point;
  p.input2_offset = -input2.zero_point;
  p.output_offset = output.zero_point;
  // Headroom: (65535 << 15) and (255 << 20) both stay below 2^31.
  p.left_shift = type == DataType::kInt16 ? 15 : 20;
  double real_input1;
  double real_input2;
  double real_output;
  if (arithmetic == ScaleArithmetic::kDouble) {
    const double twice_max_scale = 2.0 * static_cast<double>(std::max(input1.scale, input2.scale));
    real_input1 = static_cast<double>(input1.scale) / twice_max_scale;
    real_input2 = static_cast<double>(input2.scale) / twice_max_scale;
    real_output =
        twice_max_scale / (static_cast<double>(1 << p.left_shift) * static_cast<double>(output.scale));
  } else {
    const float twice_max_scale = 2.0f * std::max(input1.scale, input2.scale);
    real_input1 = static_cast<double>(input1.scale / twice_max_scale);
    real_input2 = static_cast<double>(input2.scale / twice_max_scale);
    real_output =
        static_cast<double>(twice_max_scale / (static_cast<float>(1 << p.left_shift) * output.scale));
  }
  EI_RETURN_IF_ERROR(
      quantize_multiplier_checked(real_input1, "input 1", &p.input1_multiplier, &p.input1_shift));
  EI_RETURN_IF_ERROR(
      quantize_multiplier_checked(real_input2, "input 2", &p.input2_multiplier, &p.input2_shift));
  EI_RETURN_IF_ERROR(
      quantize_multiplier_checked(real_output, "output", &p.output_multiplier, &p.output_shift));
  EI_RETURN_IF_ERROR(activation_range_quantized(activation, type, output.scale, output.zero_point,
                                                &p.activation_min, &p.activation_max));
  *params = p;
  return Status::ok();
}

void add_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](float x, float y) { return x + y; });
}

void add_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](int32_t x, int32_t y) { return wrapping_add(x, y); });
}

void add_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_add);
}

void add_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_add);
}

void sub_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](float x, float y) { return x - y; });
}

void sub_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](int32_t x, int32_t y) { return wrapping_sub(x, y); });
}

void sub_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_sub);
}

void sub_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_sub);
}

namespace {

constexpr ArithmeticFunctions<AddSubQuantParams> kAddFunctions = {add_float, add_int32, add_int8, add_int16};
constexpr ArithmeticFunctions<AddSubQuantParams> kSubFunctions = {sub_float, sub_int32, sub_int8, sub_int16};

template <bool kSub>
Status add_sub_prepare(KernelContext& context) {
  // Absent options mean TensorFlow Lite's defaults: no activation.
  FusedActivation activation = FusedActivation::kNone;
  if (kSub) {
    if (const auto* options = context.op()->builtin_options_as_SubOptions())
      activation = static_cast<FusedActivation>(options->fused_activation_function());
  } else {
    if (const auto* options = context.op()->builtin_options_as_AddOptions())
      activation = static_cast<FusedActivation>(options->fused_activation_function());
  }
  // TFLM's int32 ADD ignores the fused activation.
  const FusedActivation int32_activation = kSub ? activation : FusedActivation::kNone;
  EI_RETURN_IF_ERROR(prepare_arithmetic<AddSubQuantParams>(
      context, activation, int32_activation,
      [](DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output, FusedActivation act,
         AddSubQuantParams* params) {
        const ScaleArithmetic arithmetic =
            kSub && type == DataType::kInt8 ? ScaleArithmetic::kFloat : ScaleArithmetic::kDouble;
        return make_add_sub_params(type, input1, input2, output, act, arithmetic, params);
      }));
  // TFLM's SUB checks the output's quantization too, its ADD only the inputs'.
  if (context.output(0).type == DataType::kInt32)
    return check_int32_unquantized(context, kSub ? "SUB" : "ADD", kSub);
  return Status::ok();
}

template <bool kSub>
Status add_sub_eval(KernelContext& context) {
  return eval_arithmetic(context, kSub ? kSubFunctions : kAddFunctions);
}

}  // namespace

Status add_prepare(KernelContext& context) {
  return add_sub_prepare<false>(context);
}
Status add_eval(KernelContext& context) {
  return add_sub_eval<false>(context);
}
Status add_eval(KernelContext& context, const AddSubOpData& data) {
  return eval_arithmetic(context, data, kAddFunctions);
}

const Kernel& add() {
  static const Kernel kernel = {"reference/add", add_prepare,
                                static_cast<Status (*)(KernelContext&)>(add_eval)};
  return kernel;
}

const Kernel& sub() {
  static const Kernel kernel = {"reference/sub", add_sub_prepare<true>, add_sub_eval<true>};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
