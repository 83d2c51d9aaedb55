#include "compiler/graph/graph.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "compiler/host_runner.h"
#include "edgeinfer/model.h"
#include "kernels/common/float16.h"

namespace edgeinfer::compiler {
namespace {

std::string tensor_label(int index, const GraphTensor& t) {
  std::string label = "tensor " + std::to_string(index);
  if (!t.name.empty()) label += " (" + t.name + ")";
  return label;
}

template <class V>
std::vector<int> to_ints(const V* v) {
  std::vector<int> out;
  if (v != nullptr) out.assign(v->begin(), v->end());
  return out;
}

}  // namespace

int64_t GraphTensor::num_elements() const {
  int64_t count = 1;
  for (int32_t d : shape) count *= d;
  return count;
}

void GraphTensor::check_values_access(size_t element_size) const {
  if (!is_constant) throw std::invalid_argument("tensor " + name + " is not a constant");
  if (data_type_size(type) != element_size)
    throw std::invalid_argument("tensor " + name + ": " + data_type_name(type) + " read as " +
                                std::to_string(element_size) + "-byte values");
}

std::vector<float> GraphTensor::float_values() const {
  if (!is_constant) throw std::invalid_argument("tensor " + name + " is not a constant");
  const int64_t count = num_elements();
  std::vector<float> out(static_cast<size_t>(count));
  auto raw = [&](int64_t i) -> double {
    switch (type) {
      case DataType::kInt8: return static_cast<int8_t>(data[i]);
      case DataType::kUInt8: return data[i];
      case DataType::kInt16: {
        int16_t v;
        std::memcpy(&v, &data[i * 2], 2);
        return v;
      }
      case DataType::kInt32: {
        int32_t v;
        std::memcpy(&v, &data[i * 4], 4);
        return v;
      }
      default: return 0;
    }
  };
  switch (type) {
    case DataType::kFloat32: return values<float>();
    case DataType::kFloat16: {
      const auto halves = values<uint16_t>();
      for (int64_t i = 0; i < count; ++i) out[i] = half_to_float(halves[i]);
      return out;
    }
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt16:
    case DataType::kInt32: break;
    default:
      throw std::invalid_argument("tensor " + name + ": cannot read " + data_type_name(type) + " as float");
  }
  if (!quant.is_quantized())
    throw std::invalid_argument("tensor " + name + ": " + data_type_name(type) +
                                " constant without quantization");
  check_values_access(data_type_size(type));
  // Per-channel: the channel of element i is (i / inner) % channels along quantized_dimension.
  const size_t channels = quant.scales.size();
  int64_t inner = 1;
  if (channels > 1)
    for (size_t d = quant.quantized_dimension + 1; d < shape.size(); ++d) inner *= shape[d];
  for (int64_t i = 0; i < count; ++i) {
    const size_t c = channels > 1 ? static_cast<size_t>((i / inner) % channels) : 0;
    out[i] = static_cast<float>((raw(i) - static_cast<double>(quant.zero_points[c])) * quant.scales[c]);
  }
  return out;
}

std::string GraphOp::name() const {
  return custom_name.empty() ? builtin_op_name(code) : custom_name;
}

namespace {
// The options' fused_activation_function field, for the option tables that have one.
tflite_ir::ActivationFunctionType* activation_field(tflite_ir::BuiltinOptionsUnion& u) {
  using T = tflite_ir::BuiltinOptions;
  switch (u.type) {
    case T::Conv2DOptions: return &u.AsConv2DOptions()->fused_activation_function;
    case T::DepthwiseConv2DOptions: return &u.AsDepthwiseConv2DOptions()->fused_activation_function;
    case T::Pool2DOptions: return &u.AsPool2DOptions()->fused_activation_function;
    case T::FullyConnectedOptions: return &u.AsFullyConnectedOptions()->fused_activation_function;
    case T::ConcatenationOptions: return &u.AsConcatenationOptions()->fused_activation_function;
    case T::AddOptions: return &u.AsAddOptions()->fused_activation_function;
    case T::SubOptions: return &u.AsSubOptions()->fused_activation_function;
    case T::MulOptions: return &u.AsMulOptions()->fused_activation_function;
    case T::DivOptions: return &u.AsDivOptions()->fused_activation_function;
    case T::SVDFOptions: return &u.AsSVDFOptions()->fused_activation_function;
    case T::TransposeConvOptions: return &u.AsTransposeConvOptions()->fused_activation_function;
    case T::UnidirectionalSequenceLSTMOptions:
      return &u.AsUnidirectionalSequenceLSTMOptions()->fused_activation_function;
    default: return nullptr;
  }
}
}  // namespace

tflite_ir::ActivationFunctionType GraphOp::fused_activation() const {
  auto* field = activation_field(const_cast<tflite_ir::BuiltinOptionsUnion&>(options));
  return field && options.value ? *field : tflite_ir::ActivationFunctionType::NONE;
}

bool GraphOp::set_fused_activation(tflite_ir::ActivationFunctionType activation) {
  if (!options.value) return false;
  auto* field = activation_field(options);
  if (!field) return false;
  *field = activation;
  return true;
}

Graph Graph::read(std::span<const uint8_t> bytes) {
  host::LoadedModel loaded;
  const Status status = loaded.load_bytes(bytes.data(), bytes.size());
  if (!status.is_ok()) throw std::invalid_argument(status.message());
  const Model& model = loaded.model();
  // The same bytes through the object API's namespace, for op options and metadata.
  const tflite_ir::Model* fb = tflite_ir::GetModel(loaded.bytes().data());
  const tflite_ir::SubGraph* subgraph = fb->subgraphs()->Get(0);

  Graph g;
  if (fb->description()) g.description = fb->description()->str();
  for (int i = 0; i < model.num_tensors(); ++i) {
    const tflite_ir::Tensor* t = subgraph->tensors()->Get(i);
    GraphTensor gt;
    gt.type = static_cast<DataType>(t->type());
    gt.shape = to_ints(t->shape());
    if (t->shape_signature()) gt.shape_signature = to_ints(t->shape_signature());
    if (t->name()) gt.name = t->name()->str();
    gt.is_variable = t->is_variable();
    if (const auto* q = t->quantization(); q && q->scale() && q->scale()->size() > 0) {
      gt.quant.scales.assign(q->scale()->begin(), q->scale()->end());
      if (q->zero_point()) gt.quant.zero_points.assign(q->zero_point()->begin(), q->zero_point()->end());
      // No zero points means 0 (as the runtime and TFLite read it); keep the two lists the same length.
      gt.quant.zero_points.resize(gt.quant.scales.size(), 0);
      gt.quant.quantized_dimension = q->quantized_dimension();
    }
    if (model.tensor_is_constant(i)) {
      const Tensor view = model.tensor(i);
      const auto* data = static_cast<const uint8_t*>(view.data);
      gt.is_constant = true;
      gt.data.assign(data, data + view.bytes);
    }
    g.tensors.push_back(std::move(gt));
  }
  for (int i = 0; i < model.num_ops(); ++i) {
    const tflite_ir::Operator* op = subgraph->operators()->Get(i);
    GraphOp go;
    go.code = model.op_code(i);
    go.version = model.op_version(i);
    if (go.code == static_cast<int32_t>(BuiltinOp::kCustom)) go.custom_name = model.op_custom_name(i);
    go.inputs = to_ints(op->inputs());
    go.outputs = to_ints(op->outputs());
    go.intermediates = to_ints(op->intermediates());
    if (op->builtin_options()) {
      go.options.value =
          tflite_ir::BuiltinOptionsUnion::UnPack(op->builtin_options(), op->builtin_options_type(), nullptr);
      if (go.options.value) go.options.type = op->builtin_options_type();
    }
    if (op->custom_options())
      go.custom_options.assign(op->custom_options()->begin(), op->custom_options()->end());
    g.ops.push_back(std::move(go));
  }
  g.inputs = to_ints(subgraph->inputs());
  g.outputs = to_ints(subgraph->outputs());
  if (fb->metadata()) {
    for (const auto* m : *fb->metadata()) {
      // The runtime does not read metadata, so its loader does not check these indices.
      const auto* buffers = fb->buffers();
      if (m == nullptr || buffers == nullptr || m->buffer() >= buffers->size())
        throw std::invalid_argument("metadata entry refers to a buffer that does not exist");
      const auto* buffer = buffers->Get(m->buffer());
      std::vector<uint8_t> data;
      if (buffer && buffer->data()) data.assign(buffer->data()->begin(), buffer->data()->end());
      g.metadata.emplace_back(m->name() ? m->name()->str() : "", std::move(data));
    }
  }
  return g;
}

std::vector<uint8_t> Graph::write() const {
  validate();
  ModelBuilder b;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GraphTensor& t = tensors[i];
    int index;
    if (t.is_constant) {
      index = b.add_constant(t.type, t.shape, t.data.data(), t.data.size(), t.quant, t.name);
    } else if (t.is_variable) {
      index = b.add_variable(t.type, t.shape, t.quant, t.name);
    } else {
      index = b.add_tensor(t.type, t.shape, t.quant, t.name);
    }
    if (!t.shape_signature.empty()) b.set_shape_signature(index, t.shape_signature);
  }
  for (const GraphOp& op : ops) {
    if (op.is(BuiltinOp::kCustom)) {
      b.add_custom_op(op.custom_name, op.inputs, op.outputs, op.custom_options, op.version);
      continue;
    }
    const auto type = static_cast<tflite::BuiltinOptions>(op.options.type);
    OptionsWriter writer;
    if (op.options.value)
      writer = [&op](flatbuffers::FlatBufferBuilder& fbb) { return op.options.Pack(fbb); };
    b.add_op(op.op(), op.inputs, op.outputs, type, writer, op.version, op.intermediates);
  }
  b.set_inputs(inputs);
  b.set_outputs(outputs);
  b.set_description(description);
  for (const auto& [name, data] : metadata) b.add_metadata(name, data);
  return b.finish();
}

int Graph::add_tensor(GraphTensor tensor) {
  tensors.push_back(std::move(tensor));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::insert_op(GraphOp op, int position) {
  if (position < 0 || position > static_cast<int>(ops.size())) position = static_cast<int>(ops.size());
  ops.insert(ops.begin() + position, std::move(op));
  return position;
}

void Graph::remove_op(int index) {
  if (index < 0 || index >= static_cast<int>(ops.size()))
    throw std::invalid_argument("remove_op: op " + std::to_string(index) + " out of range");
  ops.erase(ops.begin() + index);
}

int Graph::producer(int tensor) const {
  for (size_t i = 0; i < ops.size(); ++i)
    if (std::find(ops[i].outputs.begin(), ops[i].outputs.end(), tensor) != ops[i].outputs.end())
      return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(int tensor) const {
  std::vector<int> result;
  for (size_t i = 0; i < ops.size(); ++i)
    if (std::find(ops[i].inputs.begin(), ops[i].inputs.end(), tensor) != ops[i].inputs.end())
      result.push_back(static_cast<int>(i));
  return result;
}

bool Graph::is_graph_output(int tensor) const {
  return std::find(outputs.begin(), outputs.end(), tensor) != outputs.end();
}

bool Graph::is_graph_input(int tensor) const {
  return std::find(inputs.begin(), inputs.end(), tensor) != inputs.end();
}

void Graph::replace_uses(int from, int to) {
  for (GraphOp& op : ops) std::replace(op.inputs.begin(), op.inputs.end(), from, to);
  std::replace(outputs.begin(), outputs.end(), from, to);
}

void Graph::remove_unused_tensors() {
  std::vector<bool> used(tensors.size(), false);
  auto mark = [&](const std::vector<int>& v) {
    for (int t : v)
      if (t >= 0 && t < static_cast<int>(tensors.size())) used[t] = true;
  };
  for (const GraphOp& op : ops) {
    mark(op.inputs);
    mark(op.outputs);
    mark(op.intermediates);
  }
  mark(inputs);
  mark(outputs);
  std::vector<int> new_index(tensors.size(), -1);
  std::vector<GraphTensor> kept;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!used[i]) continue;
    new_index[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(tensors[i]));
  }
  tensors = std::move(kept);
  auto remap = [&](std::vector<int>& v) {
    for (int& t : v)
      if (t >= 0) t = new_index[t];
  };
  for (GraphOp& op : ops) {
    remap(op.inputs);
    remap(op.outputs);
    remap(op.intermediates);
  }
  remap(inputs);
  remap(outputs);
}

void Graph::validate() const {
  const int n = static_cast<int>(tensors.size());
  auto check = [&](const std::string& what, const std::vector<int>& v, bool allow_omitted) {
    for (int t : v)
      if ((t < 0 && !(allow_omitted && t == -1)) || t >= n)
        throw std::invalid_argument(what + ": tensor index " + std::to_string(t) + " out of range (" +
                                    std::to_string(n) + " tensors)");
  };
  check("graph input", inputs, false);
  check("graph output", outputs, false);
  // Written: graph inputs, constants, state; then each op's outputs in execution order.
  std::vector<bool> available(tensors.size(), false);
  for (int t : inputs) available[t] = true;
  for (int t = 0; t < n; ++t)
    if (tensors[t].is_constant || tensors[t].is_variable) available[t] = true;
  for (size_t i = 0; i < ops.size(); ++i) {
    const GraphOp& op = ops[i];
    const std::string what = "op " + std::to_string(i) + " (" + op.name() + ")";
    check(what + " input", op.inputs, true);
    check(what + " output", op.outputs, false);
    check(what + " intermediate", op.intermediates, false);
    for (int t : op.inputs)
      if (t >= 0 && !available[t])
        throw std::invalid_argument(what + " reads " + tensor_label(t, tensors[t]) +
                                    " before any op writes it");
    for (int t : op.outputs) available[t] = true;
  }
  for (int t : outputs)
    if (!available[t])
      throw std::invalid_argument("graph output " + tensor_label(t, tensors[t]) + " is never written");
}

GraphTensor& Graph::tensor(int index) {
  if (index < 0 || index >= static_cast<int>(tensors.size()))
    throw std::invalid_argument("tensor index " + std::to_string(index) + " out of range");
  return tensors[index];
}

const GraphTensor& Graph::tensor(int index) const {
  return const_cast<Graph*>(this)->tensor(index);
}

}  // namespace edgeinfer::compiler
