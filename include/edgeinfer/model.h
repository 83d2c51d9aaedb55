// A verified, zero-copy view of a .tflite model.
//
// Model::from_bytes() checks untrusted bytes before anything uses them: the flatbuffer verifier first, then
// the meaning (indices in range, constant sizes match shape x type, no size overflow, known schema version).
// After it succeeds every accessor below is safe. The bytes are not copied: they must outlive the Model and
// start at a 16-byte-aligned address (flatbuffers aligns constant data relative to the buffer start).
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace tflite {
struct Model;
struct SubGraph;
struct Operator;
struct Tensor;
}  // namespace tflite

namespace edgeinfer {

class Model {
 public:
  static constexpr size_t kRequiredAlignment = 16;

  Model() = default;
  static Status from_bytes(const void* data, size_t size, Model* model);

  bool is_valid() const { return model_ != nullptr; }
  const tflite::Model* flatbuffer() const { return model_; }
  const tflite::SubGraph* subgraph() const { return subgraph_; }
  const uint8_t* bytes() const { return bytes_; }
  size_t size() const { return size_; }

  int num_tensors() const;
  int num_ops() const;
  int num_inputs() const;
  int num_outputs() const;
  int input_tensor_index(int i) const;
  int output_tensor_index(int i) const;

  const tflite::Operator* op(int op_index) const;
  // BuiltinOperator code of an op (kCustom for custom ops).
  int32_t op_code(int op_index) const;
  int32_t op_version(int op_index) const;
  // Custom op name, or null for builtin ops.
  const char* op_custom_name(int op_index) const;
  // "CONV_2D", or the custom op's name.
  const char* op_name(int op_index) const;

  // The tensor's metadata; `data` is the constant data for constant tensors and null otherwise.
  Tensor tensor(int tensor_index) const;
  // Bytes of the tensor's dense data (shape x element size).
  size_t tensor_bytes(int tensor_index) const;
  bool tensor_is_constant(int tensor_index) const;
  bool tensor_is_variable(int tensor_index) const;
  // True when constant data does not start at a multiple of its element size (some converters write int64
  // biases 4 bytes off); the interpreter gives kernels an aligned copy.
  bool tensor_is_misaligned_constant(int tensor_index) const;

  // The bytes of the first metadata entry called `name`, in place in the model's bytes; false when there is
  // none, or its buffer is out of range, outside the model or empty (metadata is optional: TFLM ignores it).
  bool metadata(const char* name, const uint8_t** data, size_t* size) const;

 private:
  Status verify_semantics();
  Status verify_tensor(int index);
  Status verify_op(int index);
  const uint8_t* constant_data(int tensor_index, size_t* bytes) const;
  // The data of buffer `buffer_index` (< buffers()->size()); null when empty, and then *bytes is SIZE_MAX
  // when the buffer lies outside the model's bytes.
  const uint8_t* buffer_data(uint32_t buffer_index, size_t* bytes) const;

  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  const tflite::Model* model_ = nullptr;
  const tflite::SubGraph* subgraph_ = nullptr;
};

}  // namespace edgeinfer
