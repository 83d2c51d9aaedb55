// ModelBuilder: writes .tflite flatbuffers from code. Host-only (C++20, heap and exceptions allowed).
//
// Tests build single-op and small multi-op models with it; tools will use it to write optimized models.
// The output is what TensorFlow Lite's converter writes for the same graph (one subgraph "main", schema
// version 3, identifier "TFL3", buffer 0 the empty sentinel, 16-byte-aligned constant data), so the same
// bytes load in EdgeInfer, TFLM and TensorFlow Lite.
//
//   ModelBuilder b;
//   int in = b.add_tensor(DataType::kFloat32, {1, 4});
//   int w = b.add_constant<float>(DataType::kFloat32, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
//   int out = b.add_tensor(DataType::kFloat32, {1, 2});
//   b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
//            [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
//   b.set_inputs({in});
//   b.set_outputs({out});
//   std::vector<uint8_t> bytes = b.finish();
//
// Mistakes in the description (wrong data size, index out of range, zero point count != scale count, ...)
// throw std::invalid_argument naming the tensor or op. Indices are checked when given, so add tensors before
// the ops and model inputs/outputs that use them. Robustness tests that need malformed models can turn
// these checks off with set_checks(false).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer::compiler {

// Affine quantization of one tensor. Empty scales = not quantized.
struct QuantParams {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;  // same length as scales
  int32_t quantized_dimension = 0;

  static QuantParams per_tensor(float scale, int64_t zero_point);
  // One scale and zero point per slice along `dimension` (e.g. 0 for conv filters, 3 for depthwise).
  static QuantParams per_channel(std::vector<float> scales, std::vector<int64_t> zero_points,
                                 int32_t dimension);
  bool is_quantized() const { return !scales.empty(); }
};

// Builds a BuiltinOptions table in the model's FlatBufferBuilder, e.g.
//   [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); }
using OptionsWriter = std::function<flatbuffers::Offset<void>(flatbuffers::FlatBufferBuilder&)>;

class ModelBuilder {
 public:
  // Activation tensor (no data). Returns the tensor index.
  int add_tensor(DataType type, std::vector<int32_t> shape, QuantParams quant = {}, std::string name = "");

  // Constant tensor with raw little-endian data. `bytes` must equal shape x element size (int4: two
  // elements per byte, rounded up; string/resource/variant: not checked); otherwise std::invalid_argument.
  int add_constant(DataType type, std::vector<int32_t> shape, const void* data, size_t bytes,
                   QuantParams quant = {}, std::string name = "");
  // Same, from typed values: add_constant<int8_t>(DataType::kInt8, {2}, {1, -1}).
  template <class T>
  int add_constant(DataType type, std::vector<int32_t> shape, const std::vector<T>& values,
                   QuantParams quant = {}, std::string name = "") {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>,
                  "values must be plain numbers (use uint8_t for bool tensors)");
    return add_constant(type, std::move(shape), values.data(), values.size() * sizeof(T), std::move(quant),
                        std::move(name));
  }

  // State tensor (is_variable = true, no data), e.g. LSTM/SVDF state.
  int add_variable(DataType type, std::vector<int32_t> shape, QuantParams quant = {}, std::string name = "");

  // An op; `inputs` may contain -1 for omitted optional inputs. `options_type` is the BuiltinOptions union
  // type (NONE when the op has none) and `options_writer` builds the table; a null writer with a type other
  // than NONE writes an empty table (all fields at their defaults). Returns the op index (execution order).
  int add_op(BuiltinOp op, std::vector<int> inputs, std::vector<int> outputs,
             tflite::BuiltinOptions options_type = tflite::BuiltinOptions::NONE,
             OptionsWriter options_writer = nullptr, int version = 1, std::vector<int> intermediates = {});
  // A custom op (builtin code CUSTOM, custom_code = name); `custom_options` are stored as given (FlexBuffers
  // by convention). Returns the op index.
  int add_custom_op(std::string name, std::vector<int> inputs, std::vector<int> outputs,
                    std::vector<uint8_t> custom_options = {}, int version = 1);

  void set_inputs(std::vector<int> tensors);
  void set_outputs(std::vector<int> tensors);
  void set_description(std::string description);
  // The tensor's shape_signature (-1 for dimensions unknown at conversion time), written when not empty.
  void set_shape_signature(int tensor, std::vector<int32_t> signature);
  // A metadata entry (name + its own buffer), e.g. TensorFlow's "min_runtime_version".
  void add_metadata(std::string name, std::vector<uint8_t> data);
  // Off: no argument checks at all (data size, indices, quantization), to write malformed models on purpose.
  void set_checks(bool enabled) { checks_ = enabled; }

  int num_tensors() const { return static_cast<int>(tensors_.size()); }
  int num_ops() const { return static_cast<int>(ops_.size()); }

  // Serializes the model. Operator codes are deduplicated by (code, custom name, version) in order of first
  // use, with deprecated_builtin_code = min(code, 127) and builtin_code = code as TensorFlow Lite's converter
  // writes them. Can be called again after further changes. The vector's storage is not guaranteed to be
  // 16-byte aligned: copy it into aligned memory before Model::from_bytes.
  std::vector<uint8_t> finish() const;

 private:
  struct TensorDesc {
    DataType type = DataType::kFloat32;
    std::vector<int32_t> shape;
    std::vector<int32_t> shape_signature;
    QuantParams quant;
    std::string name;
    bool is_constant = false;
    bool is_variable = false;
    std::vector<uint8_t> data;  // constants only
  };
  struct OpDesc {
    int32_t code;
    std::string custom_name;  // custom ops only
    int version;
    std::vector<int> inputs;
    std::vector<int> outputs;
    std::vector<int> intermediates;
    tflite::BuiltinOptions options_type;
    OptionsWriter options_writer;
    std::vector<uint8_t> custom_options;
  };

  static TensorDesc make_tensor(DataType type, std::vector<int32_t> shape, QuantParams quant,
                                std::string name);
  int add(TensorDesc tensor);
  int add(OpDesc op);
  void check_indices(const char* what, const std::vector<int>& indices, bool allow_omitted) const;

  std::vector<TensorDesc> tensors_;
  std::vector<OpDesc> ops_;
  std::vector<int> inputs_;
  std::vector<int> outputs_;
  std::string description_;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> metadata_;
  bool checks_ = true;
};

}  // namespace edgeinfer::compiler
