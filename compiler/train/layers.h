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
// batchnorm follows Keras's BatchNormalization (epsilon 1e-3, momentum 0.99, gamma 1, beta 0, moving mean
// 0 and variance 1 at first): in training it normalizes with the mean and (biased) variance over the
// batch's samples and pixels per channel and moves the moving statistics towards them; at inference it
// uses the moving statistics. Since the batch mean is subtracted, the bias of the layer before it gets an
// exactly zero gradient in training. add sums the current output and the output of an earlier layer (or
// the input); in backward the gradient flows into both.
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

// Keras's BatchNormalization defaults.
constexpr double kBatchNormEpsilon = 1e-3;
constexpr double kBatchNormMomentum = 0.99;

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
  // In layer order: weights then bias of each conv2d, depthwise and dense layer, gamma then beta of each
  // batchnorm ("batchnorm_1/gamma", "batchnorm_1/beta"). Use LayerSpec::trainable() of Parameter::layer to
  // tell weight/bias pairs from gamma/beta.
  std::vector<Parameter<T>>& parameters();
  const std::vector<Parameter<T>>& parameters() const;
  // State that is not trained (grad stays empty): each batchnorm's moving mean then moving variance, in
  // layer order ("batchnorm_1/moving_mean", "batchnorm_1/moving_variance"). Training forward() passes
  // update it; inference uses it.
  std::vector<Parameter<T>>& state();
  const std::vector<Parameter<T>>& state() const;

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

  // Data-parallel training with replicas of this network (same spec), each running one training forward()
  // on its part of a batch: each part normalizes with its own batch statistics, but the moving statistics
  // should follow the whole batch. This replaces this network's last moving-average update by the one made
  // with the mean and variance of all parts together (combined exactly from the parts' statistics,
  // weighted by their value counts, summed in the order this network, then `replicas`), and copies the
  // result into the replicas. Parts that ran no training forward() since the last merge are left out, so
  // an empty shard is harmless. The result depends only on the parts, not on which thread ran them. Does
  // nothing without batchnorm; throws std::invalid_argument when a replica's batchnorm layers differ.
  void merge_batch_statistics(std::span<BasicNetwork> replicas);

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
