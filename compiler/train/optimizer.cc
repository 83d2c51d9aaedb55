#include "compiler/train/optimizer.h"

#include <Eigen/Core>
#include <cmath>
#include <stdexcept>

namespace edgeinfer::compiler::train {

OptimizerOptions OptimizerOptions::defaults(OptimizerKind kind) {
  OptimizerOptions options;
  options.kind = kind;
  options.learning_rate = kind == OptimizerKind::kSgd ? 0.01 : 0.001;
  return options;
}

void Optimizer::step(std::vector<Parameter<float>>& parameters) {
  if (first_.empty()) {
    for (const Parameter<float>& p : parameters) {
      first_.emplace_back(p.value.size(), 0.0f);
      if (options_.kind == OptimizerKind::kAdam) second_.emplace_back(p.value.size(), 0.0f);
    }
  }
  if (first_.size() != parameters.size()) throw std::invalid_argument("optimizer: a different network");
  ++iterations_;
  using Arr = Eigen::Array<float, Eigen::Dynamic, 1>;
  const float lr = static_cast<float>(options_.learning_rate);
  // Adam's bias correction folded into the step size, in double (as Keras computes it from float powers,
  // this rounds once at the end).
  const double t = static_cast<double>(iterations_);
  const float alpha = static_cast<float>(options_.learning_rate * std::sqrt(1 - std::pow(options_.beta2, t)) /
                                         (1 - std::pow(options_.beta1, t)));
  for (size_t i = 0; i < parameters.size(); ++i) {
    Parameter<float>& p = parameters[i];
    if (first_[i].size() != p.value.size() || p.grad.size() != p.value.size()) {
      throw std::invalid_argument("optimizer: parameter " + p.name + " changed size");
    }
    const Eigen::Index n = static_cast<Eigen::Index>(p.value.size());
    Eigen::Map<Arr> value(p.value.data(), n);
    Eigen::Map<const Arr> grad(p.grad.data(), n);
    Eigen::Map<Arr> m(first_[i].data(), n);
    if (options_.kind == OptimizerKind::kSgd) {
      m = static_cast<float>(options_.momentum) * m - lr * grad;
      value += m;
    } else {
      Eigen::Map<Arr> v(second_[i].data(), n);
      m += (grad - m) * static_cast<float>(1 - options_.beta1);
      v += (grad.square() - v) * static_cast<float>(1 - options_.beta2);
      value -= alpha * m / (v.sqrt() + static_cast<float>(options_.epsilon));
    }
  }
}

}  // namespace edgeinfer::compiler::train
