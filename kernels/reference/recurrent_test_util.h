// Test helpers of the recurrent kernel tests (SVDF, LSTM): a model kept allocated across several invokes
// (state tensors persist), quantization of test values, and the real models' golden comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernel.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/ops.h"

namespace edgeinfer::testing {

// A model loaded, allocated once and invoked as often as the test wants.
class RecurrentSession {
 public:
  Status open(const std::vector<uint8_t>& model_bytes, BuiltinOp op, const Kernel& kernel) {
    EI_RETURN_IF_ERROR(model_.load_bytes(model_bytes.data(), model_bytes.size()));
    EI_RETURN_IF_ERROR(resolver_.add(op, kernel));
    return host_.init(model_.model(), resolver_);
  }
  Interpreter& interpreter() { return host_.interpreter(); }

  template <class T>
  void set_input(int i, const std::vector<T>& values) {
    const Tensor input = interpreter().input(i);
    ASSERT_EQ(input.bytes, values.size() * sizeof(T));
    std::memcpy(input.data, values.data(), input.bytes);
  }
  template <class T>
  std::vector<T> output(int i) {
    return tensor_values<T>(interpreter().output(i));
  }
  template <class T>
  std::vector<T> tensor(int index) {
    return tensor_values<T>(interpreter().tensor(index));
  }

 private:
  template <class T>
  static std::vector<T> tensor_values(const Tensor& tensor) {
    std::vector<T> values(tensor.bytes / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), tensor.data, values.size() * sizeof(T));
    return values;
  }

  host::LoadedModel model_;
  MutableOpResolver<4> resolver_;
  host::HostInterpreter host_;
};

// Round half away from zero and saturate, as TensorFlow Lite's quantizer.
template <class T>
std::vector<T> quantize_values(const std::vector<float>& values, float scale, int32_t zero_point) {
  std::vector<T> out;
  out.reserve(values.size());
  for (float v : values) {
    const double q = std::round(static_cast<double>(v) / scale) + zero_point;
    const double lo = static_cast<double>(std::numeric_limits<T>::min());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    out.push_back(static_cast<T>(q < lo ? lo : (q > hi ? hi : q)));
  }
  return out;
}

template <class T>
std::vector<float> dequantize_values(const std::vector<T>& values, float scale, int32_t zero_point) {
  std::vector<float> out;
  out.reserve(values.size());
  for (T v : values) out.push_back(scale * static_cast<float>(static_cast<int32_t>(v) - zero_point));
  return out;
}

// Deterministic pseudo-random floats in [lo, hi).
inline std::vector<float> random_floats(size_t count, float lo, float hi, uint32_t seed) {
  std::vector<float> out(count);
  uint32_t x = seed;
  for (float& v : out) {
    x = x * 1664525u + 1013904223u;
    v = lo + (hi - lo) * static_cast<float>(x >> 8) / 16777216.0f;
  }
  return out;
}

inline float max_abs(const std::vector<float>& values) {
  float m = 0.0f;
  for (float v : values) m = std::fmax(m, std::fabs(v));
  return m;
}

}  // namespace edgeinfer::testing
