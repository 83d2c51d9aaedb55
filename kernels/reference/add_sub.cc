#include "kernels/reference/add_sub.h"

#include <algorithm>
#include <limits>

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
  broadcast_binary(b, input1, input2, output,
                   [=](float x, float y) { return clamp_float(x + y, activation_min, activation_max); });
}

void add_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_binary(b, input1, input2, output, [=](int32_t x, int32_t y) {
    return clamp_int(wrapping_add(x, y), activation_min, activation_max);
  });
}

void add_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int8_t x, int8_t y) { return static_cast<int8_t>(quantized_add(params, x, y)); });
}

void add_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int16_t x, int16_t y) { return static_cast<int16_t>(quantized_add(params, x, y)); });
}

void sub_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output) {
  broadcast_binary(b, input1, input2, output,
                   [=](float x, float y) { return clamp_float(x - y, activation_min, activation_max); });
}

void sub_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output) {
  broadcast_binary(b, input1, input2, output, [=](int32_t x, int32_t y) {
    return clamp_int(wrapping_sub(x, y), activation_min, activation_max);
  });
}

void sub_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int8_t x, int8_t y) { return static_cast<int8_t>(quantized_sub(params, x, y)); });
}

void sub_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output) {
  broadcast_binary(b, input1, input2, output,
                   [&](int16_t x, int16_t y) { return static_cast<int16_t>(quantized_sub(params, x, y)); });
}

namespace {

struct AddSubOpData {
  BinaryBroadcast broadcast;
  AddSubQuantParams quant;
  float float_min;
  float float_max;
  int32_t int32_min;
  int32_t int32_max;
};

template <bool kSub>
Status add_sub_prepare(KernelContext& context) {
  AddSubOpData data = {};
  EI_RETURN_IF_ERROR(prepare_binary_op(
      context, {DataType::kFloat32, DataType::kInt32, DataType::kInt8, DataType::kInt16}, &data.broadcast));
  // Absent options mean TensorFlow Lite's defaults: no activation.
  FusedActivation activation = FusedActivation::kNone;
  if (kSub) {
    if (const auto* options = context.op()->builtin_options_as_SubOptions())
      activation = static_cast<FusedActivation>(options->fused_activation_function());
  } else {
    if (const auto* options = context.op()->builtin_options_as_AddOptions())
      activation = static_cast<FusedActivation>(options->fused_activation_function());
  }
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  switch (output.type) {
    case DataType::kFloat32:
      EI_RETURN_IF_ERROR(activation_range_float(activation, &data.float_min, &data.float_max));
      break;
    case DataType::kInt32:
      if (kSub) {
        EI_RETURN_IF_ERROR(activation_range_int32(activation, &data.int32_min, &data.int32_max));
      } else {
        // TFLM's int32 ADD ignores the fused activation.
        data.int32_min = std::numeric_limits<int32_t>::min();
        data.int32_max = std::numeric_limits<int32_t>::max();
      }
      break;
    default: {  // int8, int16
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input1, "input 1"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input2, "input 2"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(output, "output"));
      const ScaleArithmetic arithmetic =
          kSub && output.type == DataType::kInt8 ? ScaleArithmetic::kFloat : ScaleArithmetic::kDouble;
      EI_RETURN_IF_ERROR(make_add_sub_params(output.type, affine_quant(input1), affine_quant(input2),
                                             affine_quant(output), activation, arithmetic, &data.quant));
      break;
    }
  }
  void* memory = context.allocate_persistent(sizeof(AddSubOpData));
  if (memory == nullptr) return context.arena_full_error();
  *static_cast<AddSubOpData*>(memory) = data;
  context.set_op_data(memory);
  return Status::ok();
}

template <bool kSub>
Status add_sub_eval(KernelContext& context) {
  const auto& data = *context.op_data_as<AddSubOpData>();
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  const BinaryBroadcast& b = data.broadcast;
  switch (output.type) {
    case DataType::kFloat32:
      (kSub ? sub_float : add_float)(b, data.float_min, data.float_max, input1.data_as<const float>(),
                                     input2.data_as<const float>(), output.data_as<float>());
      break;
    case DataType::kInt32:
      (kSub ? sub_int32 : add_int32)(b, data.int32_min, data.int32_max, input1.data_as<const int32_t>(),
                                     input2.data_as<const int32_t>(), output.data_as<int32_t>());
      break;
    case DataType::kInt8:
      (kSub ? sub_int8 : add_int8)(b, data.quant, input1.data_as<const int8_t>(),
                                   input2.data_as<const int8_t>(), output.data_as<int8_t>());
      break;
    case DataType::kInt16:
      (kSub ? sub_int16 : add_int16)(b, data.quant, input1.data_as<const int16_t>(),
                                     input2.data_as<const int16_t>(), output.data_as<int16_t>());
      break;
    default:
      return Status::error(StatusCode::kInternal, "type %s was not prepared", data_type_name(output.type));
  }
  return Status::ok();
}

}  // namespace

const Kernel& add() {
  static const Kernel kernel = {"reference/add", add_sub_prepare<false>, add_sub_eval<false>};
  return kernel;
}

const Kernel& sub() {
  static const Kernel kernel = {"reference/sub", add_sub_prepare<true>, add_sub_eval<true>};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
