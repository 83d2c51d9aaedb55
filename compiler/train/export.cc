#include "compiler/train/export.h"

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

void copy_weights(const std::vector<ModelWeights>& from, Network* network) {
  std::vector<Parameter<float>>& params = network->parameters();
  if (from.size() * 2 != params.size()) {
    throw std::invalid_argument("the model has " + std::to_string(from.size()) +
                                " conv/depthwise/dense layers, the network " +
                                std::to_string(params.size() / 2));
  }
  for (size_t i = 0; i < from.size(); ++i) {
    Parameter<float>& w = params[2 * i];
    Parameter<float>& b = params[2 * i + 1];
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

// The SPEC text of a chain of supported ops.
std::string spec_text(const Graph& g) {
  if (g.inputs.size() != 1 || g.outputs.size() != 1) {
    throw std::invalid_argument("the model must have one input and one output");
  }
  const GraphTensor& in = g.tensor(g.inputs[0]);
  if (in.type != DataType::kFloat32) throw std::invalid_argument("the model's input is not float32");
  std::string text;
  bool flat = in.shape.size() == 2;
  if (in.shape.size() == 4 && in.shape[0] == 1) {
    text = "input " + std::to_string(in.shape[1]) + "x" + std::to_string(in.shape[2]) + "x" +
           std::to_string(in.shape[3]) + "\n";
  } else if (flat && in.shape[0] == 1) {
    text = "input " + std::to_string(in.shape[1]) + "\n";
  } else {
    throw std::invalid_argument("the model's input must be [1,H,W,C] or [1,N]");
  }
  int current = g.inputs[0];
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    const int index = static_cast<int>(i);
    if (op.inputs.empty() || op.inputs[0] != current || op.outputs.size() != 1) {
      refuse(index, op, "the ops must form a chain from the input");
    }
    const GraphTensor& out = g.tensor(op.outputs[0]);
    if (out.type != DataType::kFloat32) refuse(index, op, "not float32");
    current = op.outputs[0];
    std::string line;
    if (op.is(BuiltinOp::kConv2D)) {
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
      if (!flat) text += "flatten\n";  // FULLY_CONNECTED flattens its input itself
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
      text.replace(text.size() - std::string(" none\n").size(), std::string::npos, " softmax\n");
      continue;
    } else {
      refuse(index, op, "no trainer layer does this");
    }
    flat = out.shape.size() == 2;
    text += line + "\n";
  }
  if (current != g.outputs[0]) throw std::invalid_argument("the last op does not write the model's output");
  return text;
}

}  // namespace

std::vector<uint8_t> export_tflite(const Network& network) {
  const NetworkSpec& spec = network.spec();
  const std::vector<Parameter<float>>& params = network.parameters();
  ModelBuilder b;
  int current = b.add_tensor(DataType::kFloat32, tensor_shape(spec.input), {}, "input");
  size_t next_param = 0;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& s = spec.layers[i];
    const std::string label = spec.layer_label(i);
    if (s.kind == LayerKind::kDropout) continue;
    int w = -1, bias = -1;
    if (s.trainable()) {
      const Parameter<float>& pw = params[next_param++];
      const Parameter<float>& pb = params[next_param++];
      w = b.add_constant<float>(DataType::kFloat32, pw.shape, pw.value, {}, pw.name);
      bias = b.add_constant<float>(DataType::kFloat32, pb.shape, pb.value, {}, pb.name);
    }
    const int out = b.add_tensor(DataType::kFloat32, tensor_shape(s.out), {},
                                 s.activation == Activation::kSoftmax ? label + "/logits" : label);
    const int stride = s.stride;
    const tflite::Padding padding = padding_of(s);
    const tflite::ActivationFunctionType act = fused(s.activation);
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
      case LayerKind::kDropout: break;
    }
    current = out;
    if (s.activation == Activation::kSoftmax) {
      const int probs = b.add_tensor(DataType::kFloat32, tensor_shape(s.out), {}, label);
      b.add_op(BuiltinOp::kSoftmax, {current}, {probs}, tflite::BuiltinOptions::SoftmaxOptions,
               [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); });
      current = probs;
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
