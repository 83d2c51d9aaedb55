// Test helpers of the shape / data-movement kernel tests: run a small model built with ModelBuilder through
// the interpreter with a given set of kernels, and convert typed values to and from raw tensor bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernel.h"
#include "edgeinfer/op_resolver.h"

namespace edgeinfer::testing {

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <class T>
std::vector<T> values_of(const std::vector<uint8_t>& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

struct RunResult {
  Status status;  // of loading, allocation or invoke: the first failure
  std::vector<std::vector<uint8_t>> outputs;
};

using KernelList = std::initializer_list<std::pair<BuiltinOp, const Kernel*>>;

// Loads `model_bytes`, registers `kernels`, allocates, sets the inputs (raw bytes, in input order; each must
// match its tensor's size) and invokes once.
inline RunResult run_model(const std::vector<uint8_t>& model_bytes, KernelList kernels,
                           const std::vector<std::vector<uint8_t>>& inputs) {
  RunResult result;
  host::LoadedModel model;
  result.status = model.load_bytes(model_bytes.data(), model_bytes.size());
  if (!result.status.is_ok()) return result;
  MutableOpResolver<16> resolver;
  for (const auto& [op, kernel] : kernels) {
    result.status = resolver.add(op, *kernel);
    if (!result.status.is_ok()) return result;
  }
  host::HostInterpreter host;
  result.status = host.init(model.model(), resolver);
  if (!result.status.is_ok()) return result;
  Interpreter& interpreter = host.interpreter();
  if (static_cast<int>(inputs.size()) != interpreter.num_inputs()) {
    result.status = Status::error(StatusCode::kInvalidArgument, "test gives %d inputs, model has %d",
                                  static_cast<int>(inputs.size()), interpreter.num_inputs());
    return result;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor input = interpreter.input(static_cast<int>(i));
    if (input.bytes != inputs[i].size()) {
      result.status = Status::error(StatusCode::kInvalidArgument, "input %d has %lu bytes, test gives %lu",
                                    static_cast<int>(i), static_cast<unsigned long>(input.bytes),
                                    static_cast<unsigned long>(inputs[i].size()));
      return result;
    }
    if (!inputs[i].empty()) std::memcpy(input.data, inputs[i].data(), inputs[i].size());
  }
  result.status = interpreter.invoke();
  if (!result.status.is_ok()) return result;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor output = interpreter.output(i);
    const uint8_t* data = static_cast<const uint8_t*>(output.data);
    result.outputs.emplace_back(data, data + output.bytes);
  }
  return result;
}

// Expects `result` to have failed in allocation/invoke with `code` and a message containing `text`.
inline void expect_error(const RunResult& result, StatusCode code, const char* text) {
  EXPECT_EQ(result.status.code(), code) << result.status.message();
  EXPECT_NE(std::strstr(result.status.message(), text), nullptr)
      << "message \"" << result.status.message() << "\" lacks \"" << text << "\"";
}

}  // namespace edgeinfer::testing
