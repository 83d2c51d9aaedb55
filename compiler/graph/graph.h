// Graph: an editable in-memory .tflite model for the optimizer. Host-only (C++20).
//
// Graph::read() takes any model the runtime loads (it runs Model::from_bytes first, so the same checks
// apply) and copies it into plain vectors: tensors with their data and quantization, ops in execution order
// with their options in flatc's object API (tflite_ir::BuiltinOptionsUnion, editable in place). Passes
// insert and remove ops and tensors, replace constants and change types and quantization; write() serializes
// through ModelBuilder, so the result is laid out as TensorFlow Lite's converter writes models. A read/write
// round trip keeps every op, tensor, option, custom option, description and metadata entry; what the
// runtime's schema subset does not declare (signature defs, sparsity, options of ops it does not know) is
// not kept.
//
// Errors (malformed model, out-of-range indices, inconsistent edits) throw std::invalid_argument with a
// one-line message.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_ir_generated.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer::compiler {

struct GraphTensor {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  std::vector<int32_t> shape_signature;  // empty: none written
  QuantParams quant;
  std::string name;
  bool is_constant = false;
  bool is_variable = false;
  std::vector<uint8_t> data;  // constants only: raw little-endian bytes

  int64_t num_elements() const;
  // Constant data as T (sizeof(T) must match the element size); throws when not a constant of that size.
  template <class T>
  std::vector<T> values() const {
    static_assert(std::is_trivially_copyable_v<T>);
    check_values_access(sizeof(T));
    std::vector<T> out(data.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), data.data(), data.size());
    return out;
  }
  // Replaces the data (and type) of a constant.
  template <class T>
  void set_values(DataType new_type, const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    type = new_type;
    is_constant = true;
    data.resize(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(data.data(), v.data(), data.size());
  }
  // Float values of a constant: float32 as is, float16 widened, quantized int8/int16/int32/uint8 dequantized
  // with their (per-tensor or per-channel) parameters. Throws for other types.
  std::vector<float> float_values() const;

 private:
  void check_values_access(size_t element_size) const;
};

struct GraphOp {
  int32_t code = 0;         // TensorFlow Lite BuiltinOperator value (BuiltinOp)
  std::string custom_name;  // custom ops only
  int version = 1;
  std::vector<int> inputs;  // -1: omitted optional input
  std::vector<int> outputs;
  std::vector<int> intermediates;
  tflite_ir::BuiltinOptionsUnion options;  // type NONE when the op has none
  std::vector<uint8_t> custom_options;

  BuiltinOp op() const { return static_cast<BuiltinOp>(code); }
  bool is(BuiltinOp o) const { return code == static_cast<int32_t>(o); }
  // "CONV_2D" or the custom op's name.
  std::string name() const;
  // The fused activation of ops whose options have one (NONE otherwise / when absent).
  tflite_ir::ActivationFunctionType fused_activation() const;
  // Sets the fused activation; false when the op's options have no such field.
  bool set_fused_activation(tflite_ir::ActivationFunctionType activation);
};

class Graph {
 public:
  // Reads a .tflite model (checked as the runtime checks it). Throws std::invalid_argument on errors.
  static Graph read(std::span<const uint8_t> bytes);
  // Serializes the graph (one subgraph "main", schema version 3). Throws std::invalid_argument when the
  // graph is inconsistent (indices out of range, data size not matching a constant's shape, ...).
  std::vector<uint8_t> write() const;

  std::vector<GraphTensor> tensors;
  std::vector<GraphOp> ops;  // execution order
  std::vector<int> inputs;
  std::vector<int> outputs;
  std::string description;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> metadata;

  int add_tensor(GraphTensor tensor);
  // Inserts `op` before position `position` (default: at the end). Returns its index.
  int insert_op(GraphOp op, int position = -1);
  void remove_op(int index);

  // The op writing `tensor`, or -1 (graph input, constant, state).
  int producer(int tensor) const;
  // Ops reading `tensor` as an input, in execution order.
  std::vector<int> consumers(int tensor) const;
  bool is_graph_output(int tensor) const;
  bool is_graph_input(int tensor) const;
  // Every op input and graph output that reads `from` reads `to` instead.
  void replace_uses(int from, int to);
  // Removes tensors no op, graph input or graph output refers to, renumbering the rest (order kept).
  void remove_unused_tensors();
  // Checks every index and that each op input is written before it is read; throws naming the first problem.
  void validate() const;

  GraphTensor& tensor(int index);
  const GraphTensor& tensor(int index) const;
};

}  // namespace edgeinfer::compiler
