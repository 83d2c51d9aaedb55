// ARG_MAX along one axis (float, int8, int16 input; int32 or int64 output), as TFLite's reference: the first
// index of the largest value (a strictly greater value replaces the current one, so ties keep the first and
// NaNs never win unless first).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {

// The input viewed as [outer, axis_size, inner]; the output as [outer, inner].
struct ArgMaxShape {
  int64_t outer = 1;
  int32_t axis_size = 1;
  int64_t inner = 1;
};

void arg_max_float(const ArgMaxShape& shape, const float* in, int32_t* out);
void arg_max_float(const ArgMaxShape& shape, const float* in, int64_t* out);
void arg_max_int8(const ArgMaxShape& shape, const int8_t* in, int32_t* out);
void arg_max_int8(const ArgMaxShape& shape, const int8_t* in, int64_t* out);
void arg_max_int16(const ArgMaxShape& shape, const int16_t* in, int32_t* out);
void arg_max_int16(const ArgMaxShape& shape, const int16_t* in, int64_t* out);

}  // namespace reference
}  // namespace edgeinfer
