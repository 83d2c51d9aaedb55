#include "compiler/model_builder.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace edgeinfer::compiler {
namespace {

// TensorFlow Lite's schema version and the deprecated_builtin_code value meaning "see builtin_code".
constexpr uint32_t kSchemaVersion = 3;
constexpr int32_t kPlaceholderForGreaterOpCodes = 127;

// Bytes of `count` elements of `type`, or -1 when the type has no fixed dense size (not checked). Local
// rather than data_type_size() so the builder does not depend on the runtime's state, and because int4
// constants are packed two per byte in .tflite files.
int64_t dense_bytes(DataType type, int64_t count) {
  switch (type) {
    case DataType::kBool:
    case DataType::kInt8:
    case DataType::kUInt8: return count;
    case DataType::kFloat16:
    case DataType::kInt16:
    case DataType::kUInt16: return count * 2;
    case DataType::kFloat32:
    case DataType::kInt32:
    case DataType::kUInt32: return count * 4;
    case DataType::kFloat64:
    case DataType::kInt64:
    case DataType::kUInt64:
    case DataType::kComplex64: return count * 8;
    case DataType::kComplex128: return count * 16;
    case DataType::kInt4: return (count + 1) / 2;
    case DataType::kString:
    case DataType::kResource:
    case DataType::kVariant: return -1;
  }
  return -1;
}

std::string tensor_label(int index, const std::string& name) {
  std::string label = "tensor " + std::to_string(index);
  if (!name.empty()) label += " (" + name + ")";
  return label;
}

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<int32_t> to_int32(const std::vector<int>& v) {
  return std::vector<int32_t>(v.begin(), v.end());
}

}  // namespace

QuantParams QuantParams::per_tensor(float scale, int64_t zero_point) {
  QuantParams q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

QuantParams QuantParams::per_channel(std::vector<float> scales, std::vector<int64_t> zero_points,
                                     int32_t dimension) {
  QuantParams q;
  q.scales = std::move(scales);
  q.zero_points = std::move(zero_points);
  q.quantized_dimension = dimension;
  return q;
}

ModelBuilder::TensorDesc ModelBuilder::make_tensor(DataType type, std::vector<int32_t> shape,
                                                   QuantParams quant, std::string name) {
  TensorDesc t;
  t.type = type;
  t.shape = std::move(shape);
  t.quant = std::move(quant);
  t.name = std::move(name);
  return t;
}

int ModelBuilder::add(TensorDesc t) {
  const int index = num_tensors();
  if (checks_) {
    const std::string label = tensor_label(index, t.name);
    if (t.shape.size() > static_cast<size_t>(kMaxRank))
      throw std::invalid_argument(label + ": rank " + std::to_string(t.shape.size()) + " exceeds " +
                                  std::to_string(kMaxRank));
    for (int32_t d : t.shape)
      if (d < 0)
        throw std::invalid_argument(label + ": negative dimension in shape " + shape_string(t.shape));
    const QuantParams& q = t.quant;
    if (q.zero_points.size() != q.scales.size())
      throw std::invalid_argument(label + ": " + std::to_string(q.scales.size()) + " scales but " +
                                  std::to_string(q.zero_points.size()) + " zero points");
    if (q.scales.size() > 1) {
      // Per-channel: one scale per slice along the quantized dimension.
      int32_t dim = q.quantized_dimension;
      // As the runtime and TFLite read it: old converters gave a rank-1 bias its filter's dimension.
      if (t.shape.size() == 1 && dim >= 1) dim = 0;
      if (dim < 0 || dim >= static_cast<int32_t>(t.shape.size()))
        throw std::invalid_argument(label + ": quantized_dimension " + std::to_string(dim) +
                                    " out of range for shape " + shape_string(t.shape));
      if (static_cast<size_t>(t.shape[dim]) != q.scales.size())
        throw std::invalid_argument(label + ": " + std::to_string(q.scales.size()) +
                                    " scales but dimension " + std::to_string(dim) + " of shape " +
                                    shape_string(t.shape) + " has " + std::to_string(t.shape[dim]));
    }
    if (t.is_constant) {
      // Products of non-negative int32 dims: stop before int64 overflow (such a size is wrong anyway).
      int64_t count = 1;
      for (int32_t d : t.shape) {
        if (d != 0 && count > (int64_t{1} << 40) / d)
          throw std::invalid_argument(label + ": shape " + shape_string(t.shape) + " is too large");
        count *= d;
      }
      const int64_t expected = dense_bytes(t.type, count);
      if (expected >= 0 && static_cast<uint64_t>(expected) != t.data.size())
        throw std::invalid_argument(label + ": shape " + shape_string(t.shape) + " of " +
                                    tflite::EnumNameTensorType(static_cast<tflite::TensorType>(t.type)) +
                                    " needs " + std::to_string(expected) + " bytes, got " +
                                    std::to_string(t.data.size()));
    }
  }
  tensors_.push_back(std::move(t));
  return index;
}

int ModelBuilder::add_tensor(DataType type, std::vector<int32_t> shape, QuantParams quant, std::string name) {
  return add(make_tensor(type, std::move(shape), std::move(quant), std::move(name)));
}

int ModelBuilder::add_constant(DataType type, std::vector<int32_t> shape, const void* data, size_t bytes,
                               QuantParams quant, std::string name) {
  if (data == nullptr && bytes != 0) throw std::invalid_argument("add_constant: null data with nonzero size");
  TensorDesc t = make_tensor(type, std::move(shape), std::move(quant), std::move(name));
  t.is_constant = true;
  const auto* p = static_cast<const uint8_t*>(data);
  t.data.assign(p, p + bytes);
  return add(std::move(t));
}

int ModelBuilder::add_variable(DataType type, std::vector<int32_t> shape, QuantParams quant,
                               std::string name) {
  TensorDesc t = make_tensor(type, std::move(shape), std::move(quant), std::move(name));
  t.is_variable = true;
  return add(std::move(t));
}

void ModelBuilder::check_indices(const char* what, const std::vector<int>& indices,
                                 bool allow_omitted) const {
  if (!checks_) return;
  for (int i : indices) {
    if (i == -1 && allow_omitted) continue;
    if (i < 0 || i >= num_tensors())
      throw std::invalid_argument(std::string(what) + ": tensor index " + std::to_string(i) +
                                  " out of range (" + std::to_string(num_tensors()) + " tensors)");
  }
}

int ModelBuilder::add(OpDesc op) {
  const std::string what = "op " + std::to_string(num_ops()) + " (" +
                           (op.custom_name.empty() ? builtin_op_name(op.code) : op.custom_name) + ")";
  check_indices((what + " input").c_str(), op.inputs, /*allow_omitted=*/true);
  check_indices((what + " output").c_str(), op.outputs, /*allow_omitted=*/false);
  check_indices((what + " intermediate").c_str(), op.intermediates, /*allow_omitted=*/false);
  if (checks_ && op.options_type == tflite::BuiltinOptions::NONE && op.options_writer)
    throw std::invalid_argument(what + ": options writer given with options type NONE");
  if (checks_ && op.version < 1)
    throw std::invalid_argument(what + ": version " + std::to_string(op.version) + " (must be >= 1)");
  ops_.push_back(std::move(op));
  return num_ops() - 1;
}

int ModelBuilder::add_op(BuiltinOp op, std::vector<int> inputs, std::vector<int> outputs,
                         tflite::BuiltinOptions options_type, OptionsWriter options_writer, int version,
                         std::vector<int> intermediates) {
  if (checks_ && op == BuiltinOp::kCustom)
    throw std::invalid_argument("add_op: use add_custom_op for CUSTOM");
  return add(OpDesc{static_cast<int32_t>(op),
                    "",
                    version,
                    std::move(inputs),
                    std::move(outputs),
                    std::move(intermediates),
                    options_type,
                    std::move(options_writer),
                    {}});
}

int ModelBuilder::add_custom_op(std::string name, std::vector<int> inputs, std::vector<int> outputs,
                                std::vector<uint8_t> custom_options, int version) {
  if (checks_ && name.empty()) throw std::invalid_argument("add_custom_op: empty name");
  return add(OpDesc{static_cast<int32_t>(BuiltinOp::kCustom),
                    std::move(name),
                    version,
                    std::move(inputs),
                    std::move(outputs),
                    {},
                    tflite::BuiltinOptions::NONE,
                    nullptr,
                    std::move(custom_options)});
}

void ModelBuilder::set_inputs(std::vector<int> tensors) {
  check_indices("model input", tensors, /*allow_omitted=*/false);
  inputs_ = std::move(tensors);
}

void ModelBuilder::set_outputs(std::vector<int> tensors) {
  check_indices("model output", tensors, /*allow_omitted=*/false);
  outputs_ = std::move(tensors);
}

void ModelBuilder::set_description(std::string description) {
  description_ = std::move(description);
}

void ModelBuilder::set_shape_signature(int tensor, std::vector<int32_t> signature) {
  check_indices("shape signature", {tensor}, /*allow_omitted=*/false);
  if (checks_ && !signature.empty() && signature.size() != tensors_[tensor].shape.size())
    throw std::invalid_argument(tensor_label(tensor, tensors_[tensor].name) + ": shape signature " +
                                shape_string(signature) + " does not match shape " +
                                shape_string(tensors_[tensor].shape));
  tensors_[tensor].shape_signature = std::move(signature);
}

void ModelBuilder::add_metadata(std::string name, std::vector<uint8_t> data) {
  if (checks_ && name.empty()) throw std::invalid_argument("add_metadata: empty name");
  metadata_.emplace_back(std::move(name), std::move(data));
}

std::vector<uint8_t> ModelBuilder::finish() const {
  flatbuffers::FlatBufferBuilder fbb(1024);

  // Buffers: 0 is the empty sentinel every data-less tensor points at, then one per constant.
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers;
  buffers.push_back(tflite::CreateBuffer(fbb));
  std::vector<uint32_t> tensor_buffer(tensors_.size(), 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    if (!tensors_[i].is_constant) continue;
    tensor_buffer[i] = static_cast<uint32_t>(buffers.size());
    // The Direct variant applies the schema's force_align: 16 to the data.
    buffers.push_back(tflite::CreateBufferDirect(fbb, &tensors_[i].data));
  }

  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorDesc& t = tensors_[i];
    flatbuffers::Offset<tflite::QuantizationParameters> quant = 0;
    if (t.quant.is_quantized() || !t.quant.zero_points.empty()) {
      quant = tflite::CreateQuantizationParametersDirect(
          fbb, nullptr, nullptr, &t.quant.scales, &t.quant.zero_points, tflite::QuantizationDetails::NONE, 0,
          t.quant.quantized_dimension);
    }
    tensors.push_back(tflite::CreateTensorDirect(fbb, &t.shape, static_cast<tflite::TensorType>(t.type),
                                                 tensor_buffer[i], t.name.empty() ? nullptr : t.name.c_str(),
                                                 quant, t.is_variable, 0,
                                                 t.shape_signature.empty() ? nullptr : &t.shape_signature));
  }

  // Operator codes, deduplicated in order of first use.
  std::map<std::tuple<int32_t, std::string, int>, uint32_t> code_index;
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes;
  std::vector<flatbuffers::Offset<tflite::Operator>> operators;
  for (const OpDesc& op : ops_) {
    auto key = std::make_tuple(op.code, op.custom_name, op.version);
    auto it = code_index.find(key);
    if (it == code_index.end()) {
      it = code_index.emplace(key, static_cast<uint32_t>(codes.size())).first;
      const auto deprecated = static_cast<int8_t>(std::min(op.code, kPlaceholderForGreaterOpCodes));
      codes.push_back(tflite::CreateOperatorCodeDirect(
          fbb, deprecated, op.custom_name.empty() ? nullptr : op.custom_name.c_str(), op.version, op.code));
    }
    // The options table must be complete before the Operator table starts.
    flatbuffers::Offset<void> options = 0;
    if (op.options_writer) {
      options = op.options_writer(fbb);
    } else if (op.options_type != tflite::BuiltinOptions::NONE) {
      options = flatbuffers::Offset<void>(fbb.EndTable(fbb.StartTable()));
    }
    const std::vector<int32_t> inputs = to_int32(op.inputs), outputs = to_int32(op.outputs);
    const std::vector<int32_t> intermediates = to_int32(op.intermediates);
    operators.push_back(tflite::CreateOperatorDirect(
        fbb, it->second, &inputs, &outputs, op.options_type, options,
        op.custom_options.empty() ? nullptr : &op.custom_options, tflite::CustomOptionsFormat::FLEXBUFFERS,
        nullptr, intermediates.empty() ? nullptr : &intermediates));
  }

  const std::vector<int32_t> inputs = to_int32(inputs_), outputs = to_int32(outputs_);
  auto subgraph = tflite::CreateSubGraphDirect(fbb, &tensors, &inputs, &outputs, &operators, "main");
  std::vector<flatbuffers::Offset<tflite::SubGraph>> subgraphs = {subgraph};
  // Metadata buffers follow the constants', as the converter writes them.
  std::vector<flatbuffers::Offset<tflite::Metadata>> metadata;
  for (const auto& [name, data] : metadata_) {
    const auto buffer = static_cast<uint32_t>(buffers.size());
    buffers.push_back(tflite::CreateBufferDirect(fbb, &data));
    metadata.push_back(tflite::CreateMetadataDirect(fbb, name.c_str(), buffer));
  }
  auto model = tflite::CreateModelDirect(fbb, kSchemaVersion, &codes, &subgraphs,
                                         description_.empty() ? nullptr : description_.c_str(), &buffers,
                                         nullptr, metadata.empty() ? nullptr : &metadata);
  tflite::FinishModelBuffer(fbb, model);
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

}  // namespace edgeinfer::compiler
