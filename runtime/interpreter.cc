#include "edgeinfer/interpreter.h"

#include <cstring>

#include "edgeinfer/block_sparsity.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace {

constexpr size_t align_up(size_t value, size_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

Interpreter::Interpreter(const Model& model, const OpResolver& resolver, void* arena, size_t arena_bytes)
    : model_(model),
      resolver_(resolver),
      arena_raw_(static_cast<uint8_t*>(arena)),
      arena_raw_bytes_(arena_bytes) {}

void* Interpreter::bump_allocate(size_t bytes) {
  const size_t size = align_up(bytes == 0 ? 1 : bytes, kArenaAlignment);
  if (persistent_used_ + size > arena_bytes_ || size < bytes) {
    persistent_shortfall_ += size;
    return nullptr;
  }
  void* result = arena_ + persistent_used_;
  persistent_used_ += size;
  memset(result, 0, size);
  return result;
}

Status Interpreter::allocate() {
  allocated_ = false;
  persistent_used_ = persistent_shortfall_ = planned_bytes_ = used_bytes_ = required_bytes_ = 0;
  block_sparse_ops_ = block_sparsity_ignored_ops_ = 0;
  tensors_ = nullptr;
  ops_ = nullptr;
  if (!model_.is_valid())
    return Status::error(StatusCode::kFailedPrecondition, "model is not loaded (Model::from_bytes failed?)");
  if (arena_raw_ == nullptr) return Status::error(StatusCode::kInvalidArgument, "arena is null");
  const uintptr_t raw = reinterpret_cast<uintptr_t>(arena_raw_);
  const size_t padding = align_up(raw, kArenaAlignment) - raw;
  arena_ = arena_raw_ + padding;
  arena_bytes_ = arena_raw_bytes_ > padding ? arena_raw_bytes_ - padding : 0;

  const int num_tensors = model_.num_tensors();
  const int num_ops = model_.num_ops();
  tensors_ =
      static_cast<TensorRecord*>(bump_allocate(sizeof(TensorRecord) * static_cast<size_t>(num_tensors)));
  ops_ = static_cast<OpRecord*>(bump_allocate(sizeof(OpRecord) * static_cast<size_t>(num_ops)));
  if ((num_tensors > 0 && tensors_ == nullptr) || (num_ops > 0 && ops_ == nullptr))
    return Status::error(StatusCode::kArenaTooSmall,
                         "arena of %lu bytes cannot hold the tensor and op tables (%lu bytes)",
                         static_cast<unsigned long>(arena_raw_bytes_),
                         static_cast<unsigned long>(persistent_used_ + persistent_shortfall_));

  EI_RETURN_IF_ERROR(resolve_kernels());
  EI_RETURN_IF_ERROR(compute_lifetimes());
  EI_RETURN_IF_ERROR(allocate_state_tensors());
  EI_RETURN_IF_ERROR(prepare_ops());
  EI_RETURN_IF_ERROR(plan_memory());

  const size_t persistent = align_up(persistent_used_, kArenaAlignment);
  required_bytes_ = padding + persistent + planned_bytes_;
  if (persistent + planned_bytes_ > arena_bytes_)
    return Status::error(StatusCode::kArenaTooSmall,
                         "arena has %lu bytes, model needs %lu (%lu persistent + %lu "
                         "activations and scratch)",
                         static_cast<unsigned long>(arena_raw_bytes_),
                         static_cast<unsigned long>(required_bytes_), static_cast<unsigned long>(persistent),
                         static_cast<unsigned long>(planned_bytes_));
  // Planned offsets were relative to the planned region; make them relative to the arena start.
  for (int t = 0; t < num_tensors; ++t)
    if (tensors_[t].first_op >= 0 && !model_.tensor_is_variable(t)) tensors_[t].offset += persistent;
  for (int o = 0; o < num_ops; ++o)
    for (int s = 0; s < ops_[o].num_scratch; ++s) ops_[o].scratch_offset[s] += persistent;
  used_bytes_ = required_bytes_;
  allocated_ = true;
  return Status::ok();
}

Status Interpreter::resolve_kernels() {
  for (int o = 0; o < model_.num_ops(); ++o) {
    const Kernel* kernel = resolver_.find(model_.op_code(o), model_.op_custom_name(o));
    if (kernel == nullptr) {
      if (model_.op_custom_name(o) != nullptr)
        return Status::error(StatusCode::kUnsupported, "op %d: custom op %s has no registered kernel", o,
                             model_.op_name(o));
      return Status::error(StatusCode::kUnsupported,
                           "op %d (%s, builtin code %d): no kernel registered in the op "
                           "resolver",
                           o, model_.op_name(o), static_cast<int>(model_.op_code(o)));
    }
    ops_[o].kernel = kernel;
  }
  return Status::ok();
}

Status Interpreter::compute_lifetimes() {
  const int num_tensors = model_.num_tensors();
  const int num_ops = model_.num_ops();
  const int last = num_ops > 0 ? num_ops - 1 : 0;
  for (int t = 0; t < num_tensors; ++t)
    tensors_[t] = TensorRecord{kNoOffset, -1, -1,
                               static_cast<uint32_t>(align_up(model_.tensor_bytes(t), kArenaAlignment))};
  auto touch = [&](int t, int op) {
    TensorRecord& record = tensors_[t];
    if (record.first_op < 0 || op < record.first_op) record.first_op = op;
    if (op > record.last_op) record.last_op = op;
  };
  auto plannable = [&](int t) { return !model_.tensor_is_constant(t) && !model_.tensor_is_variable(t); };
  for (int i = 0; i < model_.num_inputs(); ++i) {
    const int t = model_.input_tensor_index(i);
    if (plannable(t)) touch(t, 0);
  }
  for (int o = 0; o < num_ops; ++o) {
    const tflite::Operator* op = model_.op(o);
    if (op->inputs()) {
      for (int32_t t : *op->inputs()) {
        if (t < 0 || !plannable(t)) continue;
        if (tensors_[t].first_op < 0)
          return Status::error(StatusCode::kInvalidModel,
                               "op %d (%s) reads tensor %d before any op writes it "
                               "(and it is not a model input)",
                               o, model_.op_name(o), static_cast<int>(t));
        touch(t, o);
      }
    }
    for (int32_t t : *op->outputs()) {
      if (!plannable(t)) continue;
      // Each activation has one writer: a second one (or an op writing its own input, or a model input)
      // would make kernels read and write overlapping memory.
      if (tensors_[t].first_op >= 0)
        return Status::error(StatusCode::kInvalidModel,
                             "op %d (%s) writes tensor %d, which is a model input, "
                             "its own input or written by an earlier op",
                             o, model_.op_name(o), static_cast<int>(t));
      touch(t, o);
    }
    if (op->intermediates())
      for (int32_t t : *op->intermediates())
        if (plannable(t)) touch(t, o);
  }
  for (int i = 0; i < model_.num_outputs(); ++i) {
    const int t = model_.output_tensor_index(i);
    if (!plannable(t)) continue;
    if (tensors_[t].first_op < 0)
      return Status::error(StatusCode::kInvalidModel, "model output %d (tensor %d) is never written", i, t);
    touch(t, last);
  }
  return Status::ok();
}

Status Interpreter::allocate_state_tensors() {
  for (int t = 0; t < model_.num_tensors(); ++t) {
    if (model_.tensor_is_misaligned_constant(t)) {
      const Tensor constant = model_.tensor(t);
      void* copy = bump_allocate(constant.bytes);
      if (copy == nullptr)
        return Status::error(StatusCode::kArenaTooSmall,
                             "arena of %lu bytes is too small for an aligned copy of "
                             "constant tensor %d",
                             static_cast<unsigned long>(arena_raw_bytes_), t);
      memcpy(copy, constant.data, constant.bytes);
      tensors_[t].offset = static_cast<uint32_t>(static_cast<uint8_t*>(copy) - arena_);
      continue;
    }
    if (!model_.tensor_is_variable(t)) continue;
    void* data = bump_allocate(model_.tensor_bytes(t));
    if (data == nullptr)
      return Status::error(StatusCode::kArenaTooSmall, "arena of %lu bytes is too small for state tensor %d",
                           static_cast<unsigned long>(arena_raw_bytes_), t);
    tensors_[t].offset = static_cast<uint32_t>(static_cast<uint8_t*>(data) - arena_);
    reset_state_tensor(t);
  }
  return Status::ok();
}

void Interpreter::reset_state_tensor(int t) {
  // TFLM fills int8 state with its zero point's byte, so a hidden state with zero point -4 starts at real 0;
  // other types (int16 cell state, float) start at 0.
  const Tensor tensor = model_.tensor(t);
  int value = 0;
  if (tensor.type == DataType::kInt8 && tensor.quant.zero_points != nullptr)
    value = tensor.quant.zero_point(0);
  memset(arena_ + tensors_[t].offset, value, model_.tensor_bytes(t));
}

Status Interpreter::prepare_ops() {
  for (int o = 0; o < model_.num_ops(); ++o) {
    preparing_op_ = o;
    KernelContext context(this, o);
    Status status = ops_[o].kernel->prepare(context);
    preparing_op_ = -1;
    if (!status.is_ok()) return op_error_prefix(status, o);
  }
  return Status::ok();
}

Status Interpreter::op_error_prefix(Status status, int op_index) const {
  status.prefix("op %d (%s): ", op_index, model_.op_name(op_index));
  if (status.code() == StatusCode::kArenaTooSmall)
    status.prefix("arena of %lu bytes is too small: ", static_cast<unsigned long>(arena_raw_bytes_));
  return status;
}

// Greedy by size: the largest unplaced buffer goes to the lowest offset where it overlaps no placed buffer
// that is live at the same time. Planning state lives in the tensor and op tables: no extra memory.
Status Interpreter::plan_memory() {
  const int num_tensors = model_.num_tensors();
  const int num_ops = model_.num_ops();
  const int num_buffers = num_tensors + num_ops * kMaxScratchPerOp;
  struct Buffer {
    size_t size;
    int first, last;
    uint32_t* offset;  // null when the id holds nothing to plan
  };
  auto buffer = [&](int id) -> Buffer {
    if (id < num_tensors) {
      // Only planned tensors get a lifetime (constants and state tensors never do).
      TensorRecord& record = tensors_[id];
      if (record.first_op < 0) return Buffer{0, 0, 0, nullptr};
      return Buffer{record.planned_bytes, record.first_op, record.last_op, &record.offset};
    }
    const int op = (id - num_tensors) / kMaxScratchPerOp;
    const int slot = (id - num_tensors) % kMaxScratchPerOp;
    if (slot >= ops_[op].num_scratch) return Buffer{0, 0, 0, nullptr};
    return Buffer{align_up(ops_[op].scratch_bytes[slot], kArenaAlignment), op, op,
                  &ops_[op].scratch_offset[slot]};
  };
  for (int id = 0; id < num_buffers; ++id) {
    Buffer b = buffer(id);
    if (b.offset) *b.offset = kNoOffset;
  }
  size_t high_water = 0;
  for (;;) {
    int pick = -1;
    size_t pick_size = 0;
    for (int id = 0; id < num_buffers; ++id) {
      Buffer b = buffer(id);
      if (b.offset == nullptr || *b.offset != kNoOffset) continue;
      if (pick < 0 || b.size > pick_size) {
        pick = id;
        pick_size = b.size;
      }
    }
    if (pick < 0) break;
    Buffer candidate = buffer(pick);
    size_t offset = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (int id = 0; id < num_buffers; ++id) {
        Buffer placed = buffer(id);
        if (placed.offset == nullptr || *placed.offset == kNoOffset || id == pick) continue;
        if (placed.last < candidate.first || placed.first > candidate.last) continue;
        const size_t start = *placed.offset;
        if (start < offset + candidate.size && offset < start + placed.size) {
          offset = start + placed.size;
          moved = true;
        }
      }
    }
    if (offset + candidate.size > 0xFFFFFFF0u)
      return Status::error(StatusCode::kUnsupported, "activations need more than 4 GiB");
    *candidate.offset = static_cast<uint32_t>(offset);
    if (offset + candidate.size > high_water) high_water = offset + candidate.size;
  }
  planned_bytes_ = high_water;
  return Status::ok();
}

Status Interpreter::invoke() {
  if (!allocated_)
    return Status::error(StatusCode::kFailedPrecondition, "invoke() before a successful allocate()");
  for (int o = 0; o < model_.num_ops(); ++o) {
    KernelContext context(this, o);
    if (observer_) observer_->on_op_begin(o);
    Status status = ops_[o].kernel->eval(context);
    if (observer_) observer_->on_op_end(o, status);
    if (!status.is_ok()) return op_error_prefix(status, o);
  }
  return Status::ok();
}

Status Interpreter::reset_state() {
  if (!allocated_) return Status::error(StatusCode::kFailedPrecondition, "reset_state() before allocate()");
  for (int t = 0; t < model_.num_tensors(); ++t)
    if (model_.tensor_is_variable(t)) reset_state_tensor(t);
  for (int o = 0; o < model_.num_ops(); ++o) {
    if (ops_[o].kernel->reset == nullptr) continue;
    KernelContext context(this, o);
    Status status = ops_[o].kernel->reset(context);
    if (!status.is_ok()) return op_error_prefix(status, o);
  }
  return Status::ok();
}

void* Interpreter::tensor_data(int tensor_index) const {
  if (tensors_ == nullptr) return nullptr;
  const TensorRecord& record = tensors_[tensor_index];
  if (record.offset == kNoOffset) return nullptr;
  return arena_ + record.offset;
}

Tensor Interpreter::tensor(int tensor_index) const {
  Tensor view = model_.tensor(tensor_index);
  // Non-constant tensors live in the arena; so do aligned copies of misaligned constants.
  void* arena_data = tensor_data(tensor_index);
  if (!view.is_constant || arena_data != nullptr) view.data = arena_data;
  return view;
}

Tensor Interpreter::input(int i) const {
  return tensor(model_.input_tensor_index(i));
}
Tensor Interpreter::output(int i) const {
  return tensor(model_.output_tensor_index(i));
}

// ---- KernelContext ----------------------------------------------------------------------------------------

const tflite::Operator* KernelContext::op() const {
  return interpreter_->model_.op(op_index_);
}
int32_t KernelContext::op_version() const {
  return interpreter_->model_.op_version(op_index_);
}

int KernelContext::num_inputs() const {
  return op()->inputs() ? static_cast<int>(op()->inputs()->size()) : 0;
}
int KernelContext::num_outputs() const {
  return static_cast<int>(op()->outputs()->size());
}
int KernelContext::num_intermediates() const {
  return op()->intermediates() ? static_cast<int>(op()->intermediates()->size()) : 0;
}

bool KernelContext::has_input(int i) const {
  return i >= 0 && i < num_inputs() && op()->inputs()->Get(i) >= 0;
}
Tensor KernelContext::input(int i) const {
  return interpreter_->tensor(op()->inputs()->Get(i));
}
Tensor KernelContext::output(int i) const {
  return interpreter_->tensor(op()->outputs()->Get(i));
}
Tensor KernelContext::intermediate(int i) const {
  return interpreter_->tensor(op()->intermediates()->Get(i));
}

void* KernelContext::allocate_persistent(size_t bytes) {
  if (interpreter_->preparing_op_ != op_index_) return nullptr;
  return interpreter_->bump_allocate(bytes);
}

Status KernelContext::arena_full_error() const {
  return Status::error(StatusCode::kArenaTooSmall, "no room for op data (%lu bytes used before this op)",
                       static_cast<unsigned long>(interpreter_->persistent_used_));
}

Status KernelContext::request_scratch(size_t bytes, int* index) {
  if (interpreter_->preparing_op_ != op_index_)
    return Status::error(StatusCode::kFailedPrecondition, "scratch can only be requested in prepare()");
  auto& record = interpreter_->ops_[op_index_];
  if (record.num_scratch >= Interpreter::kMaxScratchPerOp)
    return Status::error(StatusCode::kInternal, "more than %d scratch buffers requested",
                         Interpreter::kMaxScratchPerOp);
  if (bytes > 0x7FFFFFFF)
    return Status::error(StatusCode::kInvalidModel, "scratch buffer of %lu bytes is too large",
                         static_cast<unsigned long>(bytes));
  record.scratch_bytes[record.num_scratch] = static_cast<uint32_t>(bytes);
  *index = record.num_scratch++;
  return Status::ok();
}

const uint8_t* KernelContext::block_sparsity(int i) {
  if (interpreter_->preparing_op_ != op_index_ || !has_input(i)) return nullptr;
  const Tensor weights = input(i);
  if (!weights.is_constant || weights.type != DataType::kInt8) return nullptr;
  const uint8_t* index = nullptr;
  size_t size = 0;
  if (!interpreter_->model_.metadata(kBlockSparsityMetadataName, &index, &size)) return nullptr;
  BlockSparsityEntry entry;
  bool found = false;
  const Status status = find_block_sparsity_entry(index, size, weights.index, &entry, &found);
  if (status.is_ok() && !found) return nullptr;
  // A malformed or stale index (e.g. tensors renumbered after it was written) only costs speed: ignore it.
  if (!status.is_ok() || !check_block_sparsity_entry(entry, weights).is_ok()) {
    ++interpreter_->block_sparsity_ignored_ops_;
    return nullptr;
  }
  ++interpreter_->block_sparse_ops_;
  return entry.bitmap;
}

void KernelContext::set_op_data(void* data) {
  interpreter_->ops_[op_index_].op_data = data;
}
void* KernelContext::op_data() const {
  return interpreter_->ops_[op_index_].op_data;
}

void* KernelContext::scratch(int index) const {
  const auto& record = interpreter_->ops_[op_index_];
  if (index < 0 || index >= record.num_scratch) return nullptr;
  return interpreter_->arena_ + record.scratch_offset[index];
}

}  // namespace edgeinfer
