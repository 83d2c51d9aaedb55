// SGD with momentum and Adam, updating a Network's parameters from their gradients with Keras's formulas:
//   SGD:  velocity = momentum * velocity - lr * grad;  value += velocity
//   Adam: m += (grad - m) * (1 - beta1);  v += (grad^2 - v) * (1 - beta2);
//         value -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + epsilon)
// Element-wise and in a fixed order, so the same gradients give the same parameters bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/train/layers.h"

namespace edgeinfer::compiler::train {

enum class OptimizerKind { kSgd, kAdam };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::kAdam;
  double learning_rate = 0.001;
  double momentum = 0.9;  // SGD
  double beta1 = 0.9;     // Adam
  double beta2 = 0.999;
  double epsilon = 1e-7;

  // Keras's defaults (SGD: learning rate 0.01; momentum 0.9 here, Keras's is 0).
  static OptimizerOptions defaults(OptimizerKind kind);
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerOptions& options) : options_(options) {}
  // One update of every parameter from its grad. The state follows the parameters by position: always pass
  // the same network.
  void step(std::vector<Parameter<float>>& parameters);
  int64_t iterations() const { return iterations_; }
  const OptimizerOptions& options() const { return options_; }

 private:
  OptimizerOptions options_;
  int64_t iterations_ = 0;
  std::vector<std::vector<float>> first_;   // SGD velocity / Adam m, per parameter
  std::vector<std::vector<float>> second_;  // Adam v
};

}  // namespace edgeinfer::compiler::train
