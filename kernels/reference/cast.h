// CAST between bool, int8, uint8, int16, uint16, int32, uint32, int64 and float32, element by element as
// TensorFlow Lite's static_cast, with its undefined cases pinned down:
//  - integer to integer wraps (two's complement), integer to float rounds to nearest;
//  - float to integer truncates toward zero; for targets of at most 32 bits through a saturating int32 (and,
//    for uint32, int64) conversion, then wraps: what TFLM's x86-64 and Cortex-M builds do for signed targets
//    and values within int32; NaN gives 0;
//  - to bool: x != 0; bool inputs read any non-zero byte as true. Bools are one byte, 0 or 1.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

template <class To, class From>
inline To cast_value(From x) {
  if constexpr (std::is_floating_point_v<From> && !std::is_floating_point_v<To>) {
    if constexpr (std::is_same_v<To, int64_t>) {
      return float_to_int64_saturating(x);
    } else if constexpr (std::is_same_v<To, uint32_t>) {
      return static_cast<To>(float_to_int64_saturating(x));
    } else {
      return static_cast<To>(float_to_int32_saturating(x));
    }
  } else {
    return static_cast<To>(x);
  }
}

template <class From, class To>
void cast_elements(const From* input, int32_t count, To* output) {
  for (int32_t i = 0; i < count; ++i) output[i] = cast_value<To>(input[i]);
}

// Bool tensors hold one byte per element.
template <class From>
void cast_to_bool(const From* input, int32_t count, uint8_t* output) {
  for (int32_t i = 0; i < count; ++i) output[i] = input[i] != 0 ? 1 : 0;
}

template <class To>
void cast_from_bool(const uint8_t* input, int32_t count, To* output) {
  for (int32_t i = 0; i < count; ++i) output[i] = static_cast<To>(input[i] != 0 ? 1 : 0);
}

}  // namespace reference
}  // namespace edgeinfer
