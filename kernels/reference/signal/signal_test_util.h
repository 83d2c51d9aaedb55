// Test helpers (host only) for the Signal kernels of this directory: FlexBuffers custom options, models with
// one custom op, a session that keeps such a model allocated across invokes, and extraction of one op of a
// real model together with TFLM's golden tensors for its inputs and outputs.
#pragma once

#include <flatbuffers/flexbuffers.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernel.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing::signal_test {

// A FlexBuffers map built by `body(builder)`, e.g. options([](auto& b) { b.Int("fft_length", 64); }).
template <class Body>
std::vector<uint8_t> options(Body body) {
  flexbuffers::Builder builder;
  builder.Map([&] { body(builder); });
  builder.Finish();
  return builder.GetBuffer();
}

// One tensor of a custom op: a graph input/output (no data) or a constant.
struct OpTensor {
  DataType type = DataType::kInt16;
  std::vector<int32_t> shape;
  std::vector<uint8_t> data;
  bool constant = false;
};

inline OpTensor tensor(DataType type, std::vector<int32_t> shape) {
  return {type, std::move(shape), {}, false};
}

template <class T>
OpTensor constant(DataType type, std::vector<int32_t> shape, const std::vector<T>& values) {
  return {type, std::move(shape), bytes_of(values), true};
}

// A model running custom op `name` once: its non-constant inputs are the graph inputs (in order), its
// outputs the graph outputs.
inline std::vector<uint8_t> custom_op_model(const std::string& name, const std::vector<OpTensor>& inputs,
                                            const std::vector<OpTensor>& outputs,
                                            const std::vector<uint8_t>& custom_options) {
  compiler::ModelBuilder builder;
  std::vector<int> in;
  std::vector<int> graph_inputs;
  for (const OpTensor& t : inputs) {
    if (t.constant) {
      in.push_back(builder.add_constant(t.type, t.shape, t.data.data(), t.data.size()));
    } else {
      in.push_back(builder.add_tensor(t.type, t.shape));
      graph_inputs.push_back(in.back());
    }
  }
  std::vector<int> out;
  for (const OpTensor& t : outputs) out.push_back(builder.add_tensor(t.type, t.shape));
  builder.add_custom_op(name, in, out, custom_options);
  builder.set_inputs(graph_inputs);
  builder.set_outputs(out);
  return builder.finish();
}

// A model loaded and allocated once with the given custom kernels (names must outlive the session, e.g.
// string literals), invoked as often as a test wants.
class Session {
 public:
  Status open(const std::vector<uint8_t>& model_bytes,
              const std::vector<std::pair<const char*, const Kernel*>>& kernels) {
    EI_RETURN_IF_ERROR(model_.load_bytes(model_bytes.data(), model_bytes.size()));
    for (const auto& [name, kernel] : kernels) EI_RETURN_IF_ERROR(resolver_.add_custom(name, *kernel));
    return host_.init(model_.model(), resolver_);
  }
  Status open(const std::vector<uint8_t>& model_bytes, const char* name, const Kernel& kernel) {
    return open(model_bytes, {{name, &kernel}});
  }

  Interpreter& interpreter() { return host_.interpreter(); }
  Status invoke() { return interpreter().invoke(); }

  template <class T>
  void set_input(int i, const std::vector<T>& values) {
    set_input_bytes(i, bytes_of(values));
  }
  void set_input_bytes(int i, const std::vector<uint8_t>& bytes) {
    const Tensor input = interpreter().input(i);
    ASSERT_EQ(input.bytes, bytes.size()) << "input " << i;
    if (!bytes.empty()) std::memcpy(input.data, bytes.data(), bytes.size());
  }
  template <class T>
  std::vector<T> output(int i) {
    const Tensor output = interpreter().output(i);
    return values_of<T>(output.data, output.bytes);
  }
  std::vector<uint8_t> output_bytes(int i) { return output<uint8_t>(i); }

 private:
  host::LoadedModel model_;
  MutableOpResolver<8> resolver_;
  host::HostInterpreter host_;
};

// The status of loading and allocating a model of custom op `name` run by `kernel` (for prepare() errors).
inline Status allocate_status(const std::vector<uint8_t>& model_bytes, const char* name,
                              const Kernel& kernel) {
  Session session;
  return session.open(model_bytes, name, kernel);
}

// Loads, allocates, sets the inputs and invokes once; the outputs' bytes (empty on failure, with a test
// failure).
inline std::vector<std::vector<uint8_t>> run_once(const std::vector<uint8_t>& model_bytes, const char* name,
                                                  const Kernel& kernel,
                                                  const std::vector<std::vector<uint8_t>>& inputs) {
  Session session;
  const Status status = session.open(model_bytes, name, kernel);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return {};
  for (size_t i = 0; i < inputs.size(); ++i) session.set_input_bytes(static_cast<int>(i), inputs[i]);
  const Status invoked = session.invoke();
  EXPECT_TRUE(invoked.is_ok()) << invoked.message();
  std::vector<std::vector<uint8_t>> outputs;
  for (int i = 0; i < session.interpreter().num_outputs(); ++i) outputs.push_back(session.output_bytes(i));
  return outputs;
}

// One op of a real model as a model of its own (same tensors, constants and custom options), with TFLM's
// golden tensors (`golden_dir`/tNNN.bin) for its non-constant inputs and its outputs.
struct GoldenOp {
  std::string name;  // the custom op's name
  std::vector<uint8_t> model;
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<int> output_tensors;  // indices in the original model, for messages
};

inline std::vector<uint8_t> golden_tensor(const std::filesystem::path& golden_dir, int index) {
  char file[16];
  std::snprintf(file, sizeof(file), "t%03d.bin", index);
  return read_bytes(golden_dir / file);
}

inline GoldenOp golden_op(const host::LoadedModel& source, const std::filesystem::path& golden_dir,
                          int op_index) {
  const Model& model = source.model();
  const tflite::Operator* op = model.op(op_index);
  GoldenOp result;
  result.name = model.op_name(op_index);
  std::vector<OpTensor> inputs;
  for (int32_t index : *op->inputs()) {
    const Tensor t = model.tensor(index);
    OpTensor spec{t.type, std::vector<int32_t>(t.shape.dims, t.shape.dims + t.shape.rank), {}, t.is_constant};
    if (t.is_constant) {
      const auto* data = static_cast<const uint8_t*>(t.data);
      spec.data.assign(data, data + model.tensor_bytes(index));
    } else {
      result.inputs.push_back(golden_tensor(golden_dir, index));
    }
    inputs.push_back(std::move(spec));
  }
  std::vector<OpTensor> outputs;
  for (int32_t index : *op->outputs()) {
    const Tensor t = model.tensor(index);
    outputs.push_back({t.type, std::vector<int32_t>(t.shape.dims, t.shape.dims + t.shape.rank), {}, false});
    result.outputs.push_back(golden_tensor(golden_dir, index));
    result.output_tensors.push_back(index);
  }
  std::vector<uint8_t> custom_options;
  if (op->custom_options() != nullptr) {
    custom_options.assign(op->custom_options()->begin(), op->custom_options()->end());
  }
  result.model = custom_op_model(result.name, inputs, outputs, custom_options);
  return result;
}

// Runs every op named `name` of shared model `stem` (models/tflm/STEM.tflite) with `kernel` on TFLM's golden
// inputs and expects its outputs byte for byte; returns how many ops it checked.
inline int expect_golden_ops(const std::filesystem::path& shared, const std::string& stem, const char* name,
                             const Kernel& kernel) {
  const std::filesystem::path model_path = shared / "models" / "tflm" / (stem + ".tflite");
  const std::filesystem::path golden_dir = shared / "golden" / "tflm-tensors" / (stem + ".seed12345");
  host::LoadedModel source;
  const Status loaded = source.load_file(model_path.string());
  EXPECT_TRUE(loaded.is_ok()) << loaded.message();
  if (!loaded.is_ok()) return 0;
  int checked = 0;
  for (int o = 0; o < source.model().num_ops(); ++o) {
    const char* op_name = source.model().op_custom_name(o);
    if (op_name == nullptr || std::strcmp(op_name, name) != 0) continue;
    const GoldenOp golden = golden_op(source, golden_dir, o);
    const auto outputs = run_once(golden.model, name, kernel, golden.inputs);
    EXPECT_EQ(outputs.size(), golden.outputs.size()) << stem << " op " << o;
    for (size_t i = 0; i < outputs.size() && i < golden.outputs.size(); ++i) {
      EXPECT_EQ(outputs[i], golden.outputs[i])
          << stem << " op " << o << " (" << name << ") output tensor " << golden.output_tensors[i];
    }
    ++checked;
  }
  return checked;
}

// FNV-1a (64-bit) of bytes: compact fingerprints of long outputs computed by TFLM's own code.
inline uint64_t fnv1a(const void* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 0x100000001b3ull;
  return hash;
}

}  // namespace edgeinfer::testing::signal_test
