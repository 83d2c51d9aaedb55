// Test helpers of the convolution family (host only, C++20): running single-op models built with
// ModelBuilder through the interpreter, random data, and the float-reference comparison of quantized
// outputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/op_resolver.h"

namespace edgeinfer::conv_test {

using compiler::ModelBuilder;
using compiler::QuantParams;

// The four kernels of the family, registered as an application would.
class ConvResolver : public MutableOpResolver<4> {
 public:
  ConvResolver() {
    add(BuiltinOp::kConv2D, reference::conv_2d());
    add(BuiltinOp::kDepthwiseConv2D, reference::depthwise_conv_2d());
    add(BuiltinOp::kTransposeConv, reference::transpose_conv());
    add(BuiltinOp::kFullyConnected, reference::fully_connected());
  }
};

// Loads model bytes and allocates an interpreter over exactly the arena it needs.
class OpRunner {
 public:
  Status load(const std::vector<uint8_t>& bytes) {
    EI_RETURN_IF_ERROR(model_.load_bytes(bytes.data(), bytes.size()));
    return host_.init(model_.model(), resolver_);
  }
  Status load_file(const std::string& path) {
    EI_RETURN_IF_ERROR(model_.load_file(path));
    return host_.init(model_.model(), resolver_);
  }
  Interpreter& interpreter() { return host_.interpreter(); }

  template <class T>
  void set_input(int i, const std::vector<T>& values) {
    const Tensor tensor = interpreter().input(i);
    ASSERT_EQ(tensor.bytes, values.size() * sizeof(T)) << "input " << i;
    std::memcpy(tensor.data, values.data(), tensor.bytes);
  }
  template <class T>
  std::vector<T> output(int i) {
    const Tensor tensor = interpreter().output(i);
    std::vector<T> values(tensor.bytes / sizeof(T));
    std::memcpy(values.data(), tensor.data, values.size() * sizeof(T));
    return values;
  }
  Status invoke() { return interpreter().invoke(); }

 private:
  ConvResolver resolver_;
  host::LoadedModel model_;
  host::HostInterpreter host_;
};

// Loads and returns the status of allocate() (for prepare() failure tests).
inline Status allocate_status_bytes(const std::vector<uint8_t>& bytes) {
  OpRunner runner;
  return runner.load(bytes);
}
inline Status allocate_status(const ModelBuilder& builder) {
  return allocate_status_bytes(builder.finish());
}

// Expects allocate() to fail with `code` and a message containing `fragment`.
inline void expect_error(const ModelBuilder& builder, StatusCode code, const char* fragment) {
  const Status status = allocate_status(builder);
  EXPECT_EQ(status.code(), code) << status.message();
  EXPECT_NE(std::string(status.message()).find(fragment), std::string::npos) << status.message();
}

template <class T>
std::vector<T> random_ints(std::mt19937& rng, size_t count, int64_t low, int64_t high) {
  std::uniform_int_distribution<int64_t> dist(low, high);
  std::vector<T> values(count);
  for (auto& v : values) v = static_cast<T>(dist(rng));
  return values;
}

inline std::vector<float> random_floats(std::mt19937& rng, size_t count, float low, float high) {
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (auto& v : values) v = dist(rng);
  return values;
}

inline float random_scale(std::mt19937& rng, float low, float high) {
  return std::uniform_real_distribution<float>(low, high)(rng);
}

// What an ideal quantized kernel outputs for the exact real result `real`: round(real / scale) + zero_point,
// clamped. TensorFlow Lite's fixed-point requantization differs from it by at most one step: its multiplier
// is exact to 2^-31 relative and it rounds twice (once in the doubling high multiply, once in the shift).
inline int32_t ideal_quantized(double real, float scale, int32_t zero_point, int32_t min, int32_t max) {
  const double q = std::round(real / static_cast<double>(scale)) + zero_point;
  return static_cast<int32_t>(q < min ? min : (q > max ? max : q));
}

// Clamp limits of a fused activation on a quantized output, computed here independently of quant_math.
inline void quantized_limits(int activation, float scale, int32_t zero_point, int32_t type_min,
                             int32_t type_max, int32_t* min, int32_t* max) {
  auto q = [&](double real) { return zero_point + static_cast<int32_t>(std::round(real / scale)); };
  *min = type_min;
  *max = type_max;
  if (activation == 1 || activation == 3) *min = std::max(type_min, q(0.0));
  if (activation == 3) *max = std::min(type_max, q(6.0));
  if (activation == 2) {
    *min = std::max(type_min, q(-1.0));
    *max = std::min(type_max, q(1.0));
  }
}

inline double float_activation(int activation, double x) {
  if (activation == 1) return x < 0 ? 0 : x;
  if (activation == 3) return x < 0 ? 0 : (x > 6 ? 6 : x);
  if (activation == 2) return x < -1 ? -1 : (x > 1 ? 1 : x);
  return x;
}

// Counts elements of `got` differing from `want` by more than `tolerance`; reports the first few.
template <class T>
int count_mismatches(const std::vector<T>& got, const std::vector<int32_t>& want, int tolerance,
                     const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (std::abs(static_cast<int32_t>(got[i]) - want[i]) > tolerance) {
      if (++bad <= 5) ADD_FAILURE() << what << ": element " << i << " is " << +got[i] << ", want " << want[i];
    }
  }
  return bad;
}

}  // namespace edgeinfer::conv_test
