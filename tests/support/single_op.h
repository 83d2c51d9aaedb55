// The helpers every kernel test uses (host only, C++20): single-op models built from tensor specs, running a
// model through the interpreter with chosen kernels (once, or kept allocated across invokes), typed values to
// and from raw tensor bytes, shapes, quantization of test values, and random or deterministic test data.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernel.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"
#include "kernels/common/strided_copy.h"

namespace edgeinfer::testing {

// ---- Values, bytes and shapes ----

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <class T>
std::vector<T> values_of(const void* data, size_t bytes) {
  std::vector<T> values(bytes / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), data, values.size() * sizeof(T));
  return values;
}

template <class T>
std::vector<T> values_of(const std::vector<uint8_t>& bytes) {
  return values_of<T>(bytes.data(), bytes.size());
}

Shape make_shape(const std::vector<int32_t>& dims);

int64_t element_count(const std::vector<int32_t>& shape);

// The index of `input` read at position `flat` of `output` by NumPy's broadcasting rule (the definition,
// no merged dimensions).
int64_t broadcast_index(const Shape& input, const Shape& output, int64_t flat);

// 0, 1, 2, ... in the shape `input`, copied by the strided-copy plan that `make_plan(input, &output, &plan)`
// makes (the pure planning functions of SLICE, STRIDED_SLICE, TRANSPOSE). Expects the plan to succeed with
// an output of shape `expected_shape` that it copies within bounds.
template <class MakePlan>
std::vector<int32_t> copy_iota(const Shape& input, MakePlan make_plan,
                               const std::vector<int32_t>& expected_shape) {
  std::vector<int32_t> in(static_cast<size_t>(input.num_elements()));
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int32_t>(i);
  Shape output;
  StridedCopy plan;
  const Status status = make_plan(input, &output, &plan);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return {};
  EXPECT_EQ(output, make_shape(expected_shape));
  EXPECT_TRUE(strided_copy_in_bounds(plan, input.num_elements(), output.num_elements()));
  std::vector<int32_t> out(static_cast<size_t>(output.num_elements()), -1);
  strided_copy(plan, sizeof(int32_t), in.data(), out.data());
  return out;
}

// ---- Models ----

struct TensorSpec {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  compiler::QuantParams quant = {};
};

// A model with one op: `inputs` are its graph inputs (in order), `output` its only output.
std::vector<uint8_t> single_op_model(BuiltinOp op, const std::vector<TensorSpec>& inputs,
                                     const TensorSpec& output,
                                     tflite::BuiltinOptions options_type = tflite::BuiltinOptions::NONE,
                                     compiler::OptionsWriter writer = nullptr, int version = 1);

// ---- Running ----

// The kernels a test registers, e.g. {{BuiltinOp::kAdd, &reference::add()}}.
using KernelList = std::vector<std::pair<BuiltinOp, const Kernel*>>;

// A model loaded, allocated once over exactly the arena it needs, and invoked as often as the test wants
// (state tensors persist across invokes).
class ModelSession {
 public:
  // Loads `model_bytes` (or the file `path`), registers `kernels` and allocates (every op's prepare()).
  Status open(const std::vector<uint8_t>& model_bytes, const KernelList& kernels);
  Status open_file(const std::string& path, const KernelList& kernels);
  // The same with the kernels of `resolver`, which must outlive the session (e.g. an AllOpsResolver).
  Status open_file(const std::string& path, const OpResolver& resolver);

  Interpreter& interpreter() { return host_.interpreter(); }
  Status invoke() { return interpreter().invoke(); }

  template <class T>
  void set_input(int i, const std::vector<T>& values) {
    const Tensor input = interpreter().input(i);
    ASSERT_EQ(input.bytes, values.size() * sizeof(T)) << "input " << i;
    if (!values.empty()) std::memcpy(input.data, values.data(), input.bytes);
  }
  template <class T>
  std::vector<T> output(int i) {
    const Tensor output = interpreter().output(i);
    return values_of<T>(output.data, output.bytes);
  }
  // The tensor with index `index` in the model (e.g. a state tensor).
  template <class T>
  std::vector<T> tensor(int index) {
    const Tensor tensor = interpreter().tensor(index);
    return values_of<T>(tensor.data, tensor.bytes);
  }

 private:
  Status register_kernels(const KernelList& kernels);

  host::LoadedModel model_;
  MutableOpResolver<16> resolver_;
  host::HostInterpreter host_;
};

// The status of loading and allocating `model_bytes` with `kernels` (for prepare() failure tests).
Status allocate_status(const std::vector<uint8_t>& model_bytes, const KernelList& kernels);

struct RunResult {
  Status status;  // of loading, allocation or invoke: the first failure
  std::vector<std::vector<uint8_t>> outputs;
};

// Loads `model_bytes`, registers `kernels`, allocates, sets the inputs (raw bytes, in input order; each must
// match its tensor's size) and invokes once.
RunResult run_model(const std::vector<uint8_t>& model_bytes, const KernelList& kernels,
                    const std::vector<std::vector<uint8_t>>& inputs);

// run_model() on one input holding `input`'s values, expecting success: the first output's values (none on
// failure).
template <class Out, class In>
std::vector<Out> run_values(const std::vector<uint8_t>& model_bytes, const KernelList& kernels,
                            const std::vector<In>& input) {
  const RunResult result = run_model(model_bytes, kernels, {bytes_of(input)});
  EXPECT_TRUE(result.status.is_ok()) << result.status.message();
  return result.status.is_ok() ? values_of<Out>(result.outputs[0]) : std::vector<Out>{};
}

// run_values() of a single_op_model() of `op` with one input (`in`, holding `input`'s values) and `kernel`.
template <class Out, class In = Out>
std::vector<Out> run_single_op(BuiltinOp op, const Kernel& kernel, const TensorSpec& in,
                               const TensorSpec& out, const std::vector<In>& input,
                               tflite::BuiltinOptions options_type = tflite::BuiltinOptions::NONE,
                               compiler::OptionsWriter writer = nullptr) {
  return run_values<Out>(single_op_model(op, {in}, out, options_type, std::move(writer)), {{op, &kernel}},
                         input);
}

// Expects `status` (or `result`'s) to be a failure with `code` and a message containing `text`.
void expect_error(const Status& status, StatusCode code, const char* text);
void expect_error(const RunResult& result, StatusCode code, const char* text);

// ---- TFLM's SEANet int16 conformance suite (../shared/conformance/seanet/OP/) ----

// Runs case `stem` of the suite's folder `dir` (model STEM.tflite, inputs STEM_input<i>_<type>.csv, output
// STEM_golden_<type>.csv) with `kernels` (or the kernels of `resolver`): every output
// value must equal the golden one.
void expect_seanet_case(const std::filesystem::path& dir, const std::string& stem, const KernelList& kernels);
void expect_seanet_case(const std::filesystem::path& dir, const std::string& stem,
                        const OpResolver& resolver);

// expect_seanet_case() for each case NAME0, NAME1, ... of `dir`, up to the first missing one; returns how
// many there were.
int expect_seanet_cases(const std::filesystem::path& dir, const std::string& name, const KernelList& kernels);

// ---- Quantization of test values ----

// The ideal quantized value of `real`: round(real / scale) half away from zero, plus `zero_point`, clamped to
// [min, max]; in double.
int64_t ideal_quantized(double real, double scale, int64_t zero_point, int64_t min, int64_t max);

// ideal_quantized() of each value, clamped to T's range (the scale divides in double).
template <class T>
std::vector<T> quantize_values(const std::vector<float>& values, float scale, int32_t zero_point) {
  std::vector<T> out;
  out.reserve(values.size());
  for (float v : values) {
    out.push_back(static_cast<T>(
        ideal_quantized(v, scale, zero_point, std::numeric_limits<T>::min(), std::numeric_limits<T>::max())));
  }
  return out;
}

// TensorFlow Lite's Quantize of one value: the division in float, then rounded and clamped to T's range.
template <class T>
T quantize_value(float x, float scale, int32_t zero_point) {
  return static_cast<T>(ideal_quantized(x / scale, 1.0, zero_point, std::numeric_limits<T>::min(),
                                        std::numeric_limits<T>::max()));
}

template <class T>
float dequantize_value(T q, float scale, int32_t zero_point) {
  return scale * static_cast<float>(static_cast<int32_t>(q) - zero_point);
}

template <class T>
std::vector<float> dequantize_values(const std::vector<T>& values, float scale, int32_t zero_point) {
  std::vector<float> out;
  out.reserve(values.size());
  for (T v : values) out.push_back(dequantize_value(v, scale, zero_point));
  return out;
}

// The largest magnitude among `values` (0 for none).
float max_abs(const std::vector<float>& values);

// ---- Test data ----

// Uniform random integers in [low, high] and floats in [low, high).
template <class T>
std::vector<T> random_ints(std::mt19937& rng, int64_t count, int64_t low, int64_t high) {
  std::uniform_int_distribution<int64_t> dist(low, high);
  std::vector<T> values(count);
  for (T& v : values) v = static_cast<T>(dist(rng));
  return values;
}
std::vector<float> random_floats(std::mt19937& rng, int64_t count, float low, float high);
inline float random_float(std::mt19937& rng, float low, float high) {
  return std::uniform_real_distribution<float>(low, high)(rng);
}

// Deterministic values of the shared LCG (edgeinfer/lcg.h): floats uniform in [low, high) ...
std::vector<float> lcg_floats(size_t count, float low, float high, uint32_t seed);

// ... and values of T as `--fill lcg:SEED` makes them: uniform over T's range, or over [-1, 1) for float.
template <class T>
std::vector<T> lcg_values(size_t count, uint32_t seed) {
  if constexpr (std::is_same_v<T, float>) {
    return lcg_floats(count, -1.0f, 1.0f, seed);
  } else {
    std::vector<T> values(count);
    uint32_t x = seed;
    for (T& v : values) {
      x = lcg_next(x);
      v = static_cast<T>(static_cast<int32_t>(x) >> (32 - 8 * sizeof(T)));
    }
    return values;
  }
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

}  // namespace edgeinfer::testing
