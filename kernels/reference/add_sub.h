// ADD and SUB with broadcasting (float32, int32, int8, int16), as TensorFlow Lite's reference Add / Sub.
//
// Quantized inputs are first brought to a common scale, twice the larger input scale, with `left_shift` bits
// of headroom (20 for int8, 15 for int16): each input is offset by its zero point, shifted left and scaled
// by a multiplier <= 1/2; the two are added (or subtracted) in int32 and the sum is scaled to the output.
// This "general" path is used for int16 too, whatever AddOptions/SubOptions.pot_scale_int16 says, as TFLM
// does.
//
// The real multipliers come from the scales in double precision, except for int8 SUB, which TFLM computes
// in float (so its multipliers can differ in the last bit). int16 SUB uses double like full TensorFlow Lite:
// the SEANet conformance goldens (made with TensorFlow Lite) need it; TFLM's float version is off by one in a
// few of their elements.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/broadcast.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

struct AddSubQuantParams {
  int32_t input1_offset = 0;  // -zero point
  int32_t input2_offset = 0;
  int32_t output_offset = 0;  // +zero point
  int left_shift = 0;
  int32_t input1_multiplier = 0;
  int input1_shift = 0;
  int32_t input2_multiplier = 0;
  int input2_shift = 0;
  int32_t output_multiplier = 0;
  int output_shift = 0;
  int32_t activation_min = 0;
  int32_t activation_max = 0;
};

// Precision in which the real multipliers are computed from the scales.
enum class ScaleArithmetic : uint8_t { kDouble, kFloat };

// Parameters for int8 or int16 (`type`) ADD/SUB. Fails for other types, activations that cannot be
// expressed as a clamp, or multipliers out of range.
Status make_add_sub_params(DataType type, AffineQuant input1, AffineQuant input2, AffineQuant output,
                           FusedActivation activation, ScaleArithmetic arithmetic, AddSubQuantParams* params);

// One input brought to the common scale.
inline int32_t add_sub_rescale_input(int32_t value, int32_t offset, int left_shift, int32_t multiplier,
                                     int shift) {
  return multiply_by_quantized_multiplier(wrapping_shift_left(offset + value, left_shift), multiplier, shift);
}

// The common-scale sum (or difference) scaled to the output, offset and clamped.
inline int32_t add_sub_output(const AddSubQuantParams& p, int32_t raw) {
  const int32_t scaled = multiply_by_quantized_multiplier(raw, p.output_multiplier, p.output_shift);
  return clamp_int(wrapping_add(scaled, p.output_offset), p.activation_min, p.activation_max);
}

inline int32_t quantized_add(const AddSubQuantParams& p, int32_t x, int32_t y) {
  const int32_t a =
      add_sub_rescale_input(x, p.input1_offset, p.left_shift, p.input1_multiplier, p.input1_shift);
  const int32_t b =
      add_sub_rescale_input(y, p.input2_offset, p.left_shift, p.input2_multiplier, p.input2_shift);
  return add_sub_output(p, a + b);  // |a|, |b| <= 2^30: no overflow
}

inline int32_t quantized_sub(const AddSubQuantParams& p, int32_t x, int32_t y) {
  const int32_t a =
      add_sub_rescale_input(x, p.input1_offset, p.left_shift, p.input1_multiplier, p.input1_shift);
  const int32_t b =
      add_sub_rescale_input(y, p.input2_offset, p.left_shift, p.input2_multiplier, p.input2_shift);
  return add_sub_output(p, a - b);
}

// out = clamp(in1 + in2) over the broadcast `b`.
void add_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output);
void add_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output);
void add_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output);
void add_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output);

// out = clamp(in1 - in2) over the broadcast `b`.
void sub_float(const BinaryBroadcast& b, float activation_min, float activation_max, const float* input1,
               const float* input2, float* output);
void sub_int32(const BinaryBroadcast& b, int32_t activation_min, int32_t activation_max,
               const int32_t* input1, const int32_t* input2, int32_t* output);
void sub_int8(const BinaryBroadcast& b, const AddSubQuantParams& params, const int8_t* input1,
              const int8_t* input2, int8_t* output);
void sub_int16(const BinaryBroadcast& b, const AddSubQuantParams& params, const int16_t* input1,
               const int16_t* input2, int16_t* output);

// The op data of ADD and SUB.
using AddSubOpData = ArithmeticOpData<AddSubQuantParams>;

// The reference ADD kernel's prepare() (validates the op, stores an AddSubOpData) and eval(), for optimized
// kernels.
Status add_prepare(KernelContext& context);
Status add_eval(KernelContext& context);
// The same eval() with the op data given (an optimized kernel's fallback keeps its own op data).
Status add_eval(KernelContext& context, const AddSubOpData& data);

}  // namespace reference
}  // namespace edgeinfer
