// edgeinfer train --arch SPEC --data DATA -o MODEL.tflite [--epochs N] [--batch B] [--lr X]
//   [--optimizer adam|sgd] [--seed S] [--val-split F] [--autoencoder] [--init MODEL.tflite] [--json]
// Trains a float network described by a SPEC file (compiler/train/spec.h) on a dataset and writes it as a
// float .tflite model. --init starts from an existing float model's weights (its architecture, or --arch's
// when given: the shapes must agree).
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "compiler/train/export.h"
#include "compiler/train/spec.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/reports.h"
#include "tools/edgeinfer/training.h"

namespace edgeinfer::cli {
namespace {

namespace train = compiler::train;

struct TrainCliOptions {
  std::string arch;
  std::string output;
  std::string init;
  TrainingFlags flags;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError{"--arch " + path + ": cannot open"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > (1u << 20)) throw CliError{"--arch " + path + ": larger than 1 MiB, not a SPEC file"};
  return text;
}

train::Network build_network(const TrainCliOptions& o) {
  const uint64_t seed = o.flags.seed;
  try {
    if (o.arch.empty()) {
      if (o.init.empty())
        throw CliError{"give --arch SPEC (a new network) or --init MODEL.tflite (fine-tune)"};
      return train::import_tflite(read_model_file(o.init), seed);
    }
    train::Network network(train::parse_spec(read_text_file(o.arch)), seed);
    if (!o.init.empty()) train::load_parameters(read_model_file(o.init), &network);
    return network;
  } catch (const train::SpecError& e) {
    throw CliError{"--arch " + o.arch + ": " + e.what()};
  } catch (const std::invalid_argument& e) {
    throw CliError{"--init " + o.init + ": " + e.what()};
  }
}

int run_train(const TrainCliOptions& o) {
  o.flags.check();
  train::Network network = build_network(o);
  const TrainingSet set = load_training_set(o.flags, network);
  const bool classifier = set.loss == train::Loss::kCrossEntropy;
  OutputFile out(o.output);  // fails early on an unwritable destination, before the training
  if (!o.flags.json) {
    std::string head;
    appendf(head, "network (%lld parameters):\n%s", static_cast<long long>(network.spec().parameter_count()),
            network.spec().summary().c_str());
    appendf(head, "data %s: %lld training samples", printable(set.dataset.source).c_str(),
            static_cast<long long>(set.train.count));
    if (set.validation.count > 0)
      appendf(head, ", %lld for validation", static_cast<long long>(set.validation.count));
    appendf(head, "; %s, %s, batch %d, seed %llu\n",
            classifier ? "cross entropy" : "mean squared error (autoencoder)", o.flags.optimizer.c_str(),
            o.flags.batch, static_cast<unsigned long long>(o.flags.seed));
    print_report(head);
  }
  const FitResult fit_result = fit(network, set, o.flags, /*keep_best=*/true);
  const std::vector<uint8_t> model = train::export_tflite(network);
  out.write(model.data(), model.size());
  out.commit();

  const EpochLog& best = fit_result.epochs.at(fit_result.best_epoch - 1);
  if (o.flags.json) {
    nlohmann::json json = fit_json(fit_result);
    json["model"] = o.output;
    json["parameters"] = network.spec().parameter_count();
    json["bytes"] = model.size();
    json["task"] = classifier ? "classifier" : "autoencoder";
    json["training_samples"] = set.train.count;
    json["validation_samples"] = set.validation.count;
    json["loss"] = best.train.loss;
    if (classifier) json["accuracy"] = best.train.accuracy;
    if (set.validation.count > 0) {
      json["val_loss"] = best.validation.loss;
      if (classifier) json["val_accuracy"] = best.validation.accuracy;
    }
    print_report(json_text(json) + "\n");
    return 0;
  }
  std::string text;
  if (set.validation.count > 0) {
    appendf(text, "kept epoch %d (best validation %s)\n", fit_result.best_epoch,
            classifier ? "accuracy" : "loss");
  }
  appendf(text, "wrote %s: %zu bytes, %lld parameters, float32 (%.1f s)\n", printable(o.output).c_str(),
          model.size(), static_cast<long long>(network.spec().parameter_count()), fit_result.seconds);
  print_report(text);
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainCliOptions>();
  CLI::App* cmd =
      app.add_subcommand("train", "Train a float network from a SPEC file on a dataset; writes a .tflite");
  cmd->add_option(
      "--arch", o->arch,
      "SPEC file, one layer per line: input HxWxC | conv2d FILTERS KxK [stride S] [same|valid] "
      "[relu|relu6|none] | depthwise KxK ... | maxpool KxK [stride S] | avgpool KxK | globalavgpool | "
      "flatten | dense UNITS [relu|relu6|softmax|none] | dropout P  (# comments)");
  cmd->add_option("-o,--output", o->output, "the float .tflite model to write")->required();
  cmd->add_option("--init", o->init, "start from this float .tflite's weights (fine-tuning)");
  o->flags.add_to(cmd, /*default_epochs=*/10);
  return {cmd, [o] { return run_train(*o); }};
}

}  // namespace edgeinfer::cli
