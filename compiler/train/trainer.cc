#include "compiler/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>

#include "compiler/train/random.h"

namespace edgeinfer::compiler::train {
namespace {

void check_data(const Network& network, const TrainingData& data, Loss loss) {
  auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  if (data.count < 1) fail("the data set is empty");
  if (data.sample_size != network.input_size()) {
    fail("samples have " + std::to_string(data.sample_size) + " values, the network's input " +
         network.spec().input.str() + " takes " + std::to_string(network.input_size()));
  }
  if (static_cast<int64_t>(data.samples.size()) != data.count * data.sample_size) {
    fail(std::to_string(data.samples.size()) + " sample values for " + std::to_string(data.count) +
         " samples of " + std::to_string(data.sample_size));
  }
  auto check_finite = [&](std::span<const float> values, const char* what, int64_t per_sample) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        fail(std::string(what) + " " + std::to_string(static_cast<int64_t>(i) / per_sample) +
             " has a NaN or infinite value");
      }
    }
  };
  check_finite(data.samples, "sample", data.sample_size);
  if (loss == Loss::kCrossEntropy) {
    if (static_cast<int64_t>(data.labels.size()) != data.count) {
      fail(std::to_string(data.labels.size()) + " labels for " + std::to_string(data.count) + " samples");
    }
    if (network.spec().output_activation() != Activation::kSoftmax) {
      fail("a classifier needs a softmax output layer ('dense N softmax' last)");
    }
    const int classes = static_cast<int>(network.output_size());
    for (int64_t i = 0; i < data.count; ++i) {
      if (data.labels[i] < 0 || data.labels[i] >= classes) {
        fail("label " + std::to_string(data.labels[i]) + " of sample " + std::to_string(i) +
             " is outside [0, " + std::to_string(classes) + ")");
      }
    }
  } else {
    const int64_t wanted = data.count * network.output_size();
    const int64_t have = data.targets.empty() ? static_cast<int64_t>(data.samples.size())
                                              : static_cast<int64_t>(data.targets.size());
    check_finite(data.targets, "target", network.output_size());
    if (have != wanted) {
      fail(std::string(data.targets.empty() ? "an autoencoder's output " : "targets: ") +
           (data.targets.empty()
                ? network.spec().output().str() + " must have the input's size " + network.spec().input.str()
                : std::to_string(have) + " values for " + std::to_string(wanted) + " outputs"));
    }
  }
}

std::span<const float> targets_of(const TrainingData& data) {
  return data.targets.empty() ? data.samples : data.targets;
}

int64_t correct_predictions(std::span<const float> probs, const int32_t* labels, int batch, int classes,
                            std::vector<int64_t>* confusion) {
  int64_t correct = 0;
  for (int n = 0; n < batch; ++n) {
    const float* row = probs.data() + int64_t{n} * classes;
    const int predicted = static_cast<int>(std::max_element(row, row + classes) - row);
    correct += predicted == labels[n];
    if (confusion) ++(*confusion)[int64_t{labels[n]} * classes + predicted];
  }
  return correct;
}

}  // namespace

std::vector<EpochResult> train(Network& network, const TrainingData& data, const TrainOptions& options,
                               const EpochCallback& on_epoch, const ProgressCallback& progress) {
  check_data(network, data, options.loss);
  if (options.epochs < 0 || options.batch_size < 1) {
    throw std::invalid_argument("epochs must be >= 0 and the batch size >= 1");
  }
  const OptimizerOptions& o = options.optimizer;
  if (!(o.learning_rate > 0 && std::isfinite(o.learning_rate)) || !(o.momentum >= 0 && o.momentum < 1) ||
      !(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1) || !(o.epsilon > 0)) {
    throw std::invalid_argument("optimizer: the learning rate must be > 0, momentum and betas in [0, 1)");
  }
  if (options.threads < 1) throw std::invalid_argument("threads must be >= 1");
  const bool classifier = options.loss == Loss::kCrossEntropy;
  const int classes = static_cast<int>(network.output_size());
  const int64_t out_size = network.output_size();
  const std::span<const float> all_targets = targets_of(data);
  Optimizer optimizer(options.optimizer);
  Rng order_rng(derive_seed(options.seed, kShuffleStream));
  std::vector<int64_t> order(data.count);
  std::iota(order.begin(), order.end(), int64_t{0});

  // Shard 0 runs on `network`, the others on replicas that get its parameters before every batch and
  // their own dropout streams.
  std::vector<Network> replicas;
  for (int k = 1; k < kTrainShards; ++k) {
    replicas.emplace_back(network.spec(), 0);
    replicas.back().reseed_dropout(derive_seed(options.seed, kDropoutStream + k));
  }
  struct Shard {
    Network* net = nullptr;
    int64_t begin = 0;  // position in the epoch's order
    int count = 0;
    double loss = 0;
    int64_t correct = 0;
    std::vector<float> x, y;
    std::vector<int32_t> labels;
  };
  std::vector<Shard> shards(kTrainShards);
  for (int k = 0; k < kTrainShards; ++k) shards[k].net = k == 0 ? &network : &replicas[k - 1];
  auto run = [&](Shard& s) {
    if (s.count == 0) return;
    s.x.resize(s.count * data.sample_size);
    for (int n = 0; n < s.count; ++n) {
      std::copy_n(data.samples.begin() + order[s.begin + n] * data.sample_size, data.sample_size,
                  s.x.begin() + n * data.sample_size);
    }
    const std::span<const float> out = s.net->forward(s.x, s.count, /*training=*/true);
    if (classifier) {
      s.labels.resize(s.count);
      for (int n = 0; n < s.count; ++n) s.labels[n] = data.labels[order[s.begin + n]];
      s.correct = correct_predictions(out, s.labels.data(), s.count, classes, nullptr);
      s.loss = s.net->backward_cross_entropy(s.labels);
    } else {
      s.y.resize(s.count * out_size);
      for (int n = 0; n < s.count; ++n) {
        std::copy_n(all_targets.begin() + order[s.begin + n] * out_size, out_size,
                    s.y.begin() + n * out_size);
      }
      s.loss = s.net->backward_mse(s.y);
    }
  };

  std::vector<EpochResult> results;
  int64_t step = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    order_rng.shuffle(order);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t start = 0; start < data.count; start += options.batch_size) {
      const int batch = static_cast<int>(std::min<int64_t>(options.batch_size, data.count - start));
      for (int k = 0, done = 0; k < kTrainShards; ++k) {
        shards[k].begin = start + done;
        shards[k].count = (batch - done + kTrainShards - k - 1) / (kTrainShards - k);  // shard 0 never empty
        done += shards[k].count;
      }
      if (options.before_step) options.before_step(step);
      ++step;
      for (Network& replica : replicas) {
        for (size_t i = 0; i < replica.parameters().size(); ++i) {
          replica.parameters()[i].value = network.parameters()[i].value;
        }
      }
      std::vector<std::thread> workers;
      std::vector<std::exception_ptr> errors(kTrainShards);
      for (int k = 1; k < kTrainShards; ++k) {
        if (k < options.threads) {
          workers.emplace_back([&, k] {
            try {
              run(shards[k]);
            } catch (...) {
              errors[k] = std::current_exception();
            }
          });
        } else {
          run(shards[k]);
        }
      }
      try {
        run(shards[0]);
      } catch (...) {
        errors[0] = std::current_exception();
      }
      for (std::thread& t : workers) t.join();
      for (const std::exception_ptr& e : errors) {
        if (e) std::rethrow_exception(e);
      }
      network.merge_batch_statistics(replicas);  // batch norm: moving statistics of the whole batch
      // The batch's mean gradient: each shard's mean weighted by its share, summed in shard order.
      for (size_t i = 0; i < network.parameters().size(); ++i) {
        std::vector<float>& g = network.parameters()[i].grad;
        const float w0 = static_cast<float>(shards[0].count) / static_cast<float>(batch);
        for (float& v : g) v *= w0;
        for (int k = 1; k < kTrainShards; ++k) {
          if (shards[k].count == 0) continue;
          const float wk = static_cast<float>(shards[k].count) / static_cast<float>(batch);
          const std::vector<float>& gk = replicas[k - 1].parameters()[i].grad;
          for (size_t j = 0; j < g.size(); ++j) g[j] += wk * gk[j];
        }
      }
      for (const Shard& s : shards) {
        loss_sum += s.loss * s.count;
        correct += s.correct;
      }
      optimizer.step(network.parameters());
      if (progress) progress(epoch, start + batch, data.count);
    }
    EpochResult result;
    result.epoch = epoch;
    result.loss = loss_sum / static_cast<double>(data.count);
    if (classifier) result.accuracy = static_cast<double>(correct) / static_cast<double>(data.count);
    results.push_back(result);
    if (on_epoch) on_epoch(result);
  }
  return results;
}

Evaluation evaluate(Network& network, const TrainingData& data, Loss loss, int batch_size) {
  check_data(network, data, loss);
  if (batch_size < 1) throw std::invalid_argument("the batch size must be >= 1");
  const bool classifier = loss == Loss::kCrossEntropy;
  const int classes = static_cast<int>(network.output_size());
  const int64_t out_size = network.output_size();
  const std::span<const float> all_targets = targets_of(data);
  Evaluation result;
  result.count = data.count;
  if (classifier) result.confusion.assign(int64_t{classes} * classes, 0);
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < data.count; start += batch_size) {
    const int batch = static_cast<int>(std::min<int64_t>(batch_size, data.count - start));
    const std::span<const float> out =
        network.forward(data.samples.subspan(start * data.sample_size, batch * data.sample_size), batch,
                        /*training=*/false);
    if (classifier) {
      const std::span<const int32_t> labels = data.labels.subspan(start, batch);
      correct += correct_predictions(out, labels.data(), batch, classes, &result.confusion);
      loss_sum += cross_entropy<float>(out, labels, classes) * batch;
    } else {
      loss_sum +=
          mean_squared_error<float>(out, all_targets.subspan(start * out_size, batch * out_size)) * batch;
    }
  }
  result.loss = loss_sum / static_cast<double>(data.count);
  if (classifier) result.accuracy = static_cast<double>(correct) / static_cast<double>(data.count);
  return result;
}

}  // namespace edgeinfer::compiler::train
