// Magnitude pruning during training, as TensorFlow Model Optimization's prune_low_magnitude does it.
//
// A PolynomialDecay schedule gives the sparsity at each optimizer step:
//   p = clamp((step - begin_step) / (end_step - begin_step), 0, 1)
//   sparsity = final + (initial - final) * (1 - p)^power
// and masks are recomputed only at steps in [begin_step, end_step] with (step - begin_step) % frequency == 0.
// At such a step each weight tensor (conv2d, depthwise and dense weights; biases are never pruned) keeps its
// k = max(round(units * (1 - sparsity)), 1) largest units, ties kept, and the rest are masked to 0. Between
// updates the masks stay: they are applied before every batch, so the optimizer's moves on masked weights
// never reach a forward pass, and once more when training ends (TF-MOT's strip_pruning).
//
// Tensors of fewer than `min_weights` weights are left dense, and the others pruned to
// sparsity x all weights / their weights (at most 0.99), so the sparsity is the whole model's.
//
// Units are blocks of `block_size` consecutive weights along the innermost (input) dimension, scored by their
// mean |w| (TF-MOT's block pruning with AVG pooling); the last block of a row may be shorter. These are the
// whole zero blocks, the unit the block-sparse int8 kernels skip (edgeinfer/block_sparsity.h): the default
// block is theirs. block_size 1 is TF-MOT's element-wise pruning.
//
// Structured (channel) pruning instead masks whole output channels (filters, units) of conv2d and dense
// layers other than the output layer, scored by their weights' L2 norm; the bias and everything downstream
// that belongs to the channel (a following depthwise's channel) are masked with it, so the channel's output
// is exactly 0 and shrink_channels() can remove it: a smaller network with the same outputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/train/layers.h"
#include "edgeinfer/block_sparsity.h"

namespace edgeinfer::compiler::train {

struct PolynomialDecay {
  double initial_sparsity = 0;
  double final_sparsity = 0.5;
  int64_t begin_step = 0;
  int64_t end_step = 1000;
  double power = 3;
  int64_t frequency = 100;

  // Throws std::invalid_argument as TF-MOT's constructor refuses: sparsities in [0, 1), 0 <= begin_step <=
  // end_step, frequency >= 1 (and power >= 0 and finite).
  void validate() const;
  double sparsity(int64_t step) const;
  bool should_prune(int64_t step) const;
};

enum class PruneGranularity { kBlocks, kChannels };

struct PruneOptions {
  PolynomialDecay schedule;
  PruneGranularity granularity = PruneGranularity::kBlocks;
  int block_size = kSparseBlock;  // kBlocks: weights per unit (1: element-wise)
  // kBlocks: weight tensors smaller than this stay dense (a first conv's few filters, a small output layer:
  // pruning them saves almost nothing and costs the most accuracy); the others are pruned a little more so
  // that the schedule's sparsity is that of all weights together.
  int64_t min_weights = 1024;
};

struct LayerSparsity {
  std::string name;     // "conv2d_1/weights"
  int64_t weights = 0;  // values in the tensor
  int64_t zeros = 0;    // exactly-zero values
  int64_t channels = 0;
  int64_t zero_channels = 0;  // output channels whose weights are all masked (channel pruning)
  double sparsity() const { return weights ? static_cast<double>(zeros) / static_cast<double>(weights) : 0; }
};

class Pruner {
 public:
  // Masks start all ones. Throws std::invalid_argument for a bad schedule or block size, or channel pruning
  // of a network with nothing to prune.
  Pruner(Network& network, const PruneOptions& options);

  // For TrainOptions::before_step: updates the masks when the schedule says so, then applies them.
  void before_step(int64_t step);
  // Multiplies every pruned parameter by its mask (call once after training: the model to export).
  void apply_masks();
  // The sparsity of the last mask update (0 before the first).
  double current_sparsity() const { return current_sparsity_; }
  int64_t mask_updates() const { return mask_updates_; }

  std::vector<LayerSparsity> report() const;

 private:
  void update_block_masks(double sparsity);
  void update_channel_masks(double sparsity);

  Network& network_;
  PruneOptions options_;
  std::vector<std::vector<float>> masks_;  // per parameter; empty: not pruned
  double current_sparsity_ = 0;
  double scale_ = 1;  // all weights / pruned weights (kBlocks)
  int64_t mask_updates_ = 0;
};

// The per-layer sparsity of a network's weights (exact zeros), for reports.
std::vector<LayerSparsity> weight_sparsity(const Network& network);

// A network without the output channels of conv2d/dense layers whose weights and bias are all zero (as
// channel pruning leaves them), the layers after them narrowed to match; the outputs are the same. Layers
// keep at least one channel. Throws std::invalid_argument for networks it cannot narrow (a residual add).
Network shrink_channels(const Network& network, uint64_t seed);

}  // namespace edgeinfer::compiler::train
