// A trainable network built from a NetworkSpec: batched NHWC tensors, forward and backward passes, losses.
//
//   NetworkSpec spec = parse_spec("input 8x8x1\nconv2d 4 3x3 relu\nmaxpool 2x2\nflatten\ndense 2 softmax");
//   Network net(spec, /*seed=*/1);
//   std::span<const float> probs = net.forward(images, batch, /*training=*/true);
//   float loss = net.backward_cross_entropy(labels);   // fills every Parameter::grad
//
// Layers compute in TensorFlow Lite's layouts (activations NHWC; weights conv [O,KH,KW,I], depthwise
// [1,KH,KW,C], dense [U,D]) so export copies parameters as they are. Dense and conv2d (im2col) run on
// Eigen's GEMM. Weights start Glorot uniform (He uniform before relu/relu6), biases 0, from the seed's own
// generator (random.h); dropout masks come from a second stream. BasicNetwork<double> runs the same code in
// double precision for gradient checks.
//
// Misuse (wrong input or label count, a label out of range, cross entropy without a softmax output) throws
// std::invalid_argument.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compiler/train/spec.h"

namespace edgeinfer::compiler::train {

template <class T>
struct Parameter {
  std::string name;            // "conv2d_1/weights", "dense_2/bias", ...
  std::vector<int32_t> shape;  // TensorFlow Lite's layout
  std::vector<T> value;
  std::vector<T> grad;  // gradient of the last backward pass's mean loss
  int layer = 0;        // index in NetworkSpec::layers
};

template <class T>
class BasicNetwork {
 public:
  BasicNetwork(const NetworkSpec& spec, uint64_t seed);
  ~BasicNetwork();
  BasicNetwork(BasicNetwork&&) noexcept;
  BasicNetwork& operator=(BasicNetwork&&) noexcept;

  const NetworkSpec& spec() const;
  int64_t input_size() const { return spec().input.size(); }  // values per sample
  int64_t output_size() const { return spec().output().size(); }
  // Weights then bias of each trainable layer, in layer order.
  std::vector<Parameter<T>>& parameters();
  const std::vector<Parameter<T>>& parameters() const;

  // Runs `batch` samples (input_size() values each). `training` turns dropout on. The result (batch x
  // output_size() values) stays valid until the next forward().
  std::span<const T> forward(std::span<const T> input, int batch, bool training);

  // Mean loss over the batch of the last forward() and its gradient in every Parameter::grad.
  // Cross entropy takes class indices and needs a softmax output (its gradient is taken at the logits);
  // MSE takes batch x output_size() targets.
  T backward_cross_entropy(std::span<const int32_t> labels);
  T backward_mse(std::span<const T> targets);

  // Also compute the gradient with respect to the input (off by default: it costs a GEMM).
  void set_input_gradient(bool enabled);
  std::span<const T> input_gradient() const;
  // Restarts the dropout stream (gradient checks need the same mask in every forward pass).
  void reseed_dropout(uint64_t seed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using Network = BasicNetwork<float>;
extern template class BasicNetwork<float>;
extern template class BasicNetwork<double>;

// Mean over the batch of -log(p[label]) (p clamped to at least 1e-7, as Keras does); `probabilities` holds
// labels.size() rows of `classes` values. Throws for a label outside [0, classes).
template <class T>
double cross_entropy(std::span<const T> probabilities, std::span<const int32_t> labels, int classes);
// Mean of the squared differences over all values.
template <class T>
double mean_squared_error(std::span<const T> outputs, std::span<const T> targets);

}  // namespace edgeinfer::compiler::train
