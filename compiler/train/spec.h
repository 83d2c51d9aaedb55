// The network description `edgeinfer train --arch` reads: one layer per line, `#` starts a comment.
//
//   input HxWxC | input N                      (first line; N: a flat input, e.g. an autoencoder's features)
//   conv2d FILTERS KxK [stride S] [same|valid] [relu|relu6|none]
//   depthwise KxK [stride S] [same|valid] [relu|relu6|none]       (depth multiplier 1)
//   maxpool KxK [stride S] [valid|same]        (stride defaults to K and padding to valid, as in Keras)
//   avgpool KxK [stride S] [valid|same]
//   globalavgpool                              (HxWxC -> C)
//   flatten                                    (HxWxC -> H*W*C)
//   dense UNITS [relu|relu6|softmax|none]      (needs a flat input: flatten or globalavgpool first)
//   dropout P                                  (0 <= P < 1; training only)
//   batchnorm [relu|relu6|none]                (right after conv2d, depthwise or dense with activation none)
//   add NAME [relu|relu6|none]                 (adds the output of the line labelled NAME: same shape)
//
// Any line, input included, may start with a label `NAME:` (letters, digits, _; not starting with a digit;
// each name once), e.g. `b1: conv2d 16 3x3 relu` ... `add b1 relu`; `add` refers to an earlier line.
// Options may come in any order, each once; defaults are stride 1, same, none. KxK may be HxW. Output sizes
// follow TensorFlow Lite's SAME/VALID rules (kernels/common/padding.h). A softmax, if any, is the last
// layer's. batchnorm normalizes each channel (the last dimension) and is folded into the layer before it at
// export, so that layer may not carry a label (its own output does not exist in the exported model).
// parse_spec() throws SpecError with one line naming the line number and the problem.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/common/padding.h"

namespace edgeinfer::compiler::train {

class SpecError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The shape of one sample: HxWxC, or flat (height = width = 1, channels = N).
struct FeatureShape {
  int height = 1;
  int width = 1;
  int channels = 0;
  bool flat = false;

  int64_t size() const { return int64_t{height} * width * channels; }
  std::string str() const;  // "28x28x1" or "64"
  bool operator==(const FeatureShape&) const = default;
};

enum class LayerKind {
  kConv2D,
  kDepthwise,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kFlatten,
  kDense,
  kDropout,
  kBatchNorm,
  kAdd
};
enum class Activation { kNone, kRelu, kRelu6, kSoftmax };

const char* layer_name(LayerKind kind);  // the SPEC keyword: "conv2d", ...
const char* activation_name(Activation activation);

struct LayerSpec {
  LayerKind kind = LayerKind::kDense;
  int line = 0;   // in the SPEC text, for messages
  int units = 0;  // conv2d filters, dense units
  int kernel_height = 0;
  int kernel_width = 0;
  int stride = 1;
  PaddingType padding = PaddingType::kSame;
  Activation activation = Activation::kNone;
  double rate = 0;    // dropout
  std::string label;  // the line's `NAME:`, empty when none
  int residual = -1;  // add: index in NetworkSpec::layers of the labelled layer it adds; -1: the input
  FeatureShape in;
  FeatureShape out;

  // Whether the layer has weights and a bias (conv2d, depthwise, dense). batchnorm's gamma and beta are
  // trained too, but code that walks weight/bias pairs must not see them, so it is not "trainable" here.
  bool trainable() const;
  // Weight and bias shapes in TensorFlow Lite's layout: conv [O,KH,KW,I], depthwise [1,KH,KW,C], dense
  // [U,D]; bias [O]. Empty for layers without weights.
  std::vector<int32_t> weight_shape() const;
  // Trained values: weights and bias, or batchnorm's gamma and beta (its moving statistics not counted).
  int64_t parameter_count() const;
  // Window geometry (padding, output size) of conv2d, depthwise and pooling layers.
  Padding2D window() const;
};

struct NetworkSpec {
  FeatureShape input;
  std::string input_label;  // the input line's `NAME:`, empty when none
  std::vector<LayerSpec> layers;

  const FeatureShape& output() const { return layers.empty() ? input : layers.back().out; }
  int64_t parameter_count() const;
  // The output layer's activation (softmax: a classifier).
  Activation output_activation() const;
  // A layer's name, as Keras numbers them per kind: "conv2d_1", "dense_2", "batchnorm_1", "add_1", ...
  // (not the SPEC's `NAME:` label).
  std::string layer_label(size_t index) const;
  // One line per layer: "conv2d 16 3x3 stride 1 same relu  -> 28x28x16  160 params".
  std::string summary() const;
};

// Largest size accepted for a single count or extent in a spec, and for a layer's output or parameter count
// (values per sample): a typo like `dense 1000000` is refused instead of allocating gigabytes.
constexpr int kMaxSpecNumber = 1 << 16;
constexpr int64_t kMaxLayerValues = int64_t{1} << 26;

NetworkSpec parse_spec(std::string_view text);

}  // namespace edgeinfer::compiler::train
