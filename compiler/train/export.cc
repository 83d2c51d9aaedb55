#include "compiler/train/export.h"

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "compiler/graph/graph.h"
#include "compiler/model_builder.h"

namespace edgeinfer::compiler::train {
namespace {

std::vector<int32_t> tensor_shape(const FeatureShape& s) {
  if (s.flat) return {1, s.channels};
  return {1, s.height, s.width, s.channels};
}

tflite::ActivationFunctionType fused(Activation a) {
  switch (a) {
    case Activation::kRelu: return tflite::ActivationFunctionType::RELU;
    case Activation::kRelu6: return tflite::ActivationFunctionType::RELU6;
    default: return tflite::ActivationFunctionType::NONE;
  }
}

tflite::Padding padding_of(const LayerSpec& s) {
  return s.padding == PaddingType::kSame ? tflite::Padding::SAME : tflite::Padding::VALID;
}

[[noreturn]] void refuse(int op, const GraphOp& g, const std::string& why) {
  throw std::invalid_argument("op " + std::to_string(op) + " (" + g.name() + "): " + why);
}

// Weights and bias of one CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, as floats.
struct ModelWeights {
  int op = 0;
  std::vector<int32_t> shape;
  std::vector<float> weights;
  std::vector<float> bias;  // empty: none in the model (zeros)
};

bool is_trainable(const GraphOp& op) {
  return op.is(BuiltinOp::kConv2D) || op.is(BuiltinOp::kDepthwiseConv2D) || op.is(BuiltinOp::kFullyConnected);
}

std::vector<ModelWeights> model_weights(const Graph& g) {
  std::vector<ModelWeights> result;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    if (!is_trainable(op)) continue;
    if (op.inputs.size() < 2 || op.inputs[1] < 0 || !g.tensor(op.inputs[1]).is_constant) {
      refuse(static_cast<int>(i), op, "its weights are not a constant");
    }
    ModelWeights w;
    w.op = static_cast<int>(i);
    w.shape = g.tensor(op.inputs[1]).shape;
    w.weights = g.tensor(op.inputs[1]).float_values();
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
      if (!g.tensor(op.inputs[2]).is_constant) refuse(w.op, op, "its bias is not a constant");
      w.bias = g.tensor(op.inputs[2]).float_values();
    }
    result.push_back(std::move(w));
  }
  return result;
}

// Index in parameters() of each weights parameter (its bias follows), skipping batchnorm's gamma and beta.
std::vector<size_t> weight_indices(const Network& network) {
  std::vector<size_t> result;
  const std::vector<Parameter<float>>& params = network.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (network.spec().layers[params[i].layer].trainable()) result.push_back(i++);
  }
  return result;
}

// The first of a layer's parameters (or state values), or null.
template <class V>
const Parameter<float>* first_of(const V& list, size_t layer) {
  for (const Parameter<float>& p : list) {
    if (p.layer == static_cast<int>(layer)) return &p;
  }
  return nullptr;
}

void copy_weights(const std::vector<ModelWeights>& from, Network* network) {
  std::vector<Parameter<float>>& params = network->parameters();
  const std::vector<size_t> weights = weight_indices(*network);
  if (from.size() != weights.size()) {
    throw std::invalid_argument("the model has " + std::to_string(from.size()) +
                                " conv/depthwise/dense layers, the network " +
                                std::to_string(weights.size()));
  }
  for (size_t i = 0; i < from.size(); ++i) {
    Parameter<float>& w = params[weights[i]];
    Parameter<float>& b = params[weights[i] + 1];
    const std::string where = "op " + std::to_string(from[i].op) + " for " + w.name;
    if (from[i].shape != w.shape || from[i].weights.size() != w.value.size()) {
      throw std::invalid_argument(where + ": weight shapes differ");
    }
    if (!from[i].bias.empty() && from[i].bias.size() != b.value.size()) {
      throw std::invalid_argument(where + ": bias sizes differ");
    }
    w.value = from[i].weights;
    if (from[i].bias.empty()) {
      std::fill(b.value.begin(), b.value.end(), 0.0f);
    } else {
      b.value = from[i].bias;
    }
  }
  // The model's weights have any batchnorm folded in already: make the network's batchnorms the identity
  // at inference (gamma 1, beta 0, moving mean 0, moving variance 1 - epsilon).
  for (Parameter<float>& p : params) {
    if (network->spec().layers[p.layer].kind != LayerKind::kBatchNorm) continue;
    std::fill(p.value.begin(), p.value.end(), p.name.ends_with("/gamma") ? 1.0f : 0.0f);
  }
  for (Parameter<float>& p : network->state()) {
    const bool variance = p.name.ends_with("/moving_variance");
    std::fill(p.value.begin(), p.value.end(), variance ? static_cast<float>(1.0 - kBatchNormEpsilon) : 0.0f);
  }
}

// Folds batchnorm `bn` (layer `bn_index`) into the weights and bias of the layer before it:
// w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
void fold_batch_norm(const Network& network, size_t bn_index, std::vector<float>* weights,
                     std::vector<float>* bias) {
  const LayerSpec& layer = network.spec().layers[bn_index - 1];
  const Parameter<float>* gamma = first_of(network.parameters(), bn_index);
  const Parameter<float>* beta = gamma + 1;
  const Parameter<float>* mean = first_of(network.state(), bn_index);
  const Parameter<float>* variance = mean + 1;
  const size_t channels = bias->size();
  std::vector<double> scale(channels);
  for (size_t c = 0; c < channels; ++c) {
    scale[c] = gamma->value[c] / std::sqrt(static_cast<double>(variance->value[c]) + kBatchNormEpsilon);
    (*bias)[c] =
        static_cast<float>((static_cast<double>((*bias)[c]) - mean->value[c]) * scale[c] + beta->value[c]);
  }
  // Depthwise weights [1,KH,KW,C] have the channel last; conv [O,KH,KW,I] and dense [U,D] first.
  const size_t per_channel = weights->size() / channels;
  for (size_t j = 0; j < weights->size(); ++j) {
    const size_t c = layer.kind == LayerKind::kDepthwise ? j % channels : j / per_channel;
    (*weights)[j] = static_cast<float>((*weights)[j] * scale[c]);
  }
}

std::string activation_word(const GraphOp& op, int index) {
  switch (op.fused_activation()) {
    case tflite_ir::ActivationFunctionType::NONE: return "none";
    case tflite_ir::ActivationFunctionType::RELU: return "relu";
    case tflite_ir::ActivationFunctionType::RELU6: return "relu6";
    default: refuse(index, op, "its fused activation has no trainer equivalent");
  }
}

std::string padding_word(tflite_ir::Padding p) {
  return p == tflite_ir::Padding::SAME ? "same" : "valid";
}

// The SPEC text of a chain of supported ops, in which ADDs may also read an earlier op's output (or the
// input): that line gets a label (r1, r2, ...) for the add line.
std::string spec_text(const Graph& g) {
  if (g.inputs.size() != 1 || g.outputs.size() != 1) {
    throw std::invalid_argument("the model must have one input and one output");
  }
  const GraphTensor& in = g.tensor(g.inputs[0]);
  if (in.type != DataType::kFloat32) throw std::invalid_argument("the model's input is not float32");
  struct Line {
    std::string label;
    std::string text;
  };
  std::vector<Line> lines;
  bool flat = in.shape.size() == 2;
  if (in.shape.size() == 4 && in.shape[0] == 1) {
    lines.push_back({"", "input " + std::to_string(in.shape[1]) + "x" + std::to_string(in.shape[2]) + "x" +
                             std::to_string(in.shape[3])});
  } else if (flat && in.shape[0] == 1) {
    lines.push_back({"", "input " + std::to_string(in.shape[1])});
  } else {
    throw std::invalid_argument("the model's input must be [1,H,W,C] or [1,N]");
  }
  std::map<int, size_t> line_of;  // tensor -> the line whose output it is
  line_of[g.inputs[0]] = 0;
  int labels = 0;
  int current = g.inputs[0];
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    const int index = static_cast<int>(i);
    const bool add = op.is(BuiltinOp::kAdd);
    const bool chained = !op.inputs.empty() && (op.inputs[0] == current ||
                                                (add && op.inputs.size() == 2 && op.inputs[1] == current));
    if (!chained || op.outputs.size() != 1) refuse(index, op, "the ops must form a chain from the input");
    const GraphTensor& out = g.tensor(op.outputs[0]);
    if (out.type != DataType::kFloat32) refuse(index, op, "not float32");
    std::string line;
    if (add) {
      if (op.inputs.size() != 2) refuse(index, op, "an ADD needs two inputs");
      const int other = op.inputs[0] == current ? op.inputs[1] : op.inputs[0];
      const auto from = line_of.find(other);
      if (from == line_of.end()) refuse(index, op, "only an ADD of the current output and an earlier one");
      if (g.tensor(other).shape != g.tensor(current).shape || out.shape != g.tensor(current).shape) {
        refuse(index, op, "only an ADD of two tensors of the same shape");
      }
      Line& labelled = lines[from->second];
      if (labelled.label.empty()) labelled.label = "r" + std::to_string(++labels);
      line = "add " + labelled.label + " " + activation_word(op, index);
    } else if (op.is(BuiltinOp::kConv2D)) {
      const auto* o = op.options.AsConv2DOptions();
      const auto& w = g.tensor(op.inputs[1]).shape;
      if (!o || w.size() != 4 || o->stride_w != o->stride_h || o->dilation_w_factor != 1 ||
          o->dilation_h_factor != 1) {
        refuse(index, op, "only square strides, no dilation");
      }
      line = "conv2d " + std::to_string(w[0]) + " " + std::to_string(w[1]) + "x" + std::to_string(w[2]) +
             " stride " + std::to_string(o->stride_w) + " " + padding_word(o->padding) + " " +
             activation_word(op, index);
    } else if (op.is(BuiltinOp::kDepthwiseConv2D)) {
      const auto* o = op.options.AsDepthwiseConv2DOptions();
      const auto& w = g.tensor(op.inputs[1]).shape;
      const auto& x = g.tensor(op.inputs[0]).shape;
      if (!o || w.size() != 4 || x.size() != 4 || w[3] != x[3] || o->stride_w != o->stride_h ||
          o->dilation_w_factor != 1 || o->dilation_h_factor != 1) {
        refuse(index, op, "only depth multiplier 1, square strides, no dilation");
      }
      line = "depthwise " + std::to_string(w[1]) + "x" + std::to_string(w[2]) + " stride " +
             std::to_string(o->stride_w) + " " + padding_word(o->padding) + " " + activation_word(op, index);
    } else if (op.is(BuiltinOp::kFullyConnected)) {
      const auto& w = g.tensor(op.inputs[1]).shape;
      if (w.size() != 2) refuse(index, op, "weights must be [units, inputs]");
      if (!flat) lines.push_back({"", "flatten"});  // FULLY_CONNECTED flattens its input itself
      line = "dense " + std::to_string(w[0]) + " " + activation_word(op, index);
    } else if (op.is(BuiltinOp::kMaxPool2D) || op.is(BuiltinOp::kAveragePool2D)) {
      const auto* o = op.options.AsPool2DOptions();
      if (!o || o->stride_w != o->stride_h ||
          o->fused_activation_function != tflite_ir::ActivationFunctionType::NONE) {
        refuse(index, op, "only square strides, no fused activation");
      }
      line = std::string(op.is(BuiltinOp::kMaxPool2D) ? "maxpool " : "avgpool ") +
             std::to_string(o->filter_height) + "x" + std::to_string(o->filter_width) + " stride " +
             std::to_string(o->stride_w) + " " + padding_word(o->padding);
    } else if (op.is(BuiltinOp::kMean)) {
      const GraphTensor& axes = g.tensor(op.inputs.at(1));
      const auto values =
          axes.is_constant && axes.type == DataType::kInt32 ? axes.values<int32_t>() : std::vector<int32_t>{};
      if (values != std::vector<int32_t>{1, 2} && values != std::vector<int32_t>{2, 1}) {
        refuse(index, op, "only the mean over H and W");
      }
      line = "globalavgpool";
    } else if (op.is(BuiltinOp::kReshape)) {
      if (out.shape.size() != 2 || out.shape[0] != 1) refuse(index, op, "only a flatten to [1, N]");
      line = "flatten";
    } else if (op.is(BuiltinOp::kSoftmax)) {
      const auto* o = op.options.AsSoftmaxOptions();
      const bool after_dense = i > 0 && g.ops[i - 1].is(BuiltinOp::kFullyConnected) &&
                               g.ops[i - 1].fused_activation() == tflite_ir::ActivationFunctionType::NONE;
      if (i + 1 != g.ops.size() || !o || o->beta != 1.0f || !after_dense) {
        refuse(index, op, "only a softmax (beta 1) after a FULLY_CONNECTED without activation, at the end");
      }
      std::string& dense = lines.back().text;
      dense.replace(dense.size() - std::string(" none").size(), std::string::npos, " softmax");
      current = op.outputs[0];
      line_of[current] = lines.size() - 1;
      continue;
    } else {
      refuse(index, op, "no trainer layer does this");
    }
    current = op.outputs[0];
    flat = out.shape.size() == 2;
    lines.push_back({"", line});
    line_of[current] = lines.size() - 1;
  }
  if (current != g.outputs[0]) throw std::invalid_argument("the last op does not write the model's output");
  std::string text;
  for (const Line& l : lines) text += (l.label.empty() ? "" : l.label + ": ") + l.text + "\n";
  return text;
}

}  // namespace

std::vector<uint8_t> export_tflite(const Network& network) {
  const NetworkSpec& spec = network.spec();
  ModelBuilder b;
  int current = b.add_tensor(DataType::kFloat32, tensor_shape(spec.input), {}, "input");
  std::vector<int> tensor_of(spec.layers.size() + 1);  // the tensor holding the input / each layer's output
  tensor_of[0] = current;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& s = spec.layers[i];
    // Dropout writes nothing; batchnorm is folded into the layer before it.
    if (s.kind == LayerKind::kDropout || s.kind == LayerKind::kBatchNorm) {
      tensor_of[i + 1] = current;
      continue;
    }
    const bool fold = i + 1 < spec.layers.size() && spec.layers[i + 1].kind == LayerKind::kBatchNorm;
    // A folded layer's output is the batchnorm's, with the batchnorm's activation. It keeps the layer's
    // name, so that an imported model (without batchnorm) exports to the same bytes.
    const std::string label = spec.layer_label(i);
    const Activation activation = fold ? spec.layers[i + 1].activation : s.activation;
    int w = -1, bias = -1;
    if (s.trainable()) {
      const Parameter<float>* pw = first_of(network.parameters(), i);
      const Parameter<float>* pb = pw + 1;
      std::vector<float> weights = pw->value, biases = pb->value;
      if (fold) fold_batch_norm(network, i + 1, &weights, &biases);
      w = b.add_constant<float>(DataType::kFloat32, pw->shape, weights, {}, pw->name);
      bias = b.add_constant<float>(DataType::kFloat32, pb->shape, biases, {}, pb->name);
    }
    const int out = b.add_tensor(DataType::kFloat32, tensor_shape(s.out), {},
                                 activation == Activation::kSoftmax ? label + "/logits" : label);
    const int stride = s.stride;
    const tflite::Padding padding = padding_of(s);
    const tflite::ActivationFunctionType act = fused(activation);
    switch (s.kind) {
      case LayerKind::kConv2D:
        b.add_op(BuiltinOp::kConv2D, {current, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions,
                 [=](auto& fbb) {
                   return tflite::CreateConv2DOptions(fbb, padding, stride, stride, act).Union();
                 });
        break;
      case LayerKind::kDepthwise:
        b.add_op(BuiltinOp::kDepthwiseConv2D, {current, w, bias}, {out},
                 tflite::BuiltinOptions::DepthwiseConv2DOptions, [=](auto& fbb) {
                   return tflite::CreateDepthwiseConv2DOptions(fbb, padding, stride, stride, 1, act).Union();
                 });
        break;
      case LayerKind::kDense:
        b.add_op(BuiltinOp::kFullyConnected, {current, w, bias}, {out},
                 tflite::BuiltinOptions::FullyConnectedOptions,
                 [=](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb, act).Union(); });
        break;
      case LayerKind::kMaxPool:
      case LayerKind::kAvgPool: {
        const int kh = s.kernel_height, kw = s.kernel_width;
        b.add_op(s.kind == LayerKind::kMaxPool ? BuiltinOp::kMaxPool2D : BuiltinOp::kAveragePool2D, {current},
                 {out}, tflite::BuiltinOptions::Pool2DOptions, [=](auto& fbb) {
                   return tflite::CreatePool2DOptions(fbb, padding, stride, stride, kw, kh).Union();
                 });
        break;
      }
      case LayerKind::kGlobalAvgPool: {
        const int axes = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 2}, {}, label + "/axes");
        b.add_op(BuiltinOp::kMean, {current, axes}, {out}, tflite::BuiltinOptions::ReducerOptions,
                 [](auto& fbb) { return tflite::CreateReducerOptions(fbb, false).Union(); });
        break;
      }
      case LayerKind::kFlatten: {
        const std::vector<int32_t> shape = tensor_shape(s.out);
        const int shape_tensor = b.add_constant<int32_t>(DataType::kInt32, {2}, shape, {}, label + "/shape");
        b.add_op(BuiltinOp::kReshape, {current, shape_tensor}, {out}, tflite::BuiltinOptions::ReshapeOptions,
                 [=](auto& fbb) { return tflite::CreateReshapeOptionsDirect(fbb, &shape).Union(); });
        break;
      }
      case LayerKind::kAdd:
        b.add_op(BuiltinOp::kAdd, {current, tensor_of[s.residual + 1]}, {out},
                 tflite::BuiltinOptions::AddOptions,
                 [=](auto& fbb) { return tflite::CreateAddOptions(fbb, act).Union(); });
        break;
      case LayerKind::kDropout:
      case LayerKind::kBatchNorm: break;
    }
    current = out;
    tensor_of[i + 1] = out;
    if (activation == Activation::kSoftmax) {
      const int probs = b.add_tensor(DataType::kFloat32, tensor_shape(s.out), {}, label);
      b.add_op(BuiltinOp::kSoftmax, {current}, {probs}, tflite::BuiltinOptions::SoftmaxOptions,
               [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); });
      current = probs;
      tensor_of[i + 1] = probs;
    }
  }
  if (b.num_ops() == 0) throw std::invalid_argument("the network has no layer to export (only dropout)");
  b.set_inputs({0});
  b.set_outputs({current});
  b.set_description("edgeinfer train");
  return b.finish();
}

Network import_tflite(std::span<const uint8_t> model, uint64_t seed) {
  const Graph g = Graph::read(model);
  Network network(parse_spec(spec_text(g)), seed);
  copy_weights(model_weights(g), &network);
  return network;
}

void load_parameters(std::span<const uint8_t> model, Network* network) {
  copy_weights(model_weights(Graph::read(model)), network);
}

}  // namespace edgeinfer::compiler::train
