#include "tools/edgeinfer/training.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/progress_bar.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {

namespace data = compiler::data;
namespace train = compiler::train;

void TrainingFlags::add_to(CLI::App* cmd, int default_epochs) {
  epochs = default_epochs;
  cmd->add_option("--data", data,
                  "training data: a directory of IDX files (train-images-idx3-ubyte[.gz] and "
                  "train-labels-idx1-ubyte[.gz], pixels / 255), a .npy of float32 samples (labels: --labels, "
                  "or NAME_labels.npy beside it), or a .csv (label, then the values, per line)")
      ->required();
  cmd->add_option("--labels", labels, "integer .npy of labels for .npy samples ([N] or [N,1])");
  cmd->add_option("--limit", limit, "train on the first N samples only");
  cmd->add_option("--epochs", epochs, "passes over the training data")->capture_default_str();
  cmd->add_option("--batch", batch, "samples per optimizer step")->capture_default_str();
  cmd->add_option("--lr", lr, "learning rate (default: Adam 0.001, SGD 0.01)");
  cmd->add_option("--optimizer", optimizer, "adam or sgd (momentum 0.9)")->capture_default_str();
  cmd->add_option("--seed", seed,
                  "seeds weights, dropout and sample order: the same seed gives the same model")
      ->capture_default_str();
  cmd->add_option("--val-split", val_split,
                  "hold out this last fraction of the data for validation; the epoch with the best "
                  "validation score is kept")
      ->capture_default_str();
  cmd->add_flag("--autoencoder", autoencoder,
                "train to reconstruct the input (mean squared error), ignoring labels");
  cmd->add_option("--threads", threads, "threads per batch (1 or 2; results do not depend on it)")
      ->capture_default_str();
  cmd->add_flag("--json", json, "print the report as JSON");
}

void TrainingFlags::check() const {
  if (epochs < 1 || epochs > 100000)
    throw CliError{"--epochs must be in [1, 100000], got " + std::to_string(epochs)};
  if (batch < 1 || batch > 65536)
    throw CliError{"--batch must be in [1, 65536], got " + std::to_string(batch)};
  if (!(lr >= 0 && std::isfinite(lr))) throw CliError{"--lr must be a positive number"};
  if (optimizer != "adam" && optimizer != "sgd")
    throw CliError{"--optimizer " + optimizer + ": expected adam or sgd"};
  if (!(val_split >= 0 && val_split < 1))
    throw CliError{"--val-split must be in [0, 1), got " + std::to_string(val_split)};
  if (limit < 0) throw CliError{"--limit must be at least 1"};
  if (threads < 1 || threads > 64)
    throw CliError{"--threads must be in [1, 64], got " + std::to_string(threads)};
}

train::TrainOptions TrainingFlags::train_options() const {
  train::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.optimizer = train::OptimizerOptions::defaults(optimizer == "sgd" ? train::OptimizerKind::kSgd
                                                                     : train::OptimizerKind::kAdam);
  if (lr > 0) o.optimizer.learning_rate = lr;
  o.seed = seed;
  o.threads = threads;
  return o;
}

TrainingSet load_training_set(const TrainingFlags& flags, const train::Network& network) {
  const train::NetworkSpec& spec = network.spec();
  const bool classifier = !flags.autoencoder && spec.output_activation() == train::Activation::kSoftmax;
  data::LoadOptions load;
  load.split = "train";
  load.labels = flags.labels;
  load.limit = flags.limit;
  load.num_classes = classifier ? static_cast<int32_t>(network.output_size()) : 0;
  std::string error;
  auto loaded = data::load_dataset(flags.data, load, &error);
  if (!loaded) throw CliError{"--data " + error};
  Shape input;
  if (spec.input.flat) {
    input.rank = 2;
    input.dims[0] = 1;
    input.dims[1] = spec.input.channels;
  } else {
    input.rank = 4;
    input.dims[0] = 1;
    input.dims[1] = spec.input.height;
    input.dims[2] = spec.input.width;
    input.dims[3] = spec.input.channels;
  }
  if (!data::fit_to_input(&*loaded, input, "the network's input " + spec.input.str(), &error))
    throw CliError{"--data " + error};

  TrainingSet set;
  set.dataset = std::move(*loaded);
  const data::Dataset& d = set.dataset;
  if (classifier && !d.has_labels()) {
    throw CliError{"--data " + d.source + " has no labels: a classifier (softmax output) needs them; " +
                   "use --autoencoder to train a reconstruction"};
  }
  if (!classifier && network.output_size() != network.input_size()) {
    throw CliError{"an autoencoder's output must be shaped like its input: the network maps " +
                   spec.input.str() + " to " + spec.output().str() +
                   (flags.autoencoder ? "" : " and has no softmax output")};
  }
  set.loss = classifier ? train::Loss::kCrossEntropy : train::Loss::kMeanSquaredError;
  const int64_t count = d.samples.num_samples, size = d.samples.sample_elements();
  const int64_t held_out = static_cast<int64_t>(std::floor(static_cast<double>(count) * flags.val_split));
  if (flags.val_split > 0 && (held_out < 1 || held_out >= count)) {
    throw CliError{"--val-split " + std::to_string(flags.val_split) + " of " + std::to_string(count) +
                   " samples leaves no validation or no training samples"};
  }
  const std::span<const float> values(d.samples.values);
  const std::span<const int32_t> labels =
      classifier ? std::span<const int32_t>(d.labels) : std::span<const int32_t>();
  const int64_t kept = count - held_out;
  set.train = {kept, size, values.first(kept * size), labels.empty() ? labels : labels.first(kept), {}};
  if (held_out > 0) {
    set.validation = {
        held_out, size, values.subspan(kept * size), labels.empty() ? labels : labels.subspan(kept), {}};
  }
  return set;
}

int64_t steps_per_epoch(const TrainingSet& set, const TrainingFlags& flags) {
  return (set.train.count + flags.batch - 1) / flags.batch;
}

namespace {

bool better(const train::Evaluation& a, const train::Evaluation& b, train::Loss loss) {
  return loss == train::Loss::kCrossEntropy ? a.accuracy > b.accuracy : a.loss < b.loss;
}

std::string epoch_line(const EpochLog& e, int epochs, train::Loss loss) {
  std::string line;
  appendf(line, "epoch %*d/%d  loss %.4f", static_cast<int>(std::to_string(epochs).size()), e.train.epoch,
          epochs, e.train.loss);
  if (loss == train::Loss::kCrossEntropy) appendf(line, "  accuracy %.4f", e.train.accuracy);
  if (e.validation.count > 0) {
    appendf(line, "  val_loss %.4f", e.validation.loss);
    if (loss == train::Loss::kCrossEntropy) appendf(line, "  val_accuracy %.4f", e.validation.accuracy);
  }
  appendf(line, "  (%.1f s)\n", e.seconds);
  return line;
}

}  // namespace

FitResult fit(train::Network& network, const TrainingSet& set, const TrainingFlags& flags, bool keep_best,
              const StepHook& before_step) {
  train::TrainOptions options = flags.train_options();
  options.loss = set.loss;
  options.before_step = before_step;
  const auto start = std::chrono::steady_clock::now();
  auto epoch_start = start;
  FitResult result;
  std::vector<std::vector<float>> best;
  std::unique_ptr<ProgressBar> bar;
  std::string label;
  auto on_progress = [&](int epoch, int64_t done, int64_t total) {
    if (!bar) {
      label = "epoch " + std::to_string(epoch) + "/" + std::to_string(flags.epochs);
      bar = std::make_unique<ProgressBar>(label.c_str());
    }
    bar->update(static_cast<size_t>(done), static_cast<size_t>(total));
  };
  auto on_epoch = [&](const train::EpochResult& epoch) {
    bar.reset();  // ends the bar's line before the log line
    EpochLog log;
    log.train = epoch;
    if (set.validation.count > 0) log.validation = train::evaluate(network, set.validation, set.loss);
    const auto now = std::chrono::steady_clock::now();
    log.seconds = std::chrono::duration<double>(now - epoch_start).count();
    epoch_start = now;
    result.epochs.push_back(log);
    const bool improved = result.best_epoch == 0 || !keep_best || set.validation.count == 0 ||
                          better(log.validation, result.epochs[result.best_epoch - 1].validation, set.loss);
    if (improved) {
      result.best_epoch = epoch.epoch;
      if (keep_best && set.validation.count > 0) {
        best.clear();  // parameters, then state (batch norm's moving statistics)
        for (const auto& p : network.parameters()) best.push_back(p.value);
        for (const auto& p : network.state()) best.push_back(p.value);
      }
    }
    if (!flags.json) print_report(epoch_line(log, flags.epochs, set.loss));
  };
  try {
    train::train(network, set.train, options, on_epoch, on_progress);
  } catch (const std::invalid_argument& e) {
    throw CliError{e.what()};
  }
  if (!best.empty() && result.best_epoch != flags.epochs) {
    const size_t count = network.parameters().size();
    for (size_t i = 0; i < count; ++i) network.parameters()[i].value = best[i];
    for (size_t i = count; i < best.size(); ++i) network.state()[i - count].value = best[i];
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

nlohmann::json fit_json(const FitResult& fit) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochLog& e : fit.epochs) {
    nlohmann::json j = {{"epoch", e.train.epoch}, {"loss", e.train.loss}, {"seconds", e.seconds}};
    if (e.train.accuracy >= 0) j["accuracy"] = e.train.accuracy;
    if (e.validation.count > 0) {
      j["val_loss"] = e.validation.loss;
      if (e.validation.accuracy >= 0) j["val_accuracy"] = e.validation.accuracy;
    }
    epochs.push_back(j);
  }
  return {{"epochs", epochs}, {"best_epoch", fit.best_epoch}, {"seconds", fit.seconds}};
}

std::vector<uint8_t> read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError{path + ": cannot open"};
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw CliError{path + ": read error"};
  return bytes;
}

}  // namespace edgeinfer::cli
