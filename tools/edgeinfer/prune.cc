// edgeinfer prune MODEL --data DATA -o OUT.tflite --final-sparsity S [--initial-sparsity 0] [--begin-step 0]
//   [--end-step N] [--frequency 100] [--power 3] [--epochs N] [--structured channels] [--block B] ...
// Magnitude pruning of a float model during fine-tuning (compiler/train/prune.h): TF-MOT's PolynomialDecay
// schedule, masks kept through training and applied to the written model. By default weights are pruned in
// blocks of 4 along the input dimension (whole zero blocks, for block-sparse kernels);
// --structured channels removes whole channels instead, and the written model is really narrower.
#include "compiler/train/prune.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/train/export.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/reports.h"
#include "tools/edgeinfer/training.h"

namespace edgeinfer::cli {
namespace {

namespace train = compiler::train;

struct PruneCliOptions {
  std::string model;
  std::string output;
  train::PolynomialDecay schedule;
  CLI::Option* end_step_option = nullptr;
  std::string structured;
  int block = kSparseBlock;  // the block the sparse kernels skip
  int64_t min_weights = 1024;
  TrainingFlags flags;
};

// Without --end-step the sparsity reaches its final value at the last mask update before the last epoch
// (or at the end, with one epoch), so the last epoch fine-tunes the final masks.
int64_t default_end_step(const PruneCliOptions& o, int64_t steps_per_epoch) {
  const int64_t epochs_pruning = o.flags.epochs > 1 ? o.flags.epochs - 1 : 1;
  const int64_t end = epochs_pruning * steps_per_epoch - 1;
  if (end <= o.schedule.begin_step) return o.schedule.begin_step;
  return o.schedule.begin_step + (end - o.schedule.begin_step) / o.schedule.frequency * o.schedule.frequency;
}

nlohmann::json layers_json(const std::vector<train::LayerSparsity>& layers) {
  nlohmann::json j = nlohmann::json::array();
  for (const train::LayerSparsity& s : layers) {
    j.push_back({{"name", s.name},
                 {"weights", s.weights},
                 {"zeros", s.zeros},
                 {"sparsity", s.sparsity()},
                 {"channels", s.channels},
                 {"zero_channels", s.zero_channels}});
  }
  return j;
}

int run_prune(PruneCliOptions& o) {
  o.flags.check();
  {
    train::PolynomialDecay early = o.schedule;  // refuse bad values before loading anything
    early.end_step = std::max(early.end_step, early.begin_step);
    try {
      early.validate();
    } catch (const std::invalid_argument& e) {
      throw CliError{e.what()};
    }
  }
  if (!o.structured.empty() && o.structured != "channels")
    throw CliError{"--structured " + o.structured + ": expected channels"};
  if (o.block < 1 || o.block > 1024)
    throw CliError{"--block must be in [1, 1024], got " + std::to_string(o.block)};
  train::Network network = [&] {
    try {
      return train::import_tflite(read_model_file(o.model), o.flags.seed);
    } catch (const std::invalid_argument& e) {
      throw CliError{o.model + ": " + e.what()};
    }
  }();
  const int64_t parameters_before = network.spec().parameter_count();
  const TrainingSet set = load_training_set(o.flags, network);
  const int64_t steps = steps_per_epoch(set, o.flags);
  if (o.end_step_option->count() == 0) o.schedule.end_step = default_end_step(o, steps);
  train::PruneOptions options;
  options.schedule = o.schedule;
  options.granularity =
      o.structured.empty() ? train::PruneGranularity::kBlocks : train::PruneGranularity::kChannels;
  options.block_size = o.block;
  options.min_weights = o.min_weights;
  std::unique_ptr<train::Pruner> pruner;
  try {
    pruner = std::make_unique<train::Pruner>(network, options);
  } catch (const std::invalid_argument& e) {
    throw CliError{e.what()};
  }
  if (o.schedule.begin_step >= steps * o.flags.epochs) {
    throw CliError{"--begin-step " + std::to_string(o.schedule.begin_step) + " is past the last step (" +
                   std::to_string(steps * o.flags.epochs - 1) + ": " + std::to_string(o.flags.epochs) +
                   " epochs of " + std::to_string(steps) + " steps)"};
  }
  OutputFile out(o.output);
  const train::PolynomialDecay& s = o.schedule;
  if (!o.flags.json) {
    std::string head;
    appendf(head,
            "pruning %s (%lld parameters) to %.2f sparsity: %s, PolynomialDecay from %.2f, steps %lld..%lld "
            "every %lld, power %g; %d epochs of %lld steps\n",
            printable(o.model).c_str(), static_cast<long long>(parameters_before), s.final_sparsity,
            o.structured.empty() ? ("blocks of " + std::to_string(o.block)).c_str() : "whole channels",
            s.initial_sparsity, static_cast<long long>(s.begin_step), static_cast<long long>(s.end_step),
            static_cast<long long>(s.frequency), s.power, o.flags.epochs, static_cast<long long>(steps));
    print_report(head);
  }
  const FitResult fit_result =
      fit(network, set, o.flags, /*keep_best=*/false, [&](int64_t step) { pruner->before_step(step); });
  pruner->apply_masks();
  const std::vector<train::LayerSparsity> layers = pruner->report();
  if (!o.structured.empty()) network = train::shrink_channels(network, o.flags.seed);
  const std::vector<uint8_t> model = train::export_tflite(network);
  out.write(model.data(), model.size());
  out.commit();

  int64_t weights = 0, zeros = 0;
  for (const train::LayerSparsity& l : layers) {
    weights += l.weights;
    zeros += l.zeros;
  }
  const double sparsity = weights ? static_cast<double>(zeros) / static_cast<double>(weights) : 0;
  const int64_t parameters_after = network.spec().parameter_count();
  const EpochLog& last = fit_result.epochs.back();
  if (o.flags.json) {
    nlohmann::json json = fit_json(fit_result);
    json["model"] = o.output;
    json["schedule"] = {{"initial_sparsity", s.initial_sparsity},
                        {"final_sparsity", s.final_sparsity},
                        {"begin_step", s.begin_step},
                        {"end_step", s.end_step},
                        {"frequency", s.frequency},
                        {"power", s.power}};
    json["granularity"] = o.structured.empty() ? "blocks" : "channels";
    if (o.structured.empty()) {
      json["block"] = o.block;
      json["min_weights"] = o.min_weights;
    }
    json["mask_updates"] = pruner->mask_updates();
    json["layers"] = layers_json(layers);
    json["sparsity"] = sparsity;
    json["parameters_before"] = parameters_before;
    json["parameters"] = parameters_after;
    json["bytes"] = model.size();
    json["loss"] = last.train.loss;
    if (last.train.accuracy >= 0) json["accuracy"] = last.train.accuracy;
    if (last.validation.count > 0) {
      json["val_loss"] = last.validation.loss;
      if (last.validation.accuracy >= 0) json["val_accuracy"] = last.validation.accuracy;
    }
    print_report(json_text(json) + "\n");
    return 0;
  }
  std::string text;
  appendf(text, "%-28s %10s %10s %9s %s\n", "layer", "weights", "zeros", "sparsity",
          o.structured.empty() ? "" : "zero channels");
  for (const train::LayerSparsity& l : layers) {
    appendf(text, "%-28s %10lld %10lld %8.1f%%", printable(l.name).c_str(), static_cast<long long>(l.weights),
            static_cast<long long>(l.zeros), 100.0 * l.sparsity());
    if (!o.structured.empty())
      appendf(text, " %lld of %lld", static_cast<long long>(l.zero_channels),
              static_cast<long long>(l.channels));
    text += "\n";
  }
  appendf(text, "%-28s %10lld %10lld %8.1f%%  (%lld mask updates)\n", "all", static_cast<long long>(weights),
          static_cast<long long>(zeros), 100.0 * sparsity, static_cast<long long>(pruner->mask_updates()));
  if (!o.structured.empty()) {
    appendf(text, "channels removed: %lld -> %lld parameters\n", static_cast<long long>(parameters_before),
            static_cast<long long>(parameters_after));
  }
  appendf(text, "wrote %s: %zu bytes, float32 with %.1f%% of its weights zero (%.1f s)\n",
          printable(o.output).c_str(), model.size(), 100.0 * sparsity, fit_result.seconds);
  print_report(text);
  return 0;
}

}  // namespace

Command add_prune_command(CLI::App& app) {
  auto o = std::make_shared<PruneCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "prune", "Magnitude-prune a float model while fine-tuning it (TF-MOT's PolynomialDecay schedule)");
  cmd->add_option("model", o->model, "float .tflite model (e.g. from edgeinfer train)")->required();
  cmd->add_option("-o,--output", o->output, "the pruned float .tflite model to write")->required();
  cmd->add_option("--final-sparsity", o->schedule.final_sparsity,
                  "fraction of weights (or channels) pruned, in [0, 1)")
      ->required();
  cmd->add_option("--initial-sparsity", o->schedule.initial_sparsity, "sparsity at --begin-step")
      ->capture_default_str();
  cmd->add_option("--begin-step", o->schedule.begin_step, "first optimizer step that prunes")
      ->capture_default_str();
  o->end_step_option = cmd->add_option(
      "--end-step", o->schedule.end_step,
      "step at which the final sparsity is reached (default: the last mask update before the last epoch)");
  cmd->add_option("--frequency", o->schedule.frequency, "steps between mask updates")->capture_default_str();
  cmd->add_option("--power", o->schedule.power, "exponent of the polynomial decay")->capture_default_str();
  cmd->add_option("--structured", o->structured,
                  "channels: prune whole output channels of conv2d/dense layers and remove them");
  cmd->add_option("--block", o->block,
                  "weights per pruning block along the input dimension (1: element-wise; the default is the "
                  "block the sparse int8 FULLY_CONNECTED/CONV_2D kernels skip)")
      ->capture_default_str();
  cmd->add_option("--min-weights", o->min_weights,
                  "weight tensors smaller than this stay dense; the others are pruned a little more so the "
                  "sparsity is the whole model's (0: prune every tensor alike, as TF-MOT does)")
      ->capture_default_str();
  o->flags.add_to(cmd, /*default_epochs=*/3);
  return {cmd, [o] { return run_prune(*o); }};
}

}  // namespace edgeinfer::cli
