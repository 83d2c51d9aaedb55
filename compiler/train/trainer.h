// Mini-batch training and evaluation of a Network on samples held in memory.
//
// Each epoch visits the samples in a fresh order (Fisher-Yates from the seed's shuffle stream), in batches of
// `batch_size` (the last one smaller), one optimizer step per batch. Each batch is split into kTrainShards
// parts computed on replicas of the network, on up to `threads` threads, and their gradients are summed in
// part order, so the same network seed, data and options give the same parameters bit for bit whatever
// the number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "compiler/train/layers.h"
#include "compiler/train/optimizer.h"

namespace edgeinfer::compiler::train {

enum class Loss { kCrossEntropy, kMeanSquaredError };

// The samples a network trains on or is evaluated on, viewed where they are loaded (compiler/data's Dataset
// for the CLI), not copied: `count` samples of `sample_size` floats one after another, with class labels
// (cross entropy) or targets (MSE: count x the network's output size; empty = the samples themselves, an
// autoencoder).
struct TrainingData {
  int64_t count = 0;
  int64_t sample_size = 0;
  std::span<const float> samples;
  std::span<const int32_t> labels;
  std::span<const float> targets;
};

struct TrainOptions {
  int epochs = 1;
  int batch_size = 32;
  Loss loss = Loss::kCrossEntropy;
  OptimizerOptions optimizer;
  uint64_t seed = 0;  // sample order (the network has its own seed for weights and dropout)
  int threads = 1;    // results do not depend on it
  // Called before each batch with the optimizer steps taken so far in this call (0, 1, ...), before the
  // batch's forward pass sees the parameters: pruning masks weights here (compiler/train/prune.h).
  std::function<void(int64_t step)> before_step;
};

// How many parts a batch is split into (one per core of the 2-core machines we train on).
constexpr int kTrainShards = 2;

struct EpochResult {
  int epoch = 0;         // from 1
  double loss = 0;       // mean over the epoch's samples, as measured during training (dropout on)
  double accuracy = -1;  // classifiers: fraction of the epoch's samples classified right; -1 otherwise
};

struct Evaluation {
  int64_t count = 0;
  double loss = 0;
  double accuracy = -1;            // classifiers only
  std::vector<int64_t> confusion;  // classifiers: classes x classes, [true label][predicted]
};

// Called after each batch with the samples done so far in the epoch.
using ProgressCallback = std::function<void(int epoch, int64_t done, int64_t total)>;
using EpochCallback = std::function<void(const EpochResult&)>;

// Throws std::invalid_argument when the data does not fit the network (sample size, label or target
// count, labels out of range) or the options are out of range.
std::vector<EpochResult> train(Network& network, const TrainingData& data, const TrainOptions& options,
                               const EpochCallback& on_epoch = {}, const ProgressCallback& progress = {});

// Loss (and accuracy and confusion matrix for cross entropy) over all samples, dropout off.
Evaluation evaluate(Network& network, const TrainingData& data, Loss loss, int batch_size = 256);

}  // namespace edgeinfer::compiler::train
