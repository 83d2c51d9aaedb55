// Pieces shared by the elementwise kernels (ADD, SUB, MUL, MAXIMUM, MINIMUM, QUANTIZE, DEQUANTIZE, CAST):
// the binary-op checks of prepare(), quantization checks, and integer arithmetic that TensorFlow Lite lets
// wrap (done here without undefined behaviour).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/broadcast.h"
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

// `tensor` (named `what` in errors) has one finite positive scale and a zero point inside its type's range.
Status check_per_tensor_quantization(const Tensor& tensor, const char* what);

// A multiplier's shift that multiply_by_quantized_multiplier can apply (TensorFlow Lite gives no meaning to
// larger left shifts: they overflow every input).
Status check_multiplier_shift(int shift, const char* what);

// quantize_multiplier() of a real multiplier computed from scales, checked: finite, not negative, and with a
// shift check_multiplier_shift() accepts.
Status quantize_multiplier_checked(double real_multiplier, const char* what, int32_t* multiplier, int* shift);

// Clamp limits of unquantized int32 outputs (TensorFlow Lite's CalculateActivationRange<int32_t>).
Status activation_range_int32(FusedActivation activation, int32_t* min, int32_t* max);

// int32 arithmetic that wraps, as TensorFlow Lite's plain `a + b` does on the hardware it runs on.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrapping_sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t wrapping_mul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

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

}  // namespace reference
}  // namespace edgeinfer
