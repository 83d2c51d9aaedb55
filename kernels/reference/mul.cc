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
  broadcast_binary(b, input1, input2, output,
                   [=](float x, float y) { return clamp_float(x * y, activation_min, activation_max); });
}

void mul_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_binary(b, input1, input2, output, [=](int32_t x, int32_t y) {
    return clamp_int(wrapping_mul(x, y), activation_min, activation_max);
  });
}

void mul_int8(const BinaryBroadcast& b, const MulQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int8_t x, int8_t y) { return static_cast<int8_t>(quantized_mul(params, x, y)); });
}

void mul_int16(const BinaryBroadcast& b, const MulQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int16_t x, int16_t y) { return static_cast<int16_t>(quantized_mul(params, x, y)); });
}

namespace {

struct MulOpData {
  BinaryBroadcast broadcast;
  MulQuantParams quant;
  float float_min;
  float float_max;
  int32_t int32_min;
  int32_t int32_max;
};

Status mul_prepare(KernelContext& context) {
  MulOpData data = {};
  EI_RETURN_IF_ERROR(prepare_binary_op(
      context, {DataType::kFloat32, DataType::kInt32, DataType::kInt8, DataType::kInt16}, &data.broadcast));
  FusedActivation activation = FusedActivation::kNone;  // TensorFlow Lite's default when options are absent
  if (const auto* options = context.op()->builtin_options_as_MulOptions())
    activation = static_cast<FusedActivation>(options->fused_activation_function());
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  switch (output.type) {
    case DataType::kFloat32:
      EI_RETURN_IF_ERROR(activation_range_float(activation, &data.float_min, &data.float_max));
      break;
    case DataType::kInt32:
      EI_RETURN_IF_ERROR(activation_range_int32(activation, &data.int32_min, &data.int32_max));
      break;
    default:  // int8, int16
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input1, "input 1"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input2, "input 2"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(output, "output"));
      EI_RETURN_IF_ERROR(make_mul_params(output.type, affine_quant(input1), affine_quant(input2),
                                         affine_quant(output), activation, &data.quant));
      break;
  }
  void* memory = context.allocate_persistent(sizeof(MulOpData));
  if (memory == nullptr) return context.arena_full_error();
  *static_cast<MulOpData*>(memory) = data;
  context.set_op_data(memory);
  return Status::ok();
}

Status mul_eval(KernelContext& context) {
  const auto& data = *context.op_data_as<MulOpData>();
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  const BinaryBroadcast& b = data.broadcast;
  switch (output.type) {
    case DataType::kFloat32:
      mul_float(b, data.float_min, data.float_max, input1.data_as<const float>(),
                input2.data_as<const float>(), output.data_as<float>());
      break;
    case DataType::kInt32:
      mul_int32(b, data.int32_min, data.int32_max, input1.data_as<const int32_t>(),
                input2.data_as<const int32_t>(), output.data_as<int32_t>());
      break;
    case DataType::kInt8:
      mul_int8(b, data.quant, input1.data_as<const int8_t>(), input2.data_as<const int8_t>(),
               output.data_as<int8_t>());
      break;
    case DataType::kInt16:
      mul_int16(b, data.quant, input1.data_as<const int16_t>(), input2.data_as<const int16_t>(),
                output.data_as<int16_t>());
      break;
    default:
      return Status::error(StatusCode::kInternal, "type %s was not prepared", data_type_name(output.type));
  }
  return Status::ok();
}

}  // namespace

const Kernel& mul() {
  static const Kernel kernel = {"reference/mul", mul_prepare, mul_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
