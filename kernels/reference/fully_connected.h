// FULLY_CONNECTED reference kernels: TensorFlow Lite's reference_ops::FullyConnected (float) and
// reference_integer_ops::FullyConnected / FullyConnectedPerChannel (int8, 16x8), bit for bit.
//
// The filter is [output_depth, accum_depth]; the input is read as [batches, accum_depth] and the output
// written as [batches, output_depth] whatever their ranks (keep_num_dims only changes the output's shape).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {

struct FullyConnectedParams {
  int32_t batches = 0;
  int32_t accum_depth = 0;
  int32_t output_depth = 0;
  // Integer kernels. Per-tensor filters keep TensorFlow Lite's filter offset; per-channel ones are symmetric
  // (filter_offset 0). int16 kernels ignore input and output offsets.
  bool per_channel = false;   // multipliers / shifts hold output_depth values, else one
  int32_t input_offset = 0;   // minus the input zero point
  int32_t filter_offset = 0;  // minus the filter zero point
  int32_t output_offset = 0;  // the output zero point
  int32_t activation_min = 0;
  int32_t activation_max = 0;
  // Float kernels.
  float float_activation_min = 0.0f;
  float float_activation_max = 0.0f;
};

// `bias` may be null.
void fully_connected_float(const FullyConnectedParams& params, const float* input, const float* filter,
                           const float* bias, float* output);

// int32 accumulator that wraps like TFLite's.
void fully_connected_int8(const FullyConnectedParams& params, const int32_t* multipliers,
                          const int32_t* shifts, const int8_t* input, const int8_t* filter,
                          const int32_t* bias, int8_t* output);

// 16x8 with int64 bias: 64-bit accumulator and requantization.
void fully_connected_int16(const FullyConnectedParams& params, const int32_t* multipliers,
                           const int32_t* shifts, const int16_t* input, const int8_t* filter,
                           const int64_t* bias, int16_t* output);

// 16x8 with int32 bias or none (TFLM's choice for a missing bias): 32-bit wrapping accumulator and the int32
// requantization.
void fully_connected_int16_acc32(const FullyConnectedParams& params, const int32_t* multipliers,
                                 const int32_t* shifts, const int16_t* input, const int8_t* filter,
                                 const int32_t* bias, int16_t* output);

}  // namespace reference
}  // namespace edgeinfer
