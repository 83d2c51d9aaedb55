// Gradient checks: every layer's backward pass against central finite differences of the loss, in double
// precision (BasicNetwork<double> runs the same code as the float Network).
#include "compiler/train/layers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "compiler/train/random.h"
#include "compiler/train/trainer.h"

namespace edgeinfer::compiler::train {
namespace {

using NetD = BasicNetwork<double>;

std::vector<double> random_values(uint64_t seed, size_t count, double limit) {
  Rng rng(seed);
  std::vector<double> v(count);
  for (double& x : v) x = rng.symmetric(limit);
  return v;
}

// Loss of one forward pass (dropout on, with the same mask every time; batchnorm with batch statistics),
// or in inference mode.
struct Problem {
  std::vector<double> input;
  int batch = 3;
  std::vector<int32_t> labels;  // cross entropy when set
  std::vector<double> targets;  // MSE otherwise
  bool training = true;

  double loss(NetD& net) const {
    net.reseed_dropout(99);
    const std::span<const double> out = net.forward(input, batch, training);
    if (!labels.empty()) return cross_entropy<double>(out, labels, static_cast<int>(net.output_size()));
    return mean_squared_error<double>(out, targets);
  }
  double backward(NetD& net) const {
    net.reseed_dropout(99);
    net.forward(input, batch, training);
    return labels.empty() ? net.backward_mse(targets) : net.backward_cross_entropy(labels);
  }
};

Problem make_problem(const NetD& net, bool classify, double input_scale = 1.0) {
  Problem p;
  p.input = random_values(11, p.batch * net.input_size(), input_scale);
  if (classify) {
    for (int n = 0; n < p.batch; ++n) p.labels.push_back(n % static_cast<int>(net.output_size()));
  } else {
    p.targets = random_values(12, p.batch * net.output_size(), 1.0);
  }
  return p;
}

// Whether `p` is the bias of a layer that a batchnorm normalizes with batch statistics: its gradient is 0.
bool bias_before_batch_norm(const NetD& net, const Parameter<double>& p, const Problem& problem) {
  const auto& layers = net.spec().layers;
  return problem.training && p.name.ends_with("/bias") && p.layer + 1 < static_cast<int>(layers.size()) &&
         layers[p.layer + 1].kind == LayerKind::kBatchNorm;
}

// Analytic gradient of every checked entry matches (L(x + h) - L(x - h)) / 2h: |a - n| <= 1e-7 + 1e-5 |n|.
// Parameters with more than 60 values are checked at 60 entries spread over them.
void check_gradients(NetD& net, const Problem& problem) {
  constexpr double kStep = 1e-5;
  net.set_input_gradient(true);
  const double loss = problem.backward(net);
  EXPECT_NEAR(loss, problem.loss(net), 1e-12);
  const Problem* current = &problem;
  auto check = [&](const std::string& what, std::vector<double>& values, const std::vector<double>& analytic,
                   bool zero = false) {
    ASSERT_EQ(values.size(), analytic.size()) << what;
    const size_t stride = std::max<size_t>(1, values.size() / 60);
    double largest = 0;
    for (size_t i = 0; i < values.size(); i += stride) {
      const double saved = values[i];
      values[i] = saved + kStep;
      const double up = current->loss(net);
      values[i] = saved - kStep;
      const double down = current->loss(net);
      values[i] = saved;
      const double numeric = (up - down) / (2 * kStep);
      EXPECT_NEAR(analytic[i], numeric, 1e-7 + 1e-5 * std::abs(numeric)) << what << "[" << i << "]";
      if (zero) EXPECT_EQ(analytic[i], 0.0) << what << "[" << i << "]";
      largest = std::max(largest, std::abs(numeric));
    }
    if (!zero) EXPECT_GT(largest, 1e-6) << what << ": the check saw only zero gradients";
  };
  for (Parameter<double>& p : net.parameters()) {
    check(p.name, p.value, p.grad, bias_before_batch_norm(net, p, problem));
  }
  // The input gradient checks the first layer's backward into its input (and pooling layers' routing).
  const std::vector<double> analytic(net.input_gradient().begin(), net.input_gradient().end());
  Problem moved = problem;
  current = &moved;
  check("input", moved.input, analytic);
}

// Random biases too, so that they matter and their gradients flow through non-zero activations; batchnorm
// scales around 1, offsets and moving statistics away from their initial values.
void randomize(NetD& net) {
  for (Parameter<double>& p : net.parameters()) {
    const size_t n = p.value.size();
    if (p.name.ends_with("/bias") || p.name.ends_with("/beta")) p.value = random_values(n + 17, n, 0.2);
    if (p.name.ends_with("/gamma")) {
      p.value = random_values(n + 18, n, 0.5);
      for (double& v : p.value) v += 1.0;
    }
  }
  for (Parameter<double>& p : net.state()) {
    p.value = random_values(p.value.size() + 19, p.value.size(), 0.5);
    if (p.name.ends_with("/moving_variance")) {
      for (double& v : p.value) v = 1.0 + v;
    }
  }
}

void check_spec(const char* text, bool classify, double input_scale = 1.0, bool training = true) {
  NetD net(parse_spec(text), 5);
  randomize(net);
  Problem problem = make_problem(net, classify, input_scale);
  problem.training = training;
  check_gradients(net, problem);
}

TEST(LayersTest, DenseGradientsWithReluRelu6AndSoftmaxCrossEntropy) {
  // Inputs up to 4: some relu6 units saturate.
  check_spec("input 5\ndense 7 relu\ndense 6 relu6\ndense 3 softmax", true, 4.0);
}

TEST(LayersTest, Conv2DGradientsSameValidStridedAndEvenKernels) {
  check_spec(
      "input 7x6x3\nconv2d 4 3x3 stride 2 same relu\nconv2d 3 2x2 valid\nconv2d 2 2x3 same relu6\n"
      "flatten\ndense 3 softmax",
      true);
  check_spec("input 5x5x2\nconv2d 3 3x3 stride 2 valid\nconv2d 2 1x1\nflatten\ndense 4", false);
}

TEST(LayersTest, DepthwiseGradients) {
  check_spec("input 6x7x3\ndepthwise 3x3 stride 2 same relu6\ndepthwise 2x2 valid relu\nflatten\ndense 4",
             false, 3.0);
}

TEST(LayersTest, PoolingGradients) {
  // maxpool and avgpool, valid and same (padding not counted), then the global average.
  check_spec(
      "input 8x8x2\nconv2d 3 3x3 relu\nmaxpool 2x2\nconv2d 3 3x3\navgpool 3x3 stride 2 same\n"
      "maxpool 2x2 stride 1 same\nglobalavgpool\ndense 3 softmax",
      true);
  check_spec("input 6x6x2\navgpool 3x3 stride 2 valid\nmaxpool 2x2 stride 1\nflatten\ndense 2", false);
}

TEST(LayersTest, DropoutGradientsAndMseThroughSoftmax) {
  check_spec("input 10\ndense 8 relu\ndropout 0.5\ndense 3 softmax", true);
  // MSE on a softmax output goes through the softmax Jacobian instead of the fused cross-entropy gradient.
  check_spec("input 4\ndense 5 relu\ndense 3 softmax", false);
}

TEST(LayersTest, DropoutDropsAboutPAndScalesTheRestOnlyInTraining) {
  Network net(parse_spec("input 1000\ndropout 0.3\ndense 1"), 3);
  std::vector<float> ones(1000, 1.0f);
  net.forward(ones, 1, false);
  // Inference: the identity, so the dense layer sees all ones.
  const float inference = net.forward(ones, 1, false)[0];
  float sum_w = 0;
  for (float w : net.parameters()[0].value) sum_w += w;
  EXPECT_NEAR(inference, sum_w, 1e-4);
  // Training: about 30% dropped, the rest scaled by 1 / 0.7; the mask is a function of the dropout seed.
  net.reseed_dropout(1);
  const float a = net.forward(ones, 1, true)[0];
  net.reseed_dropout(1);
  EXPECT_EQ(a, net.forward(ones, 1, true)[0]);
  net.reseed_dropout(2);
  EXPECT_NE(a, net.forward(ones, 1, true)[0]);
}

TEST(LayersTest, BatchNormGradientsInTraining) {
  // After conv2d (strided), with and without an activation after it; the conv biases get zero gradients.
  check_spec(
      "input 6x5x3\nconv2d 4 3x3 stride 2\nbatchnorm relu\nconv2d 3 2x2 valid\nbatchnorm\nflatten\n"
      "dense 3 softmax",
      true);
  // After depthwise (relu6, inputs up to 3 so that some saturate) and after dense (statistics over the
  // batch only); the input gradient goes through dense into a batchnorm's input gradient.
  check_spec("input 6x6x3\ndepthwise 3x3\nbatchnorm relu6\nglobalavgpool\ndense 4\nbatchnorm\ndense 2", false,
             3.0);
  check_spec("input 5\ndense 6\nbatchnorm relu\ndense 3\nbatchnorm\ndense 3 softmax", true);
}

TEST(LayersTest, BatchNormGradientsInInference) {
  // With the moving statistics: a per-channel affine map, so the bias before it has a gradient again.
  check_spec("input 6x5x3\nconv2d 4 3x3\nbatchnorm relu\nflatten\ndense 3 softmax", true, 1.0, false);
  check_spec("input 5\ndense 6\nbatchnorm relu6\ndense 3", false, 3.0, false);
}

TEST(LayersTest, AddGradientsFlowIntoBothBranches) {
  // The input, a labelled conv read twice, the line just before (2x), and a batchnorm's output.
  check_spec(
      "x: input 6x6x2\nconv2d 2 3x3 relu\nadd x\nb: conv2d 4 3x3\nconv2d 4 3x3 relu\nadd b relu\n"
      "conv2d 4 1x1\nadd b\nc: depthwise 3x3 relu6\nadd c\nconv2d 4 3x3\nbn: batchnorm relu\n"
      "conv2d 4 3x3\nbatchnorm\nadd bn relu6\nflatten\ndense 3 softmax",
      true, 2.0);
  // Flat: dense residuals, one reading the input.
  check_spec("x: input 4\nd: dense 4 relu\ndense 4\nadd x relu\ndense 4\nadd d\ndense 3", false);
}

// A batchnorm over 2 channels of known inputs: training normalizes with the batch's statistics and moves
// the moving ones by 1 - 0.99; inference uses the moving ones.
TEST(LayersTest, BatchNormStatisticsAndMovingAverages) {
  NetD net(parse_spec("input 2x1x2\nconv2d 2 1x1\nbatchnorm"), 1);
  auto& w = net.parameters()[0].value;  // identity 1x1 conv
  w = {1, 0, 0, 1};
  net.parameters()[2].value = {2, 1};     // gamma
  net.parameters()[3].value = {0.5, -1};  // beta
  // Batch of 2 samples of 2 pixels: channel 0 = 1, 2, 3, 4 (mean 2.5, variance 1.25), channel 1 = 5 x 4.
  const std::vector<double> x = {1, 5, 2, 5, 3, 5, 4, 5};
  const auto y = net.forward(x, 2, true);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(y[2 * i], 2 * (i + 1 - 2.5) / std::sqrt(1.25 + 1e-3) + 0.5, 1e-12);
    EXPECT_NEAR(y[2 * i + 1], -1, 1e-12);  // no variance: beta
  }
  const auto& state = net.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].name, "batchnorm_1/moving_mean");
  EXPECT_EQ(state[1].name, "batchnorm_1/moving_variance");
  EXPECT_EQ(state[0].layer, 1);
  EXPECT_TRUE(state[0].grad.empty());
  EXPECT_NEAR(state[0].value[0], 0.01 * 2.5, 1e-15);
  EXPECT_NEAR(state[0].value[1], 0.01 * 5, 1e-15);
  EXPECT_NEAR(state[1].value[0], 0.99 + 0.01 * 1.25, 1e-15);
  EXPECT_NEAR(state[1].value[1], 0.99, 1e-15);
  EXPECT_EQ(net.parameters()[2].name, "batchnorm_1/gamma");
  EXPECT_EQ(net.parameters()[3].name, "batchnorm_1/beta");
  // Inference: the moving statistics, which it leaves alone.
  const std::vector<double> moving_mean = state[0].value, moving_variance = state[1].value;
  const auto z = net.forward(x, 2, false);
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < 2; ++c) {
      const double expected = net.parameters()[2].value[c] * (x[2 * i + c] - moving_mean[c]) /
                                  std::sqrt(moving_variance[c] + 1e-3) +
                              net.parameters()[3].value[c];
      EXPECT_NEAR(z[2 * i + c], expected, 1e-12);
    }
  }
  EXPECT_EQ(state[0].value, moving_mean);
  // gamma 1, beta 0 at first; no random draw, so the layers after it start as without it.
  Network a(parse_spec("input 4\ndense 3\nbatchnorm\ndense 2"), 7),
      b(parse_spec("input 4\ndense 3\ndense 2"), 7);
  EXPECT_EQ(a.parameters()[2].value, std::vector<float>(3, 1.0f));
  EXPECT_EQ(a.parameters()[3].value, std::vector<float>(3, 0.0f));
  EXPECT_EQ(a.state()[1].value, std::vector<float>(3, 1.0f));
  EXPECT_EQ(a.parameters()[4].value, b.parameters()[2].value);
}

// Two replicas on 5 + 3 samples, merged, move the moving statistics of the first batchnorm (whose inputs do
// not depend on the split) as one network on all 8 does.
TEST(LayersTest, MergedBatchStatisticsFollowTheWholeBatch) {
  const NetworkSpec spec =
      parse_spec("input 3x3x2\nconv2d 3 2x2\nbatchnorm relu\nflatten\ndense 4\nbatchnorm");
  const std::vector<double> x = random_values(4, 8 * 18, 2.0);
  NetD whole(spec, 3);
  std::vector<NetD> parts;
  parts.emplace_back(spec, 3);
  parts.emplace_back(spec, 4);  // its own weights: the trainer copies them in, as here
  for (size_t i = 0; i < parts[0].parameters().size(); ++i) {
    parts[1].parameters()[i].value = parts[0].parameters()[i].value;
  }
  for (int step = 0; step < 2; ++step) {
    whole.forward(x, 8, true);
    parts[0].forward(std::span(x).first(5 * 18), 5, true);
    parts[1].forward(std::span(x).subspan(5 * 18), 3, true);
    parts[0].merge_batch_statistics(std::span(parts).subspan(1));
    for (size_t i = 0; i < whole.state().size(); ++i) {
      // batchnorm_2's inputs differ: batchnorm_1 normalized each part with its own statistics.
      for (size_t c = 0; i < 2 && c < whole.state()[i].value.size(); ++c) {
        EXPECT_NEAR(parts[0].state()[i].value[c], whole.state()[i].value[c], 1e-14) << whole.state()[i].name;
      }
      EXPECT_EQ(parts[1].state()[i].value, parts[0].state()[i].value);  // the replica gets the result
    }
  }
  // Merging again changes nothing; a replica that ran nothing since is left out: the network's own update.
  const auto before = parts[0].state();
  parts[0].merge_batch_statistics(std::span(parts).subspan(1));
  EXPECT_EQ(parts[0].state()[0].value, before[0].value);
  parts[0].forward(std::span(x).first(18), 1, true);
  const auto own_update = parts[0].state();
  parts[0].merge_batch_statistics(std::span(parts).subspan(1));
  for (size_t i = 0; i < own_update.size(); ++i) EXPECT_EQ(parts[0].state()[i].value, own_update[i].value);
  // Only the replica ran: its statistics move the network's values.
  const auto network_values = parts[0].state();
  parts[1].forward(std::span(x).first(18), 1, true);
  parts[0].merge_batch_statistics(std::span(parts).subspan(1));
  EXPECT_EQ(parts[0].state()[0].value, parts[1].state()[0].value);
  EXPECT_NE(parts[0].state()[0].value, network_values[0].value);
  // Not a replica.
  std::vector<NetD> other;
  other.emplace_back(parse_spec("input 3x3x2\nconv2d 2 2x2\nbatchnorm"), 1);
  EXPECT_THROW(parts[0].merge_batch_statistics(other), std::invalid_argument);
  EXPECT_THROW(parts[0].merge_batch_statistics(std::span(parts).first(1)), std::invalid_argument);  // itself
  // Without batchnorm: nothing to do.
  std::vector<Network> plain;
  plain.emplace_back(parse_spec("input 4\ndense 2"), 1);
  Network n(parse_spec("input 4\ndense 2"), 1);
  EXPECT_NO_THROW(n.merge_batch_statistics(plain));
}

// Training a small network with batchnorm and residual adds: the same seed gives the same parameters and
// moving statistics bit for bit with one or two threads (the two shards are fixed; only who runs them
// changes), and evaluation then uses the moving statistics.
TEST(LayersTest, TrainingWithBatchNormIsDeterministicAnyThreadCount) {
  const NetworkSpec spec = parse_spec(
      "input 6x6x1\nconv2d 4 3x3\nb: batchnorm relu\nconv2d 4 3x3\nbatchnorm\nadd b relu\nmaxpool 2x2\n"
      "flatten\ndense 2 softmax");
  Rng rng(3);
  std::vector<float> samples(100 * 36);
  std::vector<int32_t> labels(100);
  for (int n = 0; n < 100; ++n) {
    labels[n] = static_cast<int>(rng.below(2));
    for (int i = 0; i < 36; ++i) {
      samples[n * 36 + i] = static_cast<float>(rng.uniform() + ((i % 6 < 3) == (labels[n] == 1) ? 0.5 : 0.0));
    }
  }
  const TrainingData data{100, 36, samples, labels, {}};
  auto run = [&](uint64_t seed, int threads) {
    Network net(spec, seed);
    TrainOptions options;
    options.epochs = 3;
    options.batch_size = 9;  // 100 samples: a last batch of 1, whose second shard is empty
    options.seed = seed;
    options.threads = threads;
    options.optimizer.learning_rate = 0.01;
    train(net, data, options);
    std::vector<float> all;
    for (const auto& p : net.parameters()) all.insert(all.end(), p.value.begin(), p.value.end());
    for (const auto& p : net.state()) all.insert(all.end(), p.value.begin(), p.value.end());
    const double accuracy = evaluate(net, data, Loss::kCrossEntropy).accuracy;
    return std::make_pair(all, accuracy);
  };
  const auto [a, accuracy] = run(5, 1);
  const auto [b, accuracy_b] = run(5, 2);
  const auto [c, accuracy_c] = run(6, 2);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_EQ(accuracy, accuracy_b);
  EXPECT_NE(a, c);
  EXPECT_GE(accuracy, 0.9);  // it learns, and inference with the moving statistics works
  for (float v : a) ASSERT_TRUE(std::isfinite(v));
}

TEST(LayersTest, LossValues) {
  const std::vector<double> probs = {0.7, 0.2, 0.1, 0.25, 0.25, 0.5};
  const std::vector<int32_t> labels = {0, 2};
  EXPECT_NEAR(cross_entropy<double>(probs, labels, 3), -(std::log(0.7) + std::log(0.5)) / 2, 1e-15);
  const std::vector<double> zero = {0.0, 1.0};
  EXPECT_NEAR(cross_entropy<double>(zero, std::vector<int32_t>{0}, 2), -std::log(1e-7), 1e-9);  // clamped
  EXPECT_THROW(cross_entropy<double>(probs, std::vector<int32_t>{0, 3}, 3), std::invalid_argument);
  const std::vector<double> out = {1, 2, 3, 4}, target = {1, 0, 3, 5};
  EXPECT_DOUBLE_EQ(mean_squared_error<double>(out, target), (4.0 + 1.0) / 4);
}

TEST(LayersTest, FloatNetworkMatchesTheDoubleOneAndSeedsAreDeterministic) {
  const NetworkSpec spec = parse_spec(
      "input 9x9x2\nconv2d 4 3x3 relu\ndepthwise 3x3 stride 2 relu6\nmaxpool 2x2\nflatten\n"
      "dense 5 relu\ndense 3 softmax");
  Network f(spec, 42);
  NetD d(spec, 42);
  // Initial values are drawn in double and rounded: the double network's, rounded, are the float one's.
  ASSERT_EQ(f.parameters().size(), d.parameters().size());
  for (size_t i = 0; i < f.parameters().size(); ++i) {
    for (size_t j = 0; j < f.parameters()[i].value.size(); ++j) {
      ASSERT_EQ(f.parameters()[i].value[j], static_cast<float>(d.parameters()[i].value[j]));
    }
  }
  const std::vector<double> xd = random_values(3, 2 * d.input_size(), 1.0);
  const std::vector<float> xf(xd.begin(), xd.end());
  // Forward through double-rounded parameters: within float rounding of the double result.
  for (auto& p : d.parameters()) {
    for (double& v : p.value) v = static_cast<float>(v);
  }
  const auto yf = f.forward(xf, 2, false);
  const auto yd = d.forward(std::vector<double>(xf.begin(), xf.end()), 2, false);
  for (size_t i = 0; i < yf.size(); ++i) EXPECT_NEAR(yf[i], yd[i], 1e-6 + 1e-5 * std::abs(yd[i]));
  const std::vector<int32_t> labels = {0, 2};
  f.backward_cross_entropy(labels);
  d.backward_cross_entropy(labels);
  for (size_t i = 0; i < f.parameters().size(); ++i) {
    for (size_t j = 0; j < f.parameters()[i].grad.size(); ++j) {
      EXPECT_NEAR(f.parameters()[i].grad[j], d.parameters()[i].grad[j], 1e-6) << f.parameters()[i].name;
    }
  }
  // Same seed, same weights; another seed, other weights. Biases start at 0, weights within the limit.
  Network g(spec, 42), h(spec, 43);
  const auto& w = g.parameters()[0].value;
  EXPECT_EQ(std::memcmp(w.data(), f.parameters()[0].value.data(), w.size() * sizeof(float)), 0);
  EXPECT_NE(w, h.parameters()[0].value);
  EXPECT_EQ(g.parameters()[0].name, "conv2d_1/weights");
  EXPECT_EQ(g.parameters()[1].value, std::vector<float>(4, 0.0f));
  const float he_limit = std::sqrt(6.0f / (9 * 2));
  for (float v : w) EXPECT_LE(std::abs(v), he_limit);
  EXPECT_GT(*std::max_element(w.begin(), w.end()), 0.5f * he_limit);
}

TEST(LayersTest, MisuseThrows) {
  Network net(parse_spec("input 4\ndense 3"), 1);
  EXPECT_THROW(net.forward(std::vector<float>(5), 1, false), std::invalid_argument);
  net.forward(std::vector<float>(8), 2, false);
  EXPECT_THROW(net.backward_cross_entropy(std::vector<int32_t>{0, 1}), std::invalid_argument);  // no softmax
  EXPECT_THROW(net.backward_mse(std::vector<float>(3)), std::invalid_argument);
  Network softmax(parse_spec("input 4\ndense 3 softmax"), 1);
  softmax.forward(std::vector<float>(4), 1, false);
  EXPECT_THROW(softmax.backward_cross_entropy(std::vector<int32_t>{3}), std::invalid_argument);
}

}  // namespace
}  // namespace edgeinfer::compiler::train
