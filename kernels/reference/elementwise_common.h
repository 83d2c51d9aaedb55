// Pieces shared by the elementwise kernels (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, QUANTIZE, DEQUANTIZE,
// CAST): the binary-op checks of prepare(), the prepare / eval glue of the arithmetic ops ADD, SUB and MUL,
// the checks of the type conversions, multiplier checks and saturating float-to-integer conversion.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/broadcast.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"

namespace edgeinfer {
namespace reference {

// One tensor's per-tensor quantization: real = scale * (q - zero_point).
struct AffineQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// The quantization of `tensor`, which check_per_tensor_quantization() accepted.
inline AffineQuant affine_quant(const Tensor& tensor) {
  return {tensor.quant.scale(), tensor.quant.zero_point()};
}

// Two present inputs and one output, all of one type from `types`, the inputs broadcasting to exactly the
// output's shape. Fills `broadcast` for eval().
Status prepare_binary_op(const KernelContext& context, std::initializer_list<DataType> types,
                         BinaryBroadcast* broadcast);

// TFLM's int32 ADD, SUB and DIV have no rescaling and refuse quantized int32 tensors: fails when input 1 or 2
// (and, with `check_output`, the output) carries quantization parameters the way TFLM reads them (scales
// and zero points both present). Call after prepare_binary_op().
Status check_int32_unquantized(const KernelContext& context, const char* op, bool check_output);

// The checks of prepare_conversion() below once the conversion is known (`supported` false when there is
// none).
Status check_conversion(const Tensor& input, const Tensor& output, const char* op, bool supported,
                        int32_t* count);

// prepare() of the type conversions (CAST, QUANTIZE, named `op` in errors): one input and one output, with
// `select(input type, output type)` giving the conversion into `run` (null: unsupported), as many output
// elements as input elements, at most 2^31 - 1, which `count` receives.
template <class Run>
Status prepare_conversion(const KernelContext& context, const char* op, Run (*select)(DataType, DataType),
                          Run* run, int32_t* count) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  *run = select(input.type, output.type);
  return check_conversion(input, output, op, *run != nullptr, count);
}

// A multiplier's shift that multiply_by_quantized_multiplier can apply (TensorFlow Lite gives no meaning to
// larger left shifts: they overflow every input).
Status check_multiplier_shift(int shift, const char* what);

// quantize_multiplier() of a real multiplier computed from scales, checked: finite, not negative, and with a
// shift check_multiplier_shift() accepts.
Status quantize_multiplier_checked(double real_multiplier, const char* what, int32_t* multiplier, int* shift);

// Float to integer, truncating toward zero, saturating at the type's limits, NaN -> 0. TensorFlow Lite's
// static_cast is undefined out of range; this is what Cortex-M's vcvt does for int32.
inline int32_t float_to_int32_saturating(float x) {
  if (!(x == x)) return 0;
  if (x >= 2147483648.0f) return std::numeric_limits<int32_t>::max();
  if (x <= -2147483648.0f) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(x);
}
inline int64_t float_to_int64_saturating(float x) {
  if (!(x == x)) return 0;
  if (x >= 9223372036854775808.0f) return std::numeric_limits<int64_t>::max();
  if (x <= -9223372036854775808.0f) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}

// ---- ADD, SUB and MUL: an arithmetic op with a fused activation over two broadcast inputs ----

// out = clamp(op(in1, in2), activation_min, activation_max) over the broadcast `b` (float32 and int32).
template <class T, class Op>
void broadcast_arithmetic(const BinaryBroadcast& b, T activation_min, T activation_max, const T* input1,
                          const T* input2, T* output, Op op) {
  broadcast_binary(b, input1, input2, output,
                   [=](T x, T y) { return clamp_value<T>(op(x, y), activation_min, activation_max); });
}

// out = quantized_op(params, in1, in2) over the broadcast `b` (int8 and int16).
template <class T, class Params, class QuantizedOp>
void broadcast_quantized(const BinaryBroadcast& b, const Params& params, const T* input1, const T* input2,
                         T* output, QuantizedOp quantized_op) {
  broadcast_binary(b, input1, input2, output,
                   [&](T x, T y) { return static_cast<T>(quantized_op(params, x, y)); });
}

// The pure functions of one arithmetic op, by output type.
template <class QuantParams>
struct ArithmeticFunctions {
  void (*float32)(const BinaryBroadcast&, float, float, const float*, const float*, float*);
  void (*int32)(const BinaryBroadcast&, int32_t, int32_t, const int32_t*, const int32_t*, int32_t*);
  void (*int8)(const BinaryBroadcast&, const QuantParams&, const int8_t*, const int8_t*, int8_t*);
  void (*int16)(const BinaryBroadcast&, const QuantParams&, const int16_t*, const int16_t*, int16_t*);
};

template <class QuantParams>
struct ArithmeticOpData {
  BinaryBroadcast broadcast;
  QuantParams quant;  // int8, int16
  float float_min;
  float float_max;
  int32_t int32_min;
  int32_t int32_max;
};

// prepare() of an arithmetic op over float32, int32, int8 and int16: prepare_binary_op(); the clamp limits
// of `activation` for float32 outputs and of `int32_activation` for int32 ones; for int8 and int16 the
// per-tensor quantization of both inputs and the output, and `make_params(type, input1, input2, output,
// activation, &params)`.
template <class QuantParams, class MakeParams>
Status prepare_arithmetic(KernelContext& context, FusedActivation activation,
                          FusedActivation int32_activation, MakeParams make_params) {
  ArithmeticOpData<QuantParams> data = {};
  EI_RETURN_IF_ERROR(prepare_binary_op(
      context, {DataType::kFloat32, DataType::kInt32, DataType::kInt8, DataType::kInt16}, &data.broadcast));
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  switch (output.type) {
    case DataType::kFloat32:
      EI_RETURN_IF_ERROR(activation_range_float(activation, &data.float_min, &data.float_max));
      break;
    case DataType::kInt32:
      EI_RETURN_IF_ERROR(activation_range_int32(int32_activation, &data.int32_min, &data.int32_max));
      break;
    default:  // int8, int16
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input1, "input 1"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(input2, "input 2"));
      EI_RETURN_IF_ERROR(check_per_tensor_quantization(output, "output"));
      EI_RETURN_IF_ERROR(make_params(output.type, affine_quant(input1), affine_quant(input2),
                                     affine_quant(output), activation, &data.quant));
      break;
  }
  return store_op_data(context, data);
}

// eval() of an arithmetic op prepared by prepare_arithmetic(), with its op data.
template <class QuantParams>
Status eval_arithmetic(KernelContext& context, const ArithmeticOpData<QuantParams>& data,
                       const ArithmeticFunctions<QuantParams>& functions) {
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  const BinaryBroadcast& b = data.broadcast;
  switch (output.type) {
    case DataType::kFloat32:
      functions.float32(b, data.float_min, data.float_max, input1.data_as<const float>(),
                        input2.data_as<const float>(), output.data_as<float>());
      break;
    case DataType::kInt32:
      functions.int32(b, data.int32_min, data.int32_max, input1.data_as<const int32_t>(),
                      input2.data_as<const int32_t>(), output.data_as<int32_t>());
      break;
    case DataType::kInt8:
      functions.int8(b, data.quant, input1.data_as<const int8_t>(), input2.data_as<const int8_t>(),
                     output.data_as<int8_t>());
      break;
    case DataType::kInt16:
      functions.int16(b, data.quant, input1.data_as<const int16_t>(), input2.data_as<const int16_t>(),
                      output.data_as<int16_t>());
      break;
    default:
      return Status::error(StatusCode::kInternal, "type %s was not prepared", data_type_name(output.type));
  }
  return Status::ok();
}

template <class QuantParams>
Status eval_arithmetic(KernelContext& context, const ArithmeticFunctions<QuantParams>& functions) {
  return eval_arithmetic(context, *context.op_data_as<ArithmeticOpData<QuantParams>>(), functions);
}

}  // namespace reference
}  // namespace edgeinfer
