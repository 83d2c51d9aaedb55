// The interpreter: runs one model in one caller-provided arena, with no heap.
//
// Arena layout, all inside the caller's bytes:
//   [ tensor table | op table | state tensors, aligned constant copies, op data | planned region ]
//   \------------------- persistent, bump-allocated ----------------/ \- activations + scratch -/
// The planned region holds every activation tensor and kernel scratch buffer at offsets chosen by a
// lifetime-aware planner (greedy by size), so buffers whose lifetimes do not overlap share bytes.
//
// arena_used_bytes() after allocate() is exact: an arena of that many bytes (16-byte aligned) runs the model,
// one byte fewer fails with kArenaTooSmall. Note that activation memory is reused: after invoke(), an input
// tensor may have been overwritten by later activations. Set inputs before every invoke().
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {

// Observes op execution (profiling, tracing, capturing intermediate tensors). invoke() calls on_op_begin()
// right before op `op_index`'s eval() and on_op_end() right after it, with eval()'s status, ops in execution
// order. In on_op_end(), interpreter.tensor(t) of the op's outputs holds what it wrote; copy it there, since
// later ops may reuse that memory. Unset (the default), invoke() pays one null test per op. No virtual
// destructor on purpose: freestanding builds must not pull in operator delete.
class OpObserver {
 public:
  virtual void on_op_begin(int op_index) = 0;
  virtual void on_op_end(int op_index, const Status& status) = 0;

 protected:
  ~OpObserver() = default;
};

class Interpreter {
 public:
  static constexpr size_t kArenaAlignment = 16;
  static constexpr int kMaxScratchPerOp = 4;

  Interpreter(const Model& model, const OpResolver& resolver, void* arena, size_t arena_bytes);
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Resolves kernels, prepares every op and plans memory. On kArenaTooSmall, arena_required_bytes() tells
  // the size needed when it could be computed (0 when the arena was too small to even prepare the ops).
  Status allocate();
  Status invoke();
  // Returns every state to its value after allocate(), as TFLM's Reset(): state (variable) tensors to their
  // initial value (zero point for int8, else 0) and kernels' own state through Kernel::reset.
  Status reset_state();

  bool is_allocated() const { return allocated_; }
  size_t arena_used_bytes() const { return allocated_ ? used_bytes_ : 0; }
  size_t arena_required_bytes() const { return required_bytes_; }
  // Bytes of the planned region (activations + scratch) and of the persistent part.
  size_t planned_bytes() const { return planned_bytes_; }
  size_t persistent_bytes() const { return persistent_used_; }

  // After allocate(): ops whose prepare() took a block-sparsity index for their weights (their kernels skip
  // zero blocks), and ops that found one but ignored it because it did not check out (malformed, stale or
  // another block size; they run dense).
  int block_sparse_ops() const { return block_sparse_ops_; }
  int block_sparsity_ignored_ops() const { return block_sparsity_ignored_ops_; }

  int num_inputs() const { return model_.num_inputs(); }
  int num_outputs() const { return model_.num_outputs(); }
  // Valid after allocate().
  Tensor input(int i) const;
  Tensor output(int i) const;
  Tensor tensor(int tensor_index) const;
  const Model& model() const { return model_; }

  // Null removes it. The observer must outlive the invokes it observes.
  void set_observer(OpObserver* observer) { observer_ = observer; }

 private:
  friend class KernelContext;

  static constexpr uint32_t kNoOffset = 0xFFFFFFFFu;

  struct TensorRecord {
    uint32_t offset;   // from the aligned arena start; kNoOffset for (aligned) constants and unused tensors
    int32_t first_op;  // lifetime, inclusive; -1 when not planned
    int32_t last_op;
    uint32_t planned_bytes;  // size rounded up to the arena alignment (planned tensors only)
  };
  struct OpRecord {
    const Kernel* kernel;
    void* op_data;
    uint32_t scratch_bytes[kMaxScratchPerOp];
    uint32_t scratch_offset[kMaxScratchPerOp];
    int32_t num_scratch;
  };

  void* bump_allocate(size_t bytes);
  Status resolve_kernels();
  Status compute_lifetimes();
  Status allocate_state_tensors();
  // Sets a state tensor to its initial value: its zero point for int8 (real 0), otherwise 0, as TFLM does.
  void reset_state_tensor(int tensor_index);
  Status prepare_ops();
  Status plan_memory();
  void* tensor_data(int tensor_index) const;
  Status op_error_prefix(Status status, int op_index) const;

  const Model& model_;
  const OpResolver& resolver_;
  uint8_t* arena_raw_;
  size_t arena_raw_bytes_;
  uint8_t* arena_ = nullptr;  // aligned start
  size_t arena_bytes_ = 0;    // usable bytes from the aligned start
  size_t persistent_used_ = 0;
  size_t persistent_shortfall_ = 0;  // bytes asked beyond the arena during preparation
  size_t planned_bytes_ = 0;
  size_t used_bytes_ = 0;
  size_t required_bytes_ = 0;
  TensorRecord* tensors_ = nullptr;
  OpRecord* ops_ = nullptr;
  int preparing_op_ = -1;
  bool allocated_ = false;
  int block_sparse_ops_ = 0;
  int block_sparsity_ignored_ops_ = 0;
  OpObserver* observer_ = nullptr;
};

}  // namespace edgeinfer
