#include "edgeinfer/model.h"

#include <cstdint>
#include <cstring>

#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace {

constexpr uint32_t kSchemaVersion = 3;
// Flatbuffers offsets are 32-bit: larger files cannot be valid.
constexpr size_t kMaxModelBytes = 0x7FFFFFFF;
constexpr int64_t kMaxTensorBytes = 0x7FFFFFFF;

int32_t builtin_code_of(const tflite::OperatorCode* code) {
  // TFLite writes both fields; older files only the deprecated byte. The larger value is the real one.
  const int32_t deprecated = code->deprecated_builtin_code();
  const int32_t extended = code->builtin_code();
  return extended > deprecated ? extended : deprecated;
}

}  // namespace

Status Model::from_bytes(const void* data, size_t size, Model* model) {
  *model = Model();
  if (data == nullptr || size == 0) return Status::error(StatusCode::kInvalidModel, "model is empty");
  if (reinterpret_cast<uintptr_t>(data) % kRequiredAlignment != 0)
    return Status::error(StatusCode::kInvalidArgument, "model bytes must start at a %d-byte aligned address",
                         static_cast<int>(kRequiredAlignment));
  if (size > kMaxModelBytes)
    return Status::error(StatusCode::kInvalidModel, "model is %lu bytes; at most 2 GiB is supported",
                         static_cast<unsigned long>(size));
  if (size < 8)
    return Status::error(StatusCode::kInvalidModel, "model is only %d bytes", static_cast<int>(size));
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  if (!tflite::ModelBufferHasIdentifier(bytes))
    return Status::error(StatusCode::kInvalidModel,
                         "not a .tflite model: file identifier is not \"TFL3\" (bytes 4..7)");
  flatbuffers::Verifier verifier(bytes, size, /*max_depth=*/64, /*max_tables=*/1000000);
  if (!tflite::VerifyModelBuffer(verifier))
    return Status::error(StatusCode::kInvalidModel,
                         "model flatbuffer is corrupt (offsets, sizes or alignment out of bounds)");

  Model candidate;
  candidate.bytes_ = bytes;
  candidate.size_ = size;
  candidate.model_ = tflite::GetModel(bytes);
  EI_RETURN_IF_ERROR(candidate.verify_semantics());
  *model = candidate;
  return Status::ok();
}

Status Model::verify_semantics() {
  if (model_->version() != kSchemaVersion)
    return Status::error(StatusCode::kUnsupported, "schema version %u is not supported (expected %u)",
                         model_->version(), kSchemaVersion);
  const auto* subgraphs = model_->subgraphs();
  if (subgraphs == nullptr || subgraphs->size() == 0)
    return Status::error(StatusCode::kInvalidModel, "model has no subgraph");
  subgraph_ = subgraphs->Get(0);
  if (model_->buffers() == nullptr)
    return Status::error(StatusCode::kInvalidModel, "model has no buffer table");
  if (subgraph_->tensors() == nullptr)
    return Status::error(StatusCode::kInvalidModel, "subgraph 0 has no tensor table");
  if (subgraph_->inputs() == nullptr || subgraph_->outputs() == nullptr)
    return Status::error(StatusCode::kInvalidModel, "subgraph 0 lacks its input or output list");
  if (num_tensors() > 0x7FFFFFF || num_ops() > 0x7FFFFFF)
    return Status::error(StatusCode::kInvalidModel, "too many tensors or ops");

  for (int i = 0; i < num_tensors(); ++i) EI_RETURN_IF_ERROR(verify_tensor(i));

  const int tensor_count = num_tensors();
  for (int i = 0; i < num_inputs(); ++i) {
    const int t = subgraph_->inputs()->Get(i);
    if (t < 0 || t >= tensor_count)
      return Status::error(StatusCode::kInvalidModel, "subgraph input %d refers to tensor %d of %d", i, t,
                           tensor_count);
  }
  for (int i = 0; i < num_outputs(); ++i) {
    const int t = subgraph_->outputs()->Get(i);
    if (t < 0 || t >= tensor_count)
      return Status::error(StatusCode::kInvalidModel, "subgraph output %d refers to tensor %d of %d", i, t,
                           tensor_count);
  }
  if (num_ops() > 0 && model_->operator_codes() == nullptr)
    return Status::error(StatusCode::kInvalidModel, "model has ops but no operator code table");
  for (int i = 0; i < num_ops(); ++i) EI_RETURN_IF_ERROR(verify_op(i));
  return Status::ok();
}

Status Model::verify_tensor(int index) {
  const tflite::Tensor* tensor = subgraph_->tensors()->Get(index);
  const DataType type = static_cast<DataType>(tensor->type());
  const size_t element_size = data_type_size(type);
  if (element_size == 0)
    return Status::error(StatusCode::kUnsupported, "tensor %d: element type %s (%d) is not supported", index,
                         data_type_name(type), static_cast<int>(tensor->type()));
  if (tensor->sparsity() != nullptr)
    return Status::error(StatusCode::kUnsupported, "tensor %d: sparse tensors are not supported", index);
  const auto* shape = tensor->shape();
  const int rank = shape ? static_cast<int>(shape->size()) : 0;
  if (rank > kMaxRank)
    return Status::error(StatusCode::kUnsupported, "tensor %d: rank %d exceeds the supported %d", index, rank,
                         kMaxRank);
  int64_t bytes = static_cast<int64_t>(element_size);
  // Bounds the product of the nonzero dimensions too: with a zero dimension the tensor is empty whatever the
  // others are, but kernels still multiply the others (strides, inner sizes) and must not overflow.
  int64_t nonzero_bytes = bytes;
  for (int d = 0; d < rank; ++d) {
    const int32_t dim = shape->Get(d);
    if (dim < 0)
      return Status::error(StatusCode::kInvalidModel,
                           "tensor %d: dimension %d is %d (dynamic shapes are not "
                           "supported)",
                           index, d, static_cast<int>(dim));
    bytes *= dim;
    if (dim > 0) nonzero_bytes *= dim;
    if (nonzero_bytes > kMaxTensorBytes)
      return Status::error(StatusCode::kInvalidModel, "tensor %d: shape needs more than 2 GiB%s", index,
                           bytes == 0 ? " (not counting its zero dimensions)" : "");
  }

  const uint32_t buffer_index = tensor->buffer();
  if (buffer_index >= model_->buffers()->size())
    return Status::error(StatusCode::kInvalidModel, "tensor %d: buffer %u out of range (model has %u)", index,
                         buffer_index, model_->buffers()->size());
  size_t data_bytes = 0;
  const uint8_t* data = constant_data(index, &data_bytes);
  if (data == nullptr && data_bytes == SIZE_MAX)
    return Status::error(StatusCode::kInvalidModel, "tensor %d: buffer %u lies outside the model's bytes",
                         index, buffer_index);
  if (data != nullptr) {
    if (static_cast<int64_t>(data_bytes) != bytes) {
      char dims[64];
      this->tensor(index).shape.format(dims, sizeof(dims));
      return Status::error(StatusCode::kInvalidModel,
                           "tensor %d: buffer %u has %lu bytes, shape %s %s needs %ld", index, buffer_index,
                           static_cast<unsigned long>(data_bytes), dims, data_type_name(type),
                           static_cast<long>(bytes));
    }
    if (tensor->is_variable())
      return Status::error(StatusCode::kUnsupported,
                           "tensor %d: variable tensors with initial data are not "
                           "supported",
                           index);
  }

  const tflite::QuantizationParameters* quant = tensor->quantization();
  if (quant != nullptr && quant->scale() != nullptr && quant->scale()->size() > 0) {
    const uint32_t count = quant->scale()->size();
    if (quant->zero_point() != nullptr && quant->zero_point()->size() != count)
      return Status::error(StatusCode::kInvalidModel, "tensor %d: %u scales but %u zero points", index, count,
                           quant->zero_point()->size());
    // Tensor views hand out the zero points as an int64_t array; the flatbuffer verifier only guarantees
    // 4-byte alignment for vectors.
    if (quant->zero_point() != nullptr &&
        reinterpret_cast<uintptr_t>(quant->zero_point()->data()) % alignof(int64_t) != 0)
      return Status::error(StatusCode::kInvalidModel, "tensor %d: zero points are not 8-byte aligned", index);
    // A zero point is a value of the tensor's type (TFLite's quantization spec); kernels rely on that to keep
    // their int32 arithmetic ((q - zero_point) * ...) from overflowing.
    if (quant->zero_point() != nullptr) {
      int64_t low = INT32_MIN, high = INT32_MAX;
      if (type == DataType::kInt8) low = INT8_MIN, high = INT8_MAX;
      if (type == DataType::kUInt8) low = 0, high = UINT8_MAX;
      if (type == DataType::kInt16) low = INT16_MIN, high = INT16_MAX;
      for (uint32_t i = 0; i < count; ++i) {
        const int64_t zero_point = quant->zero_point()->Get(i);
        if (zero_point < low || zero_point > high)
          return Status::error(StatusCode::kInvalidModel, "tensor %d: zero point %ld is not a %s value",
                               index, static_cast<long>(zero_point), data_type_name(type));
      }
    }
    if (count > 1) {
      int32_t axis = quant->quantized_dimension();
      // Old converters wrote a bias's per-channel parameters with the filter's quantized dimension (e.g. 3 on
      // a rank-1 bias); TFLite reads such a bias along its only axis, and so do we.
      if (rank == 1 && axis >= rank) axis = 0;
      if (axis < 0 || axis >= rank)
        return Status::error(StatusCode::kInvalidModel, "tensor %d: quantized dimension %d outside rank %d",
                             index, static_cast<int>(axis), rank);
      if (static_cast<int64_t>(count) != shape->Get(axis))
        return Status::error(StatusCode::kInvalidModel,
                             "tensor %d: %u per-channel scales for dimension %d of "
                             "size %d",
                             index, count, static_cast<int>(axis), static_cast<int>(shape->Get(axis)));
    }
  }
  return Status::ok();
}

Status Model::verify_op(int index) {
  const tflite::Operator* op = subgraph_->operators()->Get(index);
  const uint32_t opcode_index = op->opcode_index();
  if (opcode_index >= model_->operator_codes()->size())
    return Status::error(StatusCode::kInvalidModel, "op %d: opcode index %u out of range (model has %u)",
                         index, opcode_index, model_->operator_codes()->size());
  const tflite::OperatorCode* code = model_->operator_codes()->Get(opcode_index);
  const int32_t builtin = builtin_code_of(code);
  if (builtin < 0)
    return Status::error(StatusCode::kInvalidModel, "op %d: negative builtin code %d", index,
                         static_cast<int>(builtin));
  if (builtin == static_cast<int32_t>(BuiltinOp::kCustom) &&
      (code->custom_code() == nullptr || code->custom_code()->size() == 0))
    return Status::error(StatusCode::kInvalidModel, "op %d: custom op without a name", index);
  const int tensor_count = num_tensors();
  if (op->outputs() == nullptr || op->outputs()->size() == 0)
    return Status::error(StatusCode::kInvalidModel, "op %d (%s): no outputs", index, op_name(index));
  const int input_count = op->inputs() ? static_cast<int>(op->inputs()->size()) : 0;
  for (int i = 0; i < input_count; ++i) {
    const int t = op->inputs()->Get(i);
    if (t < -1 || t >= tensor_count)
      return Status::error(StatusCode::kInvalidModel, "op %d (%s): input %d refers to tensor %d of %d", index,
                           op_name(index), i, t, tensor_count);
  }
  for (int i = 0; i < static_cast<int>(op->outputs()->size()); ++i) {
    const int t = op->outputs()->Get(i);
    if (t < 0 || t >= tensor_count)
      return Status::error(StatusCode::kInvalidModel, "op %d (%s): output %d refers to tensor %d of %d",
                           index, op_name(index), i, t, tensor_count);
    if (tensor_is_constant(t))
      return Status::error(StatusCode::kInvalidModel, "op %d (%s): output %d is constant tensor %d", index,
                           op_name(index), i, t);
  }
  if (op->intermediates() != nullptr) {
    for (int i = 0; i < static_cast<int>(op->intermediates()->size()); ++i) {
      const int t = op->intermediates()->Get(i);
      if (t < 0 || t >= tensor_count)
        return Status::error(StatusCode::kInvalidModel,
                             "op %d (%s): intermediate %d refers to tensor %d of %d", index, op_name(index),
                             i, t, tensor_count);
    }
  }
  return Status::ok();
}

const uint8_t* Model::constant_data(int tensor_index, size_t* bytes) const {
  return buffer_data(subgraph_->tensors()->Get(tensor_index)->buffer(), bytes);
}

const uint8_t* Model::buffer_data(uint32_t buffer_index, size_t* bytes) const {
  *bytes = 0;
  const tflite::Buffer* buffer = model_->buffers()->Get(buffer_index);
  if (buffer == nullptr) return nullptr;
  if (buffer->offset() > 1) {
    // Large-model layout: data stored after the flatbuffer, addressed from the start of the file.
    const uint64_t offset = buffer->offset();
    const uint64_t size = buffer->size();
    if (offset > size_ || size > size_ - offset) {
      *bytes = SIZE_MAX;
      return nullptr;
    }
    if (size == 0) return nullptr;
    *bytes = static_cast<size_t>(size);
    return bytes_ + offset;
  }
  if (buffer->data() == nullptr || buffer->data()->size() == 0) return nullptr;
  *bytes = buffer->data()->size();
  return buffer->data()->data();
}

bool Model::metadata(const char* name, const uint8_t** data, size_t* size) const {
  *data = nullptr;
  *size = 0;
  const auto* entries = model_->metadata();
  if (entries == nullptr) return false;
  for (uint32_t i = 0; i < entries->size(); ++i) {
    const tflite::Metadata* entry = entries->Get(i);
    if (entry == nullptr || entry->name() == nullptr || std::strcmp(entry->name()->c_str(), name) != 0)
      continue;
    // The loader does not check metadata (the runtime needs none of it): check the buffer here.
    if (entry->buffer() >= model_->buffers()->size()) return false;
    size_t bytes = 0;
    const uint8_t* buffer = buffer_data(entry->buffer(), &bytes);
    if (buffer == nullptr) return false;
    *data = buffer;
    *size = bytes;
    return true;
  }
  return false;
}

int Model::num_tensors() const {
  return static_cast<int>(subgraph_->tensors()->size());
}
int Model::num_ops() const {
  return subgraph_->operators() ? static_cast<int>(subgraph_->operators()->size()) : 0;
}
int Model::num_inputs() const {
  return static_cast<int>(subgraph_->inputs()->size());
}
int Model::num_outputs() const {
  return static_cast<int>(subgraph_->outputs()->size());
}
int Model::input_tensor_index(int i) const {
  return subgraph_->inputs()->Get(i);
}
int Model::output_tensor_index(int i) const {
  return subgraph_->outputs()->Get(i);
}

const tflite::Operator* Model::op(int op_index) const {
  return subgraph_->operators()->Get(op_index);
}

int32_t Model::op_code(int op_index) const {
  return builtin_code_of(model_->operator_codes()->Get(op(op_index)->opcode_index()));
}

int32_t Model::op_version(int op_index) const {
  return model_->operator_codes()->Get(op(op_index)->opcode_index())->version();
}

const char* Model::op_custom_name(int op_index) const {
  if (op_code(op_index) != static_cast<int32_t>(BuiltinOp::kCustom)) return nullptr;
  const auto* name = model_->operator_codes()->Get(op(op_index)->opcode_index())->custom_code();
  return name ? name->c_str() : nullptr;
}

const char* Model::op_name(int op_index) const {
  const char* custom = op_custom_name(op_index);
  return custom ? custom : builtin_op_name(op_code(op_index));
}

Tensor Model::tensor(int tensor_index) const {
  const tflite::Tensor* source = subgraph_->tensors()->Get(tensor_index);
  Tensor view;
  view.index = tensor_index;
  view.type = static_cast<DataType>(source->type());
  if (source->shape()) {
    view.shape.rank = static_cast<int32_t>(source->shape()->size());
    for (int d = 0; d < view.shape.rank; ++d) view.shape.dims[d] = source->shape()->Get(d);
  }
  // The size from the shape just copied (tensor_bytes() would walk the flatbuffer again: this runs for every
  // tensor access of every kernel).
  view.bytes = data_type_size(view.type);
  for (int d = 0; d < view.shape.rank; ++d) view.bytes *= static_cast<size_t>(view.shape.dims[d]);
  size_t data_bytes = 0;
  view.data = const_cast<uint8_t*>(constant_data(tensor_index, &data_bytes));
  view.is_constant = view.data != nullptr;
  view.is_variable = source->is_variable();
  view.name = source->name() ? source->name()->c_str() : nullptr;
  const tflite::QuantizationParameters* quant = source->quantization();
  if (quant != nullptr && quant->scale() != nullptr && quant->scale()->size() > 0) {
    view.quant.scales = quant->scale()->data();
    view.quant.zero_points =
        quant->zero_point() && quant->zero_point()->size() > 0 ? quant->zero_point()->data() : nullptr;
    view.quant.count = static_cast<int32_t>(quant->scale()->size());
    view.quant.quantized_dimension = view.shape.rank == 1 ? 0 : quant->quantized_dimension();
  }
  return view;
}

size_t Model::tensor_bytes(int tensor_index) const {
  const tflite::Tensor* source = subgraph_->tensors()->Get(tensor_index);
  size_t bytes = data_type_size(static_cast<DataType>(source->type()));
  if (source->shape())
    for (uint32_t d = 0; d < source->shape()->size(); ++d)
      bytes *= static_cast<size_t>(source->shape()->Get(d));
  return bytes;
}

bool Model::tensor_is_constant(int tensor_index) const {
  size_t bytes = 0;
  return constant_data(tensor_index, &bytes) != nullptr;
}

bool Model::tensor_is_variable(int tensor_index) const {
  return subgraph_->tensors()->Get(tensor_index)->is_variable();
}

bool Model::tensor_is_misaligned_constant(int tensor_index) const {
  size_t bytes = 0;
  const uint8_t* data = constant_data(tensor_index, &bytes);
  if (data == nullptr) return false;
  size_t alignment = data_type_size(static_cast<DataType>(subgraph_->tensors()->Get(tensor_index)->type()));
  if (alignment > 8) alignment = 8;
  return alignment > 1 && reinterpret_cast<uintptr_t>(data) % alignment != 0;
}

}  // namespace edgeinfer
