// Gradient checks: every layer's backward pass against central finite differences of the loss, in double
// precision (BasicNetwork<double> runs the same code as the float Network).
#include "compiler/train/layers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "compiler/train/random.h"

namespace edgeinfer::compiler::train {
namespace {

using NetD = BasicNetwork<double>;

std::vector<double> random_values(uint64_t seed, size_t count, double limit) {
  Rng rng(seed);
  std::vector<double> v(count);
  for (double& x : v) x = rng.symmetric(limit);
  return v;
}

// Loss of one forward pass (dropout on, with the same mask every time).
struct Problem {
  std::vector<double> input;
  int batch = 3;
  std::vector<int32_t> labels;  // cross entropy when set
  std::vector<double> targets;  // MSE otherwise

  double loss(NetD& net) const {
    net.reseed_dropout(99);
    const std::span<const double> out = net.forward(input, batch, /*training=*/true);
    if (!labels.empty()) return cross_entropy<double>(out, labels, static_cast<int>(net.output_size()));
    return mean_squared_error<double>(out, targets);
  }
  double backward(NetD& net) const {
    net.reseed_dropout(99);
    net.forward(input, batch, /*training=*/true);
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

// Analytic gradient of every checked entry matches (L(x + h) - L(x - h)) / 2h: |a - n| <= 1e-7 + 1e-5 |n|.
// Parameters with more than 60 values are checked at 60 entries spread over them.
void check_gradients(NetD& net, const Problem& problem) {
  constexpr double kStep = 1e-5;
  net.set_input_gradient(true);
  const double loss = problem.backward(net);
  EXPECT_NEAR(loss, problem.loss(net), 1e-12);
  const Problem* current = &problem;
  auto check = [&](const std::string& what, std::vector<double>& values,
                   const std::vector<double>& analytic) {
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
      largest = std::max(largest, std::abs(numeric));
    }
    EXPECT_GT(largest, 1e-6) << what << ": the check saw only zero gradients";
  };
  for (Parameter<double>& p : net.parameters()) check(p.name, p.value, p.grad);
  // The input gradient checks the first layer's backward into its input (and pooling layers' routing).
  const std::vector<double> analytic(net.input_gradient().begin(), net.input_gradient().end());
  Problem moved = problem;
  current = &moved;
  check("input", moved.input, analytic);
}

void check_spec(const char* text, bool classify, double input_scale = 1.0) {
  NetD net(parse_spec(text), 5);
  // Random biases too, so that they matter and their gradients flow through non-zero activations.
  for (Parameter<double>& p : net.parameters()) {
    if (p.name.ends_with("/bias")) p.value = random_values(p.value.size() + 17, p.value.size(), 0.2);
  }
  check_gradients(net, make_problem(net, classify, input_scale));
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
