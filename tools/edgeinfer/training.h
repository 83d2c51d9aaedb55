// What `train` and `prune` share: the training set (loaded once, split into training and validation parts
// without copying), the options of the optimizer and the epochs, and the epoch loop with its progress bar,
// per-epoch log and best-epoch selection.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/data/dataset.h"
#include "compiler/train/layers.h"
#include "compiler/train/trainer.h"

namespace edgeinfer::cli {

struct TrainingFlags {
  std::string data;
  std::string labels;
  int64_t limit = 0;
  int epochs = 10;
  int batch = 32;
  double lr = 0;  // 0: the optimizer's default (Adam 0.001, SGD 0.01)
  std::string optimizer = "adam";
  uint64_t seed = 0;
  double val_split = 0;
  bool autoencoder = false;
  int threads = 2;
  bool json = false;

  // Registers --data, --labels, --limit, --epochs, --batch, --lr, --optimizer, --seed, --val-split,
  // --autoencoder, --threads and --json on `cmd`, with `default_epochs`.
  void add_to(CLI::App* cmd, int default_epochs);
  // Throws CliError for values out of range.
  void check() const;
  compiler::train::TrainOptions train_options() const;
};

struct TrainingSet {
  compiler::data::Dataset dataset;
  compiler::train::Loss loss = compiler::train::Loss::kCrossEntropy;
  compiler::train::TrainingData train;
  compiler::train::TrainingData validation;  // count 0: no --val-split
};

// Loads --data's training split shaped for `network`'s input (IDX: the "train" files) and keeps its last
// --val-split fraction for validation (as Keras's validation_split). A classifier needs labels below its
// output size; --autoencoder (or data without labels) trains to reconstruct the input. Throws CliError.
TrainingSet load_training_set(const TrainingFlags& flags, const compiler::train::Network& network);

struct EpochLog {
  compiler::train::EpochResult train;
  compiler::train::Evaluation validation;  // count 0 without validation
  double seconds = 0;
};

struct FitResult {
  std::vector<EpochLog> epochs;
  int best_epoch = 0;  // the epoch whose parameters the network holds (0: no epochs)
  double seconds = 0;
};

// Called before each step, after the trainer's own preparation (pruning masks).
using StepHook = std::function<void(int64_t step)>;

// Trains `network` for --epochs, printing one line per epoch on stdout (text mode) and a progress bar on a
// terminal. With validation, the network ends with the parameters of the epoch with the best validation
// accuracy (classifiers) or loss (autoencoders), as Keras's restore_best_weights; else the last epoch's.
// `keep_best` false always keeps the last epoch (pruning: masks change between epochs).
FitResult fit(compiler::train::Network& network, const TrainingSet& set, const TrainingFlags& flags,
              bool keep_best, const StepHook& before_step = {});

// The fit as JSON: epochs (loss, accuracy, val_loss, val_accuracy, seconds), best_epoch, seconds.
nlohmann::json fit_json(const FitResult& fit);

// Reads a whole file (a model for --init or prune); throws CliError naming it.
std::vector<uint8_t> read_model_file(const std::string& path);

// The optimizer steps one epoch of `set` takes with --batch.
int64_t steps_per_epoch(const TrainingSet& set, const TrainingFlags& flags);

}  // namespace edgeinfer::cli
