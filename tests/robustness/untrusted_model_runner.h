// Runs untrusted model bytes the way an application would, but bounded so that a malformed model cannot make
// the harness itself slow or huge: verify, allocate in an arena of at most `max_arena_bytes`, fill the inputs
// with the LCG generator and invoke when the caller accepts the model's estimated work. Shared by the
// robustness tests and the libFuzzer target (header-only: both are built from different CMake directories).
//
// Model bytes live in heap memory of exactly their size at a 16-byte-aligned address (posix_memalign):
// host::AlignedBuffer rounds allocations up to 16 bytes, which would hide reads up to 15 bytes past the end
// of the model from AddressSanitizer. Arenas end exactly where their allocation ends, for the same reason.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>

#include "edgeinfer/interpreter.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "edgeinfer/status.h"

namespace edgeinfer::robustness {

// Heap bytes of exactly `size` (at least 1 allocated) starting at a 16-byte-aligned address.
class ExactBuffer {
 public:
  explicit ExactBuffer(size_t size) : size_(size) {
    void* memory = nullptr;
    if (posix_memalign(&memory, 16, size == 0 ? 1 : size) != 0) memory = nullptr;
    data_.reset(static_cast<uint8_t*>(memory));
  }
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_;
};

// Arenas carved from one reusable allocation so that thousands of cases do not each pay for fresh pages, yet
// placed at the END of that allocation: a write past the arena still lands in AddressSanitizer's redzone.
class ArenaPool {
 public:
  // An arena of `bytes` (rounded up to 16) ending where the allocation ends; valid until the next call.
  uint8_t* arena(size_t bytes) {
    const size_t rounded = (bytes + 15) / 16 * 16;
    if (buffer_ == nullptr || rounded > buffer_->size()) {
      const size_t grown = buffer_ ? 2 * buffer_->size() : 0;
      buffer_ = std::make_unique<ExactBuffer>(rounded > grown ? rounded : grown);
    }
    return buffer_->data() + (buffer_->size() - rounded);
  }

 private:
  std::unique_ptr<ExactBuffer> buffer_;
};

// Saturating arithmetic: work estimates of malformed models must not overflow.
inline int64_t saturating_mul(int64_t a, int64_t b) {
  int64_t result;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &result)) return std::numeric_limits<int64_t>::max();
  return result;
}
inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t result;
  if (__builtin_add_overflow(a, b, &result)) return std::numeric_limits<int64_t>::max();
  return result;
}

// Rough cost of one invoke: elements read and written by every op plus the multiply-accumulates of the heavy
// ops. Our own saturating estimate rather than compiler::compute_model_stats, whose int64 products can
// overflow on malformed shapes.
inline int64_t estimate_work(const Model& model) {
  int64_t work = 0;
  for (int o = 0; o < model.num_ops(); ++o) {
    const tflite::Operator* op = model.op(o);
    auto dims = [&](int input, int d) -> int64_t {
      if (op->inputs() == nullptr || input >= static_cast<int>(op->inputs()->size())) return 0;
      const int t = op->inputs()->Get(input);
      if (t < 0) return 0;
      const Tensor tensor = model.tensor(t);
      if (d < 0) {  // all elements
        int64_t n = 1;
        for (int i = 0; i < tensor.shape.rank; ++i) n = saturating_mul(n, tensor.shape.dims[i]);
        return n;
      }
      return d < tensor.shape.rank ? tensor.shape.dims[d] : 0;
    };
    int64_t out_elements = 0;
    for (int32_t t : *op->outputs()) {
      const Tensor tensor = model.tensor(t);
      int64_t n = 1;
      for (int i = 0; i < tensor.shape.rank; ++i) n = saturating_mul(n, tensor.shape.dims[i]);
      out_elements = saturating_add(out_elements, n);
    }
    const int num_inputs = op->inputs() ? static_cast<int>(op->inputs()->size()) : 0;
    int64_t op_work = out_elements;
    for (int i = 0; i < num_inputs; ++i) op_work = saturating_add(op_work, dims(i, -1));
    int64_t macs = 0;
    switch (static_cast<BuiltinOp>(model.op_code(o))) {
      case BuiltinOp::kConv2D:
        macs =
            saturating_mul(saturating_mul(out_elements, dims(1, 1)), saturating_mul(dims(1, 2), dims(1, 3)));
        break;
      case BuiltinOp::kDepthwiseConv2D:
        macs = saturating_mul(out_elements, saturating_mul(dims(1, 1), dims(1, 2)));
        break;
      case BuiltinOp::kFullyConnected: macs = saturating_mul(out_elements, dims(1, 1)); break;
      case BuiltinOp::kTransposeConv:
        macs =
            saturating_mul(dims(2, -1), saturating_mul(dims(1, 0), saturating_mul(dims(1, 1), dims(1, 2))));
        break;
      case BuiltinOp::kSvdf:
        macs = saturating_mul(dims(0, 0), saturating_add(dims(1, -1), dims(2, -1)));
        break;
      case BuiltinOp::kUnidirectionalSequenceLstm:
        // steps x 4 gates x (input and recurrent weights)
        macs = saturating_mul(saturating_mul(dims(0, 0), dims(0, 1)),
                              saturating_mul(4, saturating_add(dims(4, -1), dims(8, -1))));
        break;
      default: break;
    }
    work = saturating_add(work, saturating_add(op_work, macs));
  }
  return work;
}

enum class Stage { kLoad, kAllocate, kInvoke, kDone };

inline const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kLoad: return "load";
    case Stage::kAllocate: return "allocate";
    case Stage::kInvoke: return "invoke";
    case Stage::kDone: return "done";
  }
  return "?";
}

struct RunLimits {
  size_t first_arena_bytes = 64 << 10;
  size_t max_arena_bytes = 4 << 20;
};

struct RunResult {
  Stage stage = Stage::kLoad;  // where it stopped: the failing stage, or kDone
  Status status;               // the error, or ok when stage == kDone
  bool invoked = false;        // false when the caller declined (work) or an input type cannot be filled
  int64_t work = 0;            // estimate_work() of the loaded model
  size_t arena_bytes = 0;      // arena the model was allocated in
  uint32_t output_checksum = 0;
  // The runtime broke its own contract (reported in `status`, code kInternal): a test failure, not a clean
  // outcome.
  bool contract_violation = false;
};

// Decides, given the loaded model's estimated work, whether to invoke it.
using InvokePolicy = std::function<bool(const Model& model, int64_t work)>;

// Runs the model in `bytes` (16-byte aligned, writable) in place. `wrote_model_bytes` in the result tells
// when the bytes were changed: a model input that is a constant tensor receives the LCG inputs.
inline RunResult run_model_bytes(uint8_t* bytes, size_t size, const OpResolver& resolver,
                                 const RunLimits& limits, const InvokePolicy& should_invoke,
                                 ArenaPool* arenas, bool* wrote_model_bytes) {
  *wrote_model_bytes = false;
  RunResult result;
  Model model;
  result.status = Model::from_bytes(bytes, size, &model);
  if (!result.status.is_ok()) return result;
  result.work = estimate_work(model);

  result.stage = Stage::kAllocate;
  size_t arena_bytes = limits.first_arena_bytes;
  for (;;) {
    Interpreter interpreter(model, resolver, arenas->arena(arena_bytes), arena_bytes);
    result.status = interpreter.allocate();
    if (result.status.code() == StatusCode::kArenaTooSmall) {
      // Grow to what the interpreter asks for (or x4 when it could not tell), within the bound.
      const size_t required = interpreter.arena_required_bytes();
      const size_t next = required > arena_bytes ? required : arena_bytes * 4;
      if (arena_bytes >= limits.max_arena_bytes) return result;
      arena_bytes = next < limits.max_arena_bytes ? next : limits.max_arena_bytes;
      continue;
    }
    if (!result.status.is_ok()) return result;
    result.arena_bytes = arena_bytes;
    if (interpreter.arena_used_bytes() > arena_bytes) {
      result.contract_violation = true;
      result.status = Status::error(StatusCode::kInternal,
                                    "harness: allocate() reported %lu used bytes of a %lu "
                                    "byte arena",
                                    static_cast<unsigned long>(interpreter.arena_used_bytes()),
                                    static_cast<unsigned long>(arena_bytes));
      return result;
    }

    result.stage = Stage::kInvoke;
    if (!should_invoke(model, result.work)) {
      result.stage = Stage::kDone;
      return result;
    }
    for (int i = 0; i < interpreter.num_inputs(); ++i) {
      const Tensor input = interpreter.input(i);
      if (input.data == nullptr && input.bytes > 0) {
        result.contract_violation = true;
        result.status = Status::error(StatusCode::kInternal,
                                      "harness: input %d (tensor %d) has no memory "
                                      "after a successful allocate()",
                                      i, static_cast<int>(input.index));
        return result;
      }
      if (input.is_constant) *wrote_model_bytes = true;
      if (!fill_lcg(input, 12345).is_ok()) {  // e.g. a bool or int64 input: the generator has no rule
        result.stage = Stage::kDone;
        return result;
      }
    }
    result.invoked = true;
    result.status = interpreter.invoke();
    if (!result.status.is_ok()) return result;
    // Read every output byte so the sanitizers see the memory the outputs point at.
    uint32_t checksum = 0;
    for (int i = 0; i < interpreter.num_outputs(); ++i) {
      const Tensor output = interpreter.output(i);
      const uint8_t* p = static_cast<const uint8_t*>(output.data);
      if (p == nullptr) continue;
      for (size_t b = 0; b < output.bytes; ++b) checksum = checksum * 31 + p[b];
    }
    result.output_checksum = checksum;
    result.stage = Stage::kDone;
    return result;
  }
}

// Copies `data` into memory of exactly `size` bytes (aligned as models need) and runs it there.
inline RunResult run_untrusted(const uint8_t* data, size_t size, const OpResolver& resolver,
                               const RunLimits& limits, const InvokePolicy& should_invoke,
                               ArenaPool* arenas) {
  ExactBuffer bytes(size);
  if (size > 0) std::memcpy(bytes.data(), data, size);
  bool wrote_model_bytes;
  return run_model_bytes(bytes.data(), size, resolver, limits, should_invoke, arenas, &wrote_model_bytes);
}

// A clean error: an error code the API defines and a non-empty, terminated message.
inline bool is_clean_error(const Status& status) {
  if (status.is_ok()) return false;
  if (static_cast<int>(status.code()) > static_cast<int>(StatusCode::kInternal)) return false;
  const char* message = status.message();
  return message != nullptr && message[0] != '\0' && memchr(message, '\0', Status::kMaxMessage) != nullptr;
}

}  // namespace edgeinfer::robustness
