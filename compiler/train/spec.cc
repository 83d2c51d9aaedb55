#include "compiler/train/spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

namespace edgeinfer::compiler::train {
namespace {

[[noreturn]] void fail(int line, const std::string& message) {
  throw SpecError("line " + std::to_string(line) + ": " + message);
}

std::vector<std::string> tokenize(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string> tokens;
  std::string token;
  for (char c : line) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!token.empty()) tokens.push_back(std::move(token));
      token.clear();
    } else {
      token += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!token.empty()) tokens.push_back(std::move(token));
  return tokens;
}

std::optional<int> to_int(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxSpecNumber) {
    return std::nullopt;
  }
  return value;
}

int parse_count(int line, const std::string& text, const char* what) {
  const std::optional<int> value = to_int(text);
  if (!value) {
    fail(line, "bad " + std::string(what) + " '" + text + "' (a whole number from 1 to " +
                   std::to_string(kMaxSpecNumber) + ")");
  }
  return *value;
}

// "AxBx..." with `parts` whole numbers; nullopt when malformed.
std::optional<std::vector<int>> to_dims(const std::string& text, size_t parts) {
  std::vector<int> dims;
  size_t start = 0;
  while (true) {
    const size_t x = text.find('x', start);
    const std::optional<int> value = to_int(std::string_view(text).substr(start, x - start));
    if (!value) return std::nullopt;
    dims.push_back(*value);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (dims.size() != parts) return std::nullopt;
  return dims;
}

std::optional<Activation> to_activation(const std::string& token) {
  if (token == "none") return Activation::kNone;
  if (token == "relu") return Activation::kRelu;
  if (token == "relu6") return Activation::kRelu6;
  if (token == "softmax") return Activation::kSoftmax;
  return std::nullopt;
}

// A layer's activation after its arguments: relu, relu6 or none (no softmax: it belongs to dense).
void parse_activation(int line, const std::vector<std::string>& tokens, size_t index, LayerSpec* layer) {
  if (index >= tokens.size()) return;
  const auto act = to_activation(tokens[index]);
  if (!act || *act == Activation::kSoftmax) {
    fail(line, "unknown activation '" + tokens[index] + "' for " + layer_name(layer->kind) +
                   " (expected relu, relu6, none)");
  }
  layer->activation = *act;
  if (index + 1 < tokens.size()) {
    fail(line, "unexpected '" + tokens[index + 1] + "' after " + layer_name(layer->kind));
  }
}

// Removes a leading `NAME:` (or `NAME :`, `NAME:keyword`) from the tokens and returns NAME, or "".
std::string take_label(int line, std::vector<std::string>* tokens) {
  std::vector<std::string>& t = *tokens;
  if (t.size() >= 2 && t[1].front() == ':' && t[0].find(':') == std::string::npos) {
    t[0] += t[1];
    t.erase(t.begin() + 1);
  }
  const size_t colon = t[0].find(':');
  if (colon == std::string::npos) return "";
  const std::string name = t[0].substr(0, colon);
  const bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                     });
  if (!valid)
    fail(line, "bad label '" + t[0] + "' (NAME: with letters, digits and _, not starting with a digit)");
  if (colon + 1 < t[0].size()) {
    t[0] = t[0].substr(colon + 1);
  } else {
    t.erase(t.begin());
  }
  if (t.empty()) fail(line, "label '" + name + "' needs a layer after it on the same line");
  return name;
}

// Options of windowed layers: [stride S] [same|valid] and, for convolutions, [relu|relu6|none].
void parse_window_options(int line, const std::vector<std::string>& tokens, size_t first, bool convolution,
                          LayerSpec* layer) {
  bool stride_seen = false, padding_seen = false, activation_seen = false;
  auto once = [line](bool* seen, const char* what) {
    if (*seen) fail(line, std::string(what) + " given twice");
    *seen = true;
  };
  for (size_t i = first; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "stride") {
      once(&stride_seen, "stride");
      if (i + 1 == tokens.size()) fail(line, "'stride' needs a number");
      layer->stride = parse_count(line, tokens[++i], "stride");
    } else if (t == "same" || t == "valid") {
      once(&padding_seen, "padding");
      layer->padding = t == "same" ? PaddingType::kSame : PaddingType::kValid;
    } else if (const auto act = to_activation(t); convolution && act && *act != Activation::kSoftmax) {
      once(&activation_seen, "activation");
      layer->activation = *act;
    } else {
      fail(line, "unknown option '" + t + "' for " + layer_name(layer->kind) +
                     " (expected stride S, same, valid" + (convolution ? ", relu, relu6, none)" : ")"));
    }
  }
}

void parse_kernel(int line, const std::vector<std::string>& tokens, size_t index, LayerSpec* layer) {
  if (index >= tokens.size()) fail(line, std::string(layer_name(layer->kind)) + " needs a kernel size KxK");
  auto dims = to_dims(tokens[index], 2);
  if (!dims) dims = to_dims(tokens[index], 1);  // "3" for 3x3
  if (!dims) {
    fail(line, "bad kernel size '" + tokens[index] + "' (KxK, K a whole number from 1 to " +
                   std::to_string(kMaxSpecNumber) + ")");
  }
  layer->kernel_height = (*dims)[0];
  layer->kernel_width = dims->back();
}

// Shape inference; throws naming the line when the input does not suit the layer or the output is empty.
void infer_shape(LayerSpec* layer) {
  const FeatureShape& in = layer->in;
  FeatureShape& out = layer->out;
  const int line = layer->line;
  const std::string name = layer_name(layer->kind);
  switch (layer->kind) {
    case LayerKind::kConv2D:
    case LayerKind::kDepthwise:
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool:
    case LayerKind::kGlobalAvgPool:
      if (in.flat) fail(line, name + " needs an HxWxC input, but it gets a flat " + in.str());
      break;
    case LayerKind::kDense:
      if (!in.flat)
        fail(line, "dense needs a flat input, but it gets " + in.str() +
                       ": add flatten or globalavgpool before it");
      break;
    default: break;
  }
  switch (layer->kind) {
    case LayerKind::kConv2D:
    case LayerKind::kDepthwise:
    case LayerKind::kMaxPool:
    case LayerKind::kAvgPool: {
      const int64_t h = compute_out_size(layer->padding, in.height, layer->kernel_height, layer->stride);
      const int64_t w = compute_out_size(layer->padding, in.width, layer->kernel_width, layer->stride);
      const int channels = layer->kind == LayerKind::kConv2D ? layer->units : in.channels;
      if (h < 1 || w < 1) {
        fail(line, name + " " + std::to_string(layer->kernel_height) + "x" +
                       std::to_string(layer->kernel_width) + " stride " + std::to_string(layer->stride) +
                       (layer->padding == PaddingType::kSame ? " same" : " valid") + " turns " + in.str() +
                       " into " + std::to_string(std::max<int64_t>(h, 0)) + "x" +
                       std::to_string(std::max<int64_t>(w, 0)) + "x" + std::to_string(channels));
      }
      out = {static_cast<int>(h), static_cast<int>(w), channels, false};
      break;
    }
    case LayerKind::kGlobalAvgPool: out = {1, 1, in.channels, true}; break;
    case LayerKind::kFlatten: out = {1, 1, static_cast<int>(in.size()), true}; break;
    case LayerKind::kDense: out = {1, 1, layer->units, true}; break;
    case LayerKind::kDropout:
    case LayerKind::kBatchNorm:
    case LayerKind::kAdd: out = in; break;
  }
  if (out.size() > kMaxLayerValues || layer->parameter_count() > kMaxLayerValues) {
    fail(line, name + " is too large: " + out.str() + " outputs, " +
                   std::to_string(layer->parameter_count()) + " parameters (at most " +
                   std::to_string(kMaxLayerValues) + " each)");
  }
}

// `residual_label`: set to an add's NAME.
LayerSpec parse_layer(int line, const std::vector<std::string>& tokens, std::string* residual_label) {
  const std::string& kw = tokens[0];
  LayerSpec layer;
  layer.line = line;
  auto no_arguments = [&](size_t count) {
    if (tokens.size() > count) fail(line, "unexpected '" + tokens[count] + "' after " + kw);
  };
  if (kw == "conv2d") {
    layer.kind = LayerKind::kConv2D;
    if (tokens.size() < 2) fail(line, "conv2d needs a filter count and a kernel size: conv2d FILTERS KxK");
    layer.units = parse_count(line, tokens[1], "filter count");
    parse_kernel(line, tokens, 2, &layer);
    parse_window_options(line, tokens, 3, true, &layer);
  } else if (kw == "depthwise") {
    layer.kind = LayerKind::kDepthwise;
    parse_kernel(line, tokens, 1, &layer);
    parse_window_options(line, tokens, 2, true, &layer);
  } else if (kw == "maxpool" || kw == "avgpool") {
    layer.kind = kw == "maxpool" ? LayerKind::kMaxPool : LayerKind::kAvgPool;
    parse_kernel(line, tokens, 1, &layer);
    layer.padding = PaddingType::kValid;
    layer.stride = 0;
    parse_window_options(line, tokens, 2, false, &layer);
    // Keras: the stride defaults to the pool size. Non-square pools with no stride are refused below.
    if (layer.stride == 0) {
      if (layer.kernel_height != layer.kernel_width) {
        fail(line, kw + " " + tokens[1] + " needs an explicit stride (the default is K for KxK)");
      }
      layer.stride = layer.kernel_height;
    }
  } else if (kw == "globalavgpool") {
    layer.kind = LayerKind::kGlobalAvgPool;
    no_arguments(1);
  } else if (kw == "flatten") {
    layer.kind = LayerKind::kFlatten;
    no_arguments(1);
  } else if (kw == "dense") {
    layer.kind = LayerKind::kDense;
    if (tokens.size() < 2) fail(line, "dense needs a unit count: dense UNITS [relu|relu6|softmax|none]");
    layer.units = parse_count(line, tokens[1], "unit count");
    if (tokens.size() > 2) {
      const auto act = to_activation(tokens[2]);
      if (!act)
        fail(line, "unknown activation '" + tokens[2] + "' for dense (expected relu, relu6, softmax, none)");
      layer.activation = *act;
    }
    no_arguments(3);
  } else if (kw == "dropout") {
    layer.kind = LayerKind::kDropout;
    if (tokens.size() < 2) fail(line, "dropout needs a rate: dropout P (0 <= P < 1)");
    const std::string& t = tokens[1];
    double rate = -1;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), rate);
    if (ec != std::errc() || end != t.data() + t.size() || !(rate >= 0 && rate < 1)) {
      fail(line, "bad dropout rate '" + t + "' (a number P with 0 <= P < 1)");
    }
    layer.rate = rate;
    no_arguments(2);
  } else if (kw == "batchnorm") {
    layer.kind = LayerKind::kBatchNorm;
    parse_activation(line, tokens, 1, &layer);
  } else if (kw == "add") {
    layer.kind = LayerKind::kAdd;
    if (tokens.size() < 2) fail(line, "add needs a label: add NAME [relu|relu6|none]");
    *residual_label = tokens[1];
    parse_activation(line, tokens, 2, &layer);
  } else {
    fail(line, "unknown layer '" + kw +
                   "' (expected input, conv2d, depthwise, maxpool, avgpool, globalavgpool, flatten, dense, "
                   "dropout, batchnorm, add)");
  }
  return layer;
}

FeatureShape parse_input(int line, const std::vector<std::string>& tokens) {
  if (tokens.size() != 2) fail(line, "input needs one shape: input HxWxC (or input N for flat samples)");
  if (const auto hwc = to_dims(tokens[1], 3)) return {(*hwc)[0], (*hwc)[1], (*hwc)[2], false};
  if (const auto n = to_dims(tokens[1], 1)) return {1, 1, (*n)[0], true};
  fail(line, "bad input shape '" + tokens[1] + "' (HxWxC or N, whole numbers from 1 to " +
                 std::to_string(kMaxSpecNumber) + ")");
}

}  // namespace

std::string FeatureShape::str() const {
  if (flat) return std::to_string(channels);
  return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
}

const char* layer_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv2D: return "conv2d";
    case LayerKind::kDepthwise: return "depthwise";
    case LayerKind::kMaxPool: return "maxpool";
    case LayerKind::kAvgPool: return "avgpool";
    case LayerKind::kGlobalAvgPool: return "globalavgpool";
    case LayerKind::kFlatten: return "flatten";
    case LayerKind::kDense: return "dense";
    case LayerKind::kDropout: return "dropout";
    case LayerKind::kBatchNorm: return "batchnorm";
    case LayerKind::kAdd: return "add";
  }
  return "?";
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kRelu6: return "relu6";
    case Activation::kSoftmax: return "softmax";
  }
  return "?";
}

bool LayerSpec::trainable() const {
  return kind == LayerKind::kConv2D || kind == LayerKind::kDepthwise || kind == LayerKind::kDense;
}

std::vector<int32_t> LayerSpec::weight_shape() const {
  switch (kind) {
    case LayerKind::kConv2D: return {units, kernel_height, kernel_width, in.channels};
    case LayerKind::kDepthwise: return {1, kernel_height, kernel_width, in.channels};
    case LayerKind::kDense: return {units, in.channels};
    default: return {};
  }
}

int64_t LayerSpec::parameter_count() const {
  if (kind == LayerKind::kBatchNorm) return 2 * int64_t{out.channels};  // gamma, beta
  if (!trainable()) return 0;
  int64_t weights = 1;
  for (int32_t d : weight_shape()) weights *= d;
  return weights + out.channels;
}

Padding2D LayerSpec::window() const {
  Window2D w;
  w.padding = padding;
  w.stride_height = w.stride_width = stride;
  w.in_height = in.height;
  w.in_width = in.width;
  w.filter_height = kernel_height;
  w.filter_width = kernel_width;
  Padding2D result;
  if (!compute_padding_2d(w, &result).is_ok()) {
    throw SpecError("line " + std::to_string(line) + ": " + layer_name(kind) + " has no valid window");
  }
  return result;
}

int64_t NetworkSpec::parameter_count() const {
  int64_t total = 0;
  for (const LayerSpec& layer : layers) total += layer.parameter_count();
  return total;
}

Activation NetworkSpec::output_activation() const {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (it->kind != LayerKind::kDropout && it->kind != LayerKind::kFlatten) return it->activation;
  }
  return Activation::kNone;
}

std::string NetworkSpec::layer_label(size_t index) const {
  int same_kind = 0;
  for (size_t i = 0; i <= index; ++i) same_kind += layers[i].kind == layers[index].kind;
  return std::string(layer_name(layers[index].kind)) + "_" + std::to_string(same_kind);
}

std::string NetworkSpec::summary() const {
  std::ostringstream s;
  if (!input_label.empty()) s << input_label << ": ";
  s << "input " << input.str() << "\n";
  for (const LayerSpec& l : layers) {
    if (!l.label.empty()) s << l.label << ": ";
    s << layer_name(l.kind);
    if (l.kind == LayerKind::kAdd) s << " " << (l.residual < 0 ? input_label : layers[l.residual].label);
    if (l.kind == LayerKind::kConv2D || l.kind == LayerKind::kDense) s << " " << l.units;
    if (l.kernel_height > 0) {
      s << " " << l.kernel_height << "x" << l.kernel_width << " stride " << l.stride
        << (l.padding == PaddingType::kSame ? " same" : " valid");
    }
    if (l.kind == LayerKind::kDropout) s << " " << l.rate;
    const bool has_activation = l.trainable() || l.kind == LayerKind::kBatchNorm || l.kind == LayerKind::kAdd;
    if (has_activation) s << " " << activation_name(l.activation);
    s << "  -> " << l.out.str();
    if (l.parameter_count() > 0) s << "  " << l.parameter_count() << " params";
    s << "\n";
  }
  s << "total " << parameter_count() << " params\n";
  return s.str();
}

NetworkSpec parse_spec(std::string_view text) {
  NetworkSpec spec;
  int input_line = 0;
  int softmax_line = 0;
  int line = 0;
  struct Labelled {
    int line;
    int layer;  // -1: the input
  };
  std::map<std::string, Labelled> labels;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    ++line;
    std::vector<std::string> tokens = tokenize(text.substr(pos, end - pos));
    pos = end + 1;
    if (tokens.empty()) continue;
    const std::string label = take_label(line, &tokens);
    if (!label.empty()) {
      if (const auto it = labels.find(label); it != labels.end()) {
        fail(line, "label '" + label + "' is already used on line " + std::to_string(it->second.line));
      }
    }
    if (tokens[0] == "input") {
      if (input_line)
        fail(line, "a second input line (the first is line " + std::to_string(input_line) + ")");
      spec.input = parse_input(line, tokens);
      input_line = line;
      if (!label.empty()) labels[label] = {line, -1};
      spec.input_label = label;
      continue;
    }
    if (!input_line)
      fail(line, "the first layer must be 'input HxWxC' (or 'input N'), got '" + tokens[0] + "'");
    if (softmax_line) {
      fail(line, "softmax (line " + std::to_string(softmax_line) + ") must be in the last layer, but '" +
                     tokens[0] + "' follows it");
    }
    std::string residual_label;
    LayerSpec layer = parse_layer(line, tokens, &residual_label);
    layer.label = label;
    layer.in = spec.output();
    if (layer.kind == LayerKind::kBatchNorm) {
      const LayerSpec* before = spec.layers.empty() ? nullptr : &spec.layers.back();
      if (!before || !before->trainable() || before->activation != Activation::kNone) {
        fail(line,
             "batchnorm must follow conv2d, depthwise or dense with no activation (" +
                 (before ? "line " + std::to_string(before->line) + " is " + layer_name(before->kind) +
                               (before->trainable() ? std::string(" ") + activation_name(before->activation)
                                                    : std::string())
                         : std::string("it follows the input")) +
                 ")");
      }
      if (!before->label.empty()) {
        fail(line, "batchnorm cannot follow a labelled line ('" + before->label + "' on line " +
                       std::to_string(before->line) +
                       "): export folds the two into one op; label the batchnorm line instead");
      }
    }
    if (layer.kind == LayerKind::kAdd) {
      const auto it = labels.find(residual_label);
      if (it == labels.end()) fail(line, "add: no earlier line is labelled '" + residual_label + "'");
      layer.residual = it->second.layer;
      const FeatureShape& other = layer.residual < 0 ? spec.input : spec.layers[layer.residual].out;
      if (!(other == layer.in)) {
        fail(line, "add " + residual_label + ": its output (line " + std::to_string(it->second.line) +
                       ") is " + other.str() + ", the current output " + layer.in.str() +
                       " (they must have the same shape)");
      }
    }
    infer_shape(&layer);
    if (!label.empty()) labels[label] = {line, static_cast<int>(spec.layers.size())};
    if (layer.activation == Activation::kSoftmax) softmax_line = line;
    spec.layers.push_back(layer);
  }
  if (!input_line) throw SpecError("line 1: the spec has no input line ('input HxWxC' or 'input N')");
  if (spec.layers.empty()) fail(input_line, "no layers after the input");
  return spec;
}

}  // namespace edgeinfer::compiler::train
