// Test helpers of the activation / pooling / reduction kernel tests: one-op models, quantization round trips
// and a deterministic input generator.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "compiler/model_builder.h"
#include "kernels/reference/shape_ops_test_util.h"

namespace edgeinfer::testing {

struct TensorSpec {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  compiler::QuantParams quant;
};

// A model with one op: input 0 (an activation), optional extra constant inputs already added by `extra`, and
// one output.
inline std::vector<uint8_t> single_op_model(
    BuiltinOp op, const TensorSpec& in, const TensorSpec& out,
    tflite::BuiltinOptions options_type = tflite::BuiltinOptions::NONE,
    compiler::OptionsWriter writer = nullptr, std::vector<int> (*extra)(compiler::ModelBuilder&) = nullptr) {
  compiler::ModelBuilder b;
  const int input = b.add_tensor(in.type, in.shape, in.quant);
  std::vector<int> inputs = {input};
  if (extra != nullptr) {
    for (int t : extra(b)) inputs.push_back(t);
  }
  const int output = b.add_tensor(out.type, out.shape, out.quant);
  b.add_op(op, inputs, {output}, options_type, std::move(writer));
  b.set_inputs({input});
  b.set_outputs({output});
  return b.finish();
}

// Affine quantization as TFLite's Quantize: round half away from zero, saturate.
template <class T>
T quantize_value(float x, float scale, int32_t zero_point) {
  const long q = std::lround(x / scale) + zero_point;
  const long lo = std::numeric_limits<T>::min();
  const long hi = std::numeric_limits<T>::max();
  return static_cast<T>(q < lo ? lo : (q > hi ? hi : q));
}

template <class T>
float dequantize_value(T q, float scale, int32_t zero_point) {
  return scale * static_cast<float>(static_cast<int32_t>(q) - zero_point);
}

// Every value of T in order (for int8: all 256 values), repeated to `count`.
template <class T>
std::vector<T> sweep_values(size_t count) {
  std::vector<T> values(count);
  const int64_t lo = std::numeric_limits<T>::min();
  const int64_t span = static_cast<int64_t>(std::numeric_limits<T>::max()) - lo + 1;
  for (size_t i = 0; i < count; ++i) values[i] = static_cast<T>(lo + static_cast<int64_t>(i) % span);
  return values;
}

// Deterministic pseudo-random values (the shared LCG), uniform over T's range or over [-1, 1) for float.
template <class T>
std::vector<T> lcg_values(size_t count, uint32_t seed) {
  std::vector<T> values(count);
  uint32_t x = seed;
  for (size_t i = 0; i < count; ++i) {
    x = x * 1664525u + 1013904223u;
    if constexpr (std::is_same_v<T, float>) {
      values[i] = static_cast<float>(x >> 8) / 16777216.0f * 2 - 1;
    } else {
      values[i] = static_cast<T>(static_cast<int32_t>(x) >> (32 - 8 * sizeof(T)));
    }
  }
  return values;
}

}  // namespace edgeinfer::testing
