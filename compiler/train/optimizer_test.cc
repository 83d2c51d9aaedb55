#include "compiler/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgeinfer::compiler::train {
namespace {

// One weight and one bias (dense 1 on a 1-value input) with gradients set by hand.
std::vector<Parameter<float>> two_parameters() {
  return {{"w", {1, 1}, {0.5f}, {0.0f}}, {"b", {1}, {-0.25f}, {0.0f}}};
}

TEST(OptimizerTest, AdamFollowsKerasFormula) {
  auto params = two_parameters();
  Optimizer adam(OptimizerOptions::defaults(OptimizerKind::kAdam));
  double w = 0.5, m = 0, v = 0;
  const double grads[] = {0.3, -0.1, 0.05, 2.0};
  for (int t = 1; t <= 4; ++t) {
    const double g = grads[t - 1];
    params[0].grad[0] = static_cast<float>(g);
    adam.step(params);
    m += (g - m) * 0.1;
    v += (g * g - v) * 0.001;
    w -= 0.001 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * m / (std::sqrt(v) + 1e-7);
    EXPECT_NEAR(params[0].value[0], w, 1e-7) << "step " << t;
  }
  EXPECT_EQ(params[1].value[0], -0.25f);  // zero gradient: no change
  EXPECT_EQ(adam.iterations(), 4);
}

TEST(OptimizerTest, SgdWithMomentumFollowsKerasFormula) {
  auto params = two_parameters();
  OptimizerOptions options = OptimizerOptions::defaults(OptimizerKind::kSgd);
  EXPECT_DOUBLE_EQ(options.learning_rate, 0.01);
  Optimizer sgd(options);
  double w = 0.5, velocity = 0;
  for (int t = 0; t < 3; ++t) {
    params[0].grad[0] = 1.0f;
    sgd.step(params);
    velocity = 0.9 * velocity - 0.01;
    w += velocity;
    EXPECT_NEAR(params[0].value[0], w, 1e-7);
  }
  auto other = two_parameters();
  other.pop_back();
  EXPECT_THROW(sgd.step(other), std::invalid_argument);
}

}  // namespace
}  // namespace edgeinfer::compiler::train
