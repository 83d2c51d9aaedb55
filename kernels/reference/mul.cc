#include "kernels/reference/mul.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace reference {

Status make_mul_params(DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output,
                       FusedActivation activation, MulQuantParams* params) {
  if (type != DataType::kInt8 && type != DataType::kInt16)
    return Status::error(StatusCode::kUnsupported, "quantized MUL of type %s", data_type_name(type));
  if (type == DataType::kInt16 &&
      (input1.zero_point != 0 || input2.zero_point != 0 || output.zero_point != 0))
    return Status::error(StatusCode::kUnsupported, "int16 MUL needs zero points 0, got %d, %d and %d",
                         static_cast<int>(input1.zero_point), static_cast<int>(input2.zero_point),
                         static_cast<int>(output.zero_point));
  MulQuantParams p;
  p.input1_offset = -input1.zero_point;
  p.input2_offset = -input2.zero_point;
  p.output_offset = output.zero_point;
  const double real_multiplier = static_cast<double>(input1.scale) * static_cast<double>(input2.scale) /
                                 static_cast<double>(output.scale);
  EI_RETURN_IF_ERROR(
      quantize_multiplier_checked(real_multiplier, "output", &p.output_multiplier, &p.output_shift));
  EI_RETURN_IF_ERROR(activation_range_quantized(activation, type, output.scale, output.zero_point,
                                                &p.activation_min, &p.activation_max));
  *params = p;
  return Status::ok();
}

void mul_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](float x, float y) { return x * y; });
}

void mul_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](int32_t x, int32_t y) { return wrapping_mul(x, y); });
}

void mul_int8(const BinaryBroadcast& b, const MulQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_mul);
}

void mul_int16(const BinaryBroadcast& b, const MulQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_mul);
}

namespace {

constexpr ArithmeticFunctions<MulQuantParams> kMulFunctions = {mul_float, mul_int32, mul_int8, mul_int16};

Status mul_prepare(KernelContext& context) {
  FusedActivation activation = FusedActivation::kNone;  // TensorFlow Lite's default when options are absent
  if (const auto* options = context.op()->builtin_options_as_MulOptions())
    activation = static_cast<FusedActivation>(options->fused_activation_function());
  return prepare_arithmetic<MulQuantParams>(context, activation, activation, make_mul_params);
}

Status mul_eval(KernelContext& context) {
  return eval_arithmetic(context, kMulFunctions);
}

}  // namespace

const Kernel& mul() {
  static const Kernel kernel = {"reference/mul", mul_prepare, mul_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
