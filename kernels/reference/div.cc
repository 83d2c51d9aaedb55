#include "kernels/reference/div.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/fixed_point.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

Status make_div_params(AffineQuant input1, AffineQuant input2, AffineQuant output, FusedActivation activation,
                       DivQuantParams* params) {
  DivQuantParams p;
  p.input1_offset = -input1.zero_point;
  p.input2_offset = -input2.zero_point;
  p.output_offset = output.zero_point;
  // TFLM divides the scales in float and only then widens to double.
  const double real_multiplier = static_cast<double>(input1.scale / (input2.scale * output.scale));
  EI_RETURN_IF_ERROR(
      quantize_multiplier_checked(real_multiplier, "output", &p.output_multiplier, &p.output_shift));
  EI_RETURN_IF_ERROR(activation_range_quantized(activation, DataType::kInt8, output.scale, output.zero_point,
                                                &p.activation_min, &p.activation_max));
  *params = p;
  return Status::ok();
}

int32_t div_reciprocal(int32_t x, int* shift) {
  if (x != 0) return fixed_point::get_reciprocal(x, 31, shift);
  // GetReciprocal(0): 32 leading zeros, and the shifted value minus one is -1.0 in Q0.31. Computed here
  // without its 32-bit shift, which C++ leaves undefined.
  *shift = 31 - 32;
  return fixed_point::one_over_one_plus_x_for_x_in_0_1(
             fixed_point::FixedPoint<int32_t, 0>::from_raw(std::numeric_limits<int32_t>::min()))
      .raw();
}

void div_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output,
                       [](float x, float y) { return x / y; });
}

void div_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_arithmetic(b, activation_min, activation_max, input1, input2, output, int32_divide);
}

void div_int8(const BinaryBroadcast& b, const DivQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_quantized(b, params, input1, input2, output, quantized_div);
}

namespace {

const ArithmeticFunctions<DivQuantParams> kDivFunctions = {div_float, div_int32, div_int8, nullptr};

Status div_prepare(KernelContext& context) {
  // Absent options mean TensorFlow Lite's defaults: no activation.
  FusedActivation activation = FusedActivation::kNone;
  if (const auto* options = context.op()->builtin_options_as_DivOptions())
    activation = static_cast<FusedActivation>(options->fused_activation_function());
  EI_RETURN_IF_ERROR(prepare_arithmetic<DivQuantParams>(
      context, activation, activation,
      [](DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output, FusedActivation act,
         DivQuantParams* params) {
        if (type != DataType::kInt8) {
          return Status::error(StatusCode::kUnsupported,
                               "DIV of %s tensors is not supported (TFLM divides float32, int32 and int8)",
                               data_type_name(type));
        }
        return make_div_params(input1, input2, output, act, params);
      }));
  if (context.output(0).type == DataType::kInt32) return check_int32_unquantized(context, "DIV", false);
  return Status::ok();
}

Status div_eval(KernelContext& context) {
  return eval_arithmetic(context, kDivFunctions);
}

}  // namespace

const Kernel& div() {
  static const Kernel kernel = {"reference/div", div_prepare, div_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
