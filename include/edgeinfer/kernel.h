// The kernel interface: every op implementation (reference, optimized, accelerator) is a Kernel.
//
// prepare() runs once in Interpreter::allocate(): it validates the op's tensors (types and shapes must be
// consistent, since eval() trusts them), computes constant op data into persistent arena memory and asks for
// scratch buffers. eval() runs on every invoke and must not fail for reasons prepare() could have seen.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace tflite {
struct Operator;
}

namespace edgeinfer {

class Interpreter;
class KernelContext;

struct Kernel {
  const char* name;  // e.g. "reference/conv_2d", shown in profiles and errors
  Status (*prepare)(KernelContext& context);
  Status (*eval)(KernelContext& context);
  // Optional (null: nothing to do). Returns state the kernel keeps in persistent memory (e.g. a framer's
  // buffered samples) to its value after prepare(); called by Interpreter::reset_state().
  Status (*reset)(KernelContext& context) = nullptr;
};

// What a kernel sees of its op. Created by the interpreter for each call; cheap to construct.
class KernelContext {
 public:
  KernelContext(Interpreter* interpreter, int op_index) : interpreter_(interpreter), op_index_(op_index) {}

  int op_index() const { return op_index_; }
  // The op's flatbuffer entry, for its builtin options: `context.op()->builtin_options_as_Conv2DOptions()`
  // (null when the model omits them: use TensorFlow Lite's defaults or fail in prepare).
  const tflite::Operator* op() const;
  int32_t op_version() const;

  int num_inputs() const;
  int num_outputs() const;
  int num_intermediates() const;
  // False when input `i` is absent (beyond the list, or -1: an omitted optional input).
  bool has_input(int i) const;
  Tensor input(int i) const;  // requires has_input(i)
  Tensor output(int i) const;
  Tensor intermediate(int i) const;

  // prepare() only. Zeroed, 16-byte-aligned memory that lives as long as the interpreter; null when the arena
  // is full (return context.arena_full_error() then).
  void* allocate_persistent(size_t bytes);
  Status arena_full_error() const;
  // prepare() only. Asks for `bytes` of scratch memory valid during this op's eval(); the planner overlaps it
  // with tensors not live at this op. `index` identifies it in eval().
  Status request_scratch(size_t bytes, int* index);

  // prepare() only. The block-sparsity bitmap (edgeinfer/block_sparsity.h) of input `i`, a constant int8
  // tensor: rows x block_sparsity_row_bytes(blocks per row) bytes in place in the model, checked against the
  // tensor's values. Null when the model has no index for it, or one that does not check out (ignored: the
  // op runs dense, with the same result; Interpreter::block_sparsity_ignored_ops() counts these).
  const uint8_t* block_sparsity(int i);

  // The op data prepare() stored (usually from allocate_persistent).
  void set_op_data(void* data);
  void* op_data() const;
  template <class T>
  T* op_data_as() const {
    return static_cast<T*>(op_data());
  }

  // eval() only.
  void* scratch(int index) const;

 private:
  Interpreter* interpreter_;
  int op_index_;
};

}  // namespace edgeinfer
