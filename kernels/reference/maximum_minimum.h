// MAXIMUM and MINIMUM with broadcasting (float32, int8, int16, int32, int64), as TFLM's kernels: a plain
// comparison of the stored values (quantized inputs are expected to share the output's quantization, as
// TensorFlow's converter writes them; neither TFLM nor TensorFlow Lite rescale them).
//
// NaN follows TensorFlow Lite's `a > b ? a : b`: a NaN first input yields the second input, a NaN second
// input yields NaN.
#pragma once

#include <cstdint>

#include "kernels/common/broadcast.h"

namespace edgeinfer {
namespace reference {

template <class T>
inline T maximum_element(T a, T b) {
  return a > b ? a : b;
}

template <class T>
inline T minimum_element(T a, T b) {
  return a < b ? a : b;
}

template <class T>
void elementwise_maximum(const BinaryBroadcast& b, const T* input1, const T* input2, T* output) {
  broadcast_binary(b, input1, input2, output, maximum_element<T>);
}

template <class T>
void elementwise_minimum(const BinaryBroadcast& b, const T* input1, const T* input2, T* output) {
  broadcast_binary(b, input1, input2, output, minimum_element<T>);
}

}  // namespace reference
}  // namespace edgeinfer
