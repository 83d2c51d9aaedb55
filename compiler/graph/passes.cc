#include "compiler/graph/passes.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"

namespace edgeinfer::compiler {
namespace {

using Act = tflite_ir::ActivationFunctionType;

// Folded outputs above this many elements would bloat the model more than the op costs to run.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 20;

// How many op input slots read `t` (an op reading it twice counts twice).
int input_uses(const Graph& g, int t) {
  int n = 0;
  for (const GraphOp& op : g.ops) n += static_cast<int>(std::count(op.inputs.begin(), op.inputs.end(), t));
  return n;
}

bool is_plain_float(const GraphTensor& t) {
  return t.type == DataType::kFloat32 && !t.quant.is_quantized() && !t.is_variable;
}

bool is_plain_float_constant(const GraphTensor& t) {
  return is_plain_float(t) && t.is_constant;
}

bool same_quant(const QuantParams& a, const QuantParams& b) {
  return a.scales == b.scales && a.zero_points == b.zero_points &&
         (a.scales.size() <= 1 || a.quantized_dimension == b.quantized_dimension);
}

// Shape and (unknown-dimension) signature both equal: a tensor with a dynamic dimension is not the same as
// one whose dimension is fixed, even when their static shapes agree.
bool same_shape(const GraphTensor& a, const GraphTensor& b) {
  const auto& sa = a.shape_signature.empty() ? a.shape : a.shape_signature;
  const auto& sb = b.shape_signature.empty() ? b.shape : b.shape_signature;
  return a.shape == b.shape && sa == sb;
}

// ---- Constant folding ----

// The outputs' bytes of op `index` run alone by the runtime on its constant inputs; nullopt when the
// runtime cannot build, prepare or run it, or gives outputs of other shapes than the graph declares.
std::optional<std::vector<std::vector<uint8_t>>> run_alone(const Graph& g, int index,
                                                           const OpResolver& resolver) {
  const GraphOp& op = g.ops[index];
  Graph one;
  std::map<int, int> remap;
  auto take = [&](int t) {
    if (t < 0) return -1;
    auto [it, added] = remap.try_emplace(t, static_cast<int>(one.tensors.size()));
    if (added) one.tensors.push_back(g.tensors[t]);
    return it->second;
  };
  GraphOp copy = op;
  for (int& t : copy.inputs) t = take(t);
  for (int& t : copy.outputs) t = take(t);
  one.outputs = copy.outputs;
  one.ops.push_back(std::move(copy));
  try {
    const std::vector<uint8_t> bytes = one.write();
    host::LoadedModel loaded;
    if (!loaded.load_bytes(bytes.data(), bytes.size()).is_ok()) return std::nullopt;
    host::HostInterpreter runner;
    if (!runner.init(loaded.model(), resolver).is_ok()) return std::nullopt;
    if (!runner.interpreter().invoke().is_ok()) return std::nullopt;
    std::vector<std::vector<uint8_t>> outputs;
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      const GraphTensor& declared = g.tensors[op.outputs[i]];
      const Tensor out = runner.interpreter().output(static_cast<int>(i));
      if (out.type != declared.type || out.shape.rank != static_cast<int>(declared.shape.size()) ||
          !std::equal(declared.shape.begin(), declared.shape.end(), out.shape.dims) ||
          out.bytes != static_cast<size_t>(declared.num_elements()) * data_type_size(declared.type))
        return std::nullopt;
      const auto* data = static_cast<const uint8_t*>(out.data);
      outputs.emplace_back(data, data + out.bytes);
    }
    return outputs;
  } catch (const std::exception&) {
    return std::nullopt;  // not representable as a model: leave the op alone
  }
}

bool foldable(const Graph& g, const GraphOp& op) {
  // DEQUANTIZE of constants keeps weights narrow (float16, int8) on purpose; SVDF/LSTM keep state.
  if (op.is(BuiltinOp::kCustom) || op.is(BuiltinOp::kDequantize) || op.is(BuiltinOp::kSvdf) ||
      op.is(BuiltinOp::kUnidirectionalSequenceLstm) || !op.intermediates.empty())
    return false;
  bool any_input = false;
  for (int t : op.inputs) {
    if (t < 0) continue;
    const GraphTensor& tensor = g.tensors[t];
    if (!tensor.is_constant || tensor.is_variable) return false;
    any_input = true;
  }
  if (!any_input) return false;
  for (int t : op.outputs) {
    const GraphTensor& tensor = g.tensors[t];
    if (g.is_graph_output(t) || tensor.is_variable || data_type_size(tensor.type) == 0 ||
        tensor.num_elements() > kMaxFoldedElements)
      return false;
  }
  return true;
}

// ---- Activations as clamp intervals ----

struct Interval {
  float lo, hi;
  bool operator==(const Interval&) const = default;
};

std::optional<Interval> interval_of(Act act) {
  switch (act) {
    case Act::NONE: return Interval{-INFINITY, INFINITY};
    case Act::RELU: return Interval{0, INFINITY};
    case Act::RELU6: return Interval{0, 6};
    case Act::RELU_N1_TO_1: return Interval{-1, 1};
    default: return std::nullopt;  // TANH, SIGN_BIT: not a clamp
  }
}

std::optional<Act> standalone_activation(const GraphOp& op) {
  if (op.is(BuiltinOp::kRelu)) return Act::RELU;
  if (op.is(BuiltinOp::kRelu6)) return Act::RELU6;
  if (op.is(BuiltinOp::kReluN1To1)) return Act::RELU_N1_TO_1;
  return std::nullopt;
}

// `first` then `second` as one activation, when some activation clamps to exactly that interval.
std::optional<Act> compose(Act first, Act second) {
  const auto a = interval_of(first), b = interval_of(second);
  if (!a || !b) return std::nullopt;
  const Interval both{std::max(a->lo, b->lo), std::min(a->hi, b->hi)};
  for (Act act : {Act::NONE, Act::RELU, Act::RELU6, Act::RELU_N1_TO_1})
    if (interval_of(act) == both) return act;
  return std::nullopt;  // e.g. RELU then RELU_N1_TO_1 = [0, 1]
}

// Ops whose fused activation clamps their float output (and which the runtime applies). Not
// CONCATENATION (the runtime rejects a fused activation there), SVDF (state), LSTM (a gate function).
bool clamps_output(const GraphOp& op) {
  switch (op.op()) {
    case BuiltinOp::kConv2D:
    case BuiltinOp::kDepthwiseConv2D:
    case BuiltinOp::kFullyConnected:
    case BuiltinOp::kTransposeConv:
    case BuiltinOp::kAdd:
    case BuiltinOp::kSub:
    case BuiltinOp::kMul:
    case BuiltinOp::kDiv:
    case BuiltinOp::kAveragePool2D:
    case BuiltinOp::kMaxPool2D: return true;
    default: return false;
  }
}

bool fuse_activation_at(Graph& g, int index) {
  const GraphOp& relu = g.ops[index];
  const std::optional<Act> act = standalone_activation(relu);
  if (!act || relu.inputs.size() != 1 || relu.outputs.size() != 1 || relu.inputs[0] < 0) return false;
  const int mid = relu.inputs[0], out = relu.outputs[0];
  if (!is_plain_float(g.tensors[mid]) || !is_plain_float(g.tensors[out]) ||
      g.tensors[mid].shape != g.tensors[out].shape)
    return false;
  const int p = g.producer(mid);
  if (p < 0 || g.is_graph_output(mid) || input_uses(g, mid) != 1) return false;
  GraphOp& producer = g.ops[p];
  if (!clamps_output(producer) || !producer.options.value || producer.outputs.size() != 1) return false;
  const std::optional<Act> combined = compose(producer.fused_activation(), *act);
  if (!combined || !producer.set_fused_activation(*combined)) return false;
  // The producer writes the activation's tensor, so a graph output keeps its tensor and name.
  producer.outputs[0] = out;
  g.remove_op(index);
  return true;
}

// ---- Identity ops ----

bool remove_identity_reshape(Graph& g, int index) {
  const GraphOp& op = g.ops[index];
  if (!op.is(BuiltinOp::kReshape) || op.inputs.empty() || op.inputs[0] < 0 || op.outputs.size() != 1)
    return false;
  const int in = op.inputs[0], out = op.outputs[0];
  const GraphTensor &a = g.tensors[in], &b = g.tensors[out];
  if (a.type != b.type || !same_shape(a, b) || !same_quant(a.quant, b.quant) || b.is_variable) return false;
  if (!g.is_graph_output(out)) {
    g.replace_uses(out, in);
  } else {
    // The output must stay: have the input's producer write it directly, when nothing else needs the input.
    const int p = g.producer(in);
    if (p < 0 || g.is_graph_output(in) || input_uses(g, in) != 1) return false;
    std::replace(g.ops[p].outputs.begin(), g.ops[p].outputs.end(), in, out);
  }
  g.remove_op(index);
  return true;
}

// Integer values of a DEQUANTIZE come back exactly through a QUANTIZE with the same parameters: the float
// round trip (q - zp) * s / s is within a few ulps of q - zp (|q - zp| < 2^17), far below the 0.5 where
// rounding could change it, as long as the products stay normal floats.
bool round_trips_exactly(const GraphTensor& t) {
  if (t.type != DataType::kInt8 && t.type != DataType::kUInt8 && t.type != DataType::kInt16) return false;
  if (t.quant.scales.size() != 1 || t.quant.zero_points.size() != 1) return false;
  const float scale = t.quant.scales[0];
  return std::isnormal(scale) && scale > 1e-30f && scale < 1e30f;
}

bool remove_dequantize_quantize(Graph& g, int index) {
  const GraphOp& quantize = g.ops[index];
  if (!quantize.is(BuiltinOp::kQuantize) || quantize.inputs.size() != 1 || quantize.inputs[0] < 0 ||
      quantize.outputs.size() != 1)
    return false;
  const int mid = quantize.inputs[0], q_out = quantize.outputs[0];
  const int d = g.producer(mid);
  if (d < 0 || !g.ops[d].is(BuiltinOp::kDequantize) || g.ops[d].inputs.size() != 1 || g.ops[d].inputs[0] < 0)
    return false;
  const int d_in = g.ops[d].inputs[0];
  const GraphTensor &source = g.tensors[d_in], &result = g.tensors[q_out];
  if (g.tensors[mid].type != DataType::kFloat32 || !round_trips_exactly(source) ||
      result.type != source.type || !same_quant(result.quant, source.quant) || !same_shape(result, source) ||
      g.is_graph_output(q_out) || result.is_variable)
    return false;
  g.replace_uses(q_out, d_in);
  g.remove_op(index);
  if (input_uses(g, mid) == 0 && !g.is_graph_output(mid)) g.remove_op(d);  // d < index: still valid
  return true;
}

// ---- Batch-norm folding ----

// Index of a constant only op `op_index` reads (once): the tensor itself, or a copy named `name` when
// other ops or the graph's outputs share it.
int own_constant(Graph& g, int op_index, int slot, const std::string& name) {
  const int t = g.ops[op_index].inputs[slot];
  if (input_uses(g, t) == 1 && !g.is_graph_output(t)) return t;
  GraphTensor copy = g.tensors[t];
  copy.name = name;
  const int c = g.add_tensor(std::move(copy));
  g.ops[op_index].inputs[slot] = c;
  return c;
}

bool fold_batch_norm_at(Graph& g, int ci) {
  const GraphOp& conv = g.ops[ci];
  const bool depthwise = conv.is(BuiltinOp::kDepthwiseConv2D);
  if (!conv.is(BuiltinOp::kConv2D) && !depthwise && !conv.is(BuiltinOp::kFullyConnected)) return false;
  if (conv.inputs.size() < 2 || conv.inputs.size() > 3 || conv.outputs.size() != 1 ||
      conv.fused_activation() != Act::NONE)
    return false;
  if (const auto* fc = conv.options.AsFullyConnectedOptions();
      fc && fc->weights_format != tflite_ir::FullyConnectedOptionsWeightsFormat::DEFAULT)
    return false;
  const int x = conv.inputs[0], w = conv.inputs[1], b = conv.inputs.size() > 2 ? conv.inputs[2] : -1;
  const int out = conv.outputs[0];
  if (x < 0 || w < 0 || !is_plain_float(g.tensors[x]) || !is_plain_float(g.tensors[out]) ||
      !is_plain_float_constant(g.tensors[w]) || (b >= 0 && !is_plain_float_constant(g.tensors[b])))
    return false;
  const std::vector<int32_t> out_shape = g.tensors[out].shape;
  const std::vector<int32_t> w_shape = g.tensors[w].shape;
  if (out_shape.empty() || w_shape.empty()) return false;
  const int32_t channels = out_shape.back();
  // Output channel of the weights: first dimension, last for depthwise ([1, H, W, C]).
  if (channels <= 0 || (depthwise ? w_shape.back() : w_shape.front()) != channels) return false;
  if (b >= 0 && g.tensors[b].num_elements() != channels) return false;

  if (g.is_graph_output(out) || input_uses(g, out) != 1) return false;
  const int ni = g.consumers(out).front();
  const GraphOp& next = g.ops[ni];
  const bool mul = next.is(BuiltinOp::kMul), sub = next.is(BuiltinOp::kSub);
  if ((!mul && !sub && !next.is(BuiltinOp::kAdd)) || next.inputs.size() != 2 || next.outputs.size() != 1)
    return false;
  int k;  // the constant operand; SUB only as `out - k`
  if (next.inputs[0] == out) {
    k = next.inputs[1];
  } else if (!sub) {
    k = next.inputs[0];
  } else {
    return false;
  }
  const int result = next.outputs[0];
  if (k < 0 || !is_plain_float_constant(g.tensors[k]) || !is_plain_float(g.tensors[result]) ||
      g.tensors[result].shape != out_shape)
    return false;
  // Per channel: broadcasts along the last dimension only (one value, or C values in the last dimension).
  const GraphTensor& kt = g.tensors[k];
  if (kt.shape.size() > out_shape.size()) return false;
  for (size_t d = 0; d + 1 < kt.shape.size(); ++d)
    if (kt.shape[d] != 1) return false;
  const int64_t count = kt.num_elements();
  if (count != 1 && (count != channels || kt.shape.back() != channels)) return false;
  const std::vector<float> operand = kt.values<float>();
  for (float v : operand)
    if (!std::isfinite(v)) return false;
  const Act act = next.fused_activation();
  if (!interval_of(act) || (act != Act::NONE && !conv.options.value)) return false;

  // Rewrite. Tensors are added before any reference into g.tensors is taken.
  const std::string base = g.tensors[out].name;
  const int weights = own_constant(g, ci, 1, base + "/weights");
  int bias;
  if (b >= 0) {
    bias = own_constant(g, ci, 2, base + "/bias");
  } else {
    GraphTensor zero;
    zero.type = DataType::kFloat32;
    zero.shape = {channels};
    zero.name = base + "/bias";
    zero.set_values<float>(DataType::kFloat32, std::vector<float>(channels, 0.0f));
    bias = g.add_tensor(std::move(zero));
    g.ops[ci].inputs.resize(3);
    g.ops[ci].inputs[2] = bias;
  }
  auto at = [&](int64_t c) { return operand[count == 1 ? 0 : c]; };
  std::vector<float> bias_values = g.tensors[bias].values<float>();
  if (mul) {
    std::vector<float> wv = g.tensors[weights].values<float>();
    const int64_t inner = static_cast<int64_t>(wv.size()) / channels;
    for (size_t e = 0; e < wv.size(); ++e)
      wv[e] *= at(depthwise ? static_cast<int64_t>(e % channels) : static_cast<int64_t>(e) / inner);
    g.tensors[weights].set_values<float>(DataType::kFloat32, wv);
    for (int32_t c = 0; c < channels; ++c) bias_values[c] *= at(c);
  } else {
    for (int32_t c = 0; c < channels; ++c) bias_values[c] += sub ? -at(c) : at(c);
  }
  g.tensors[bias].set_values<float>(DataType::kFloat32, bias_values);
  if (g.ops[ci].options.value) g.ops[ci].set_fused_activation(act);
  g.ops[ci].outputs[0] = result;
  g.remove_op(ni);
  return true;
}

// Applies `rewrite` at every op index until none applies; each rewrite removes at least one op, so this
// ends. Restarts after a rewrite because indices shift.
template <class Rewrite>
int rewrite_all(Graph& g, Rewrite rewrite) {
  g.validate();
  int count = 0;
  for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
    if (rewrite(g, i)) {
      ++count;
      i = -1;
    }
  }
  if (count > 0) g.remove_unused_tensors();
  return count;
}

}  // namespace

int fold_constants(Graph& g) {
  g.validate();
  const AllOpsResolver resolver;
  int count = 0;
  // Execution order: an op whose inputs were just folded is seen after them in the same sweep.
  for (int i = 0; i < static_cast<int>(g.ops.size());) {
    if (!foldable(g, g.ops[i])) {
      ++i;
      continue;
    }
    const auto outputs = run_alone(g, i, resolver);
    if (!outputs) {
      ++i;
      continue;
    }
    for (size_t o = 0; o < outputs->size(); ++o) {
      GraphTensor& t = g.tensors[g.ops[i].outputs[o]];
      t.is_constant = true;
      t.data = (*outputs)[o];
    }
    g.remove_op(i);
    ++count;
  }
  if (count > 0) g.remove_unused_tensors();
  return count;
}

int fuse_activations(Graph& g) {
  return rewrite_all(g, fuse_activation_at);
}

int remove_identity_ops(Graph& g) {
  return rewrite_all(g, [](Graph& graph, int i) {
    return remove_identity_reshape(graph, i) || remove_dequantize_quantize(graph, i);
  });
}

int fold_batch_norm(Graph& g) {
  return rewrite_all(g, fold_batch_norm_at);
}

int optimize(Graph& g) {
  int total = 0;
  // Every rewrite removes an op, so this reaches a fixed point.
  for (;;) {
    const int n = fold_constants(g) + remove_identity_ops(g) + fold_batch_norm(g) + fuse_activations(g);
    if (n == 0) return total;
    total += n;
  }
}

}  // namespace edgeinfer::compiler
