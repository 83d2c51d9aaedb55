#include "compiler/train/prune.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace edgeinfer::compiler::train {
namespace {

bool has_weights(LayerKind kind) {
  return kind == LayerKind::kConv2D || kind == LayerKind::kDepthwise || kind == LayerKind::kDense;
}
// Layers whose output channels are their own units (not their input's).
bool makes_channels(LayerKind kind) {
  return kind == LayerKind::kConv2D || kind == LayerKind::kDense;
}

// Layers whose output is its input's channels, element by element (what a channel mask flows through).
bool keeps_channels(LayerKind kind) {
  return kind != LayerKind::kFlatten && kind != LayerKind::kGlobalAvgPool && !makes_channels(kind);
}

bool is_residual_add(const LayerSpec& layer) {
  return std::string(layer_name(layer.kind)) == "add";
}

// k = max(round(n * (1 - sparsity)), 1) units are kept: those scoring at least the k-th largest score.
std::vector<float> keep_largest(const std::vector<double>& scores, double sparsity) {
  const int64_t n = static_cast<int64_t>(scores.size());
  const int64_t k = std::max<int64_t>(std::llround(static_cast<double>(n) * (1.0 - sparsity)), 1);
  std::vector<double> sorted = scores;
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<double>());
  const double threshold = sorted[k - 1];
  std::vector<float> keep(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) keep[i] = scores[i] >= threshold ? 1.0f : 0.0f;
  return keep;
}

int64_t product(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

// The trainable layers whose output channels channel pruning may remove: every conv2d and dense layer but
// the last one (the network's output).
std::vector<int> channel_sources(const NetworkSpec& spec) {
  std::vector<int> sources;
  for (size_t l = 0; l < spec.layers.size(); ++l) {
    if (makes_channels(spec.layers[l].kind)) sources.push_back(static_cast<int>(l));
  }
  if (!sources.empty()) sources.pop_back();
  return sources;
}

// Layers after `source` that carry its channels one to one, up to the next layer that mixes them.
std::vector<int> channel_followers(const NetworkSpec& spec, int source) {
  std::vector<int> followers;
  for (size_t l = source + 1; l < spec.layers.size() && keeps_channels(spec.layers[l].kind); ++l) {
    followers.push_back(static_cast<int>(l));
  }
  return followers;
}

void check_no_residuals(const NetworkSpec& spec) {
  for (const LayerSpec& layer : spec.layers) {
    if (is_residual_add(layer)) {
      throw std::invalid_argument("channel pruning does not support residual adds (line " +
                                  std::to_string(layer.line) +
                                  "): both branches would need the same channels");
    }
  }
}

}  // namespace

void PolynomialDecay::validate() const {
  auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  if (!(initial_sparsity >= 0 && initial_sparsity < 1))
    fail("initial sparsity must be in [0, 1), got " + std::to_string(initial_sparsity));
  if (!(final_sparsity >= 0 && final_sparsity < 1))
    fail("final sparsity must be in [0, 1), got " + std::to_string(final_sparsity));
  if (begin_step < 0) fail("begin step must be >= 0, got " + std::to_string(begin_step));
  if (end_step < begin_step) {
    fail("end step " + std::to_string(end_step) + " is before the begin step " + std::to_string(begin_step));
  }
  if (frequency < 1) fail("frequency must be >= 1, got " + std::to_string(frequency));
  if (!(power >= 0 && std::isfinite(power))) fail("power must be a finite number >= 0");
}

double PolynomialDecay::sparsity(int64_t step) const {
  // TF-MOT computes in float32 and divides by zero when begin == end (p is then clamped): p = 1.
  double p = end_step > begin_step
                 ? static_cast<double>(step - begin_step) / static_cast<double>(end_step - begin_step)
                 : (step >= begin_step ? 1.0 : 0.0);
  p = std::clamp(p, 0.0, 1.0);
  return final_sparsity + (initial_sparsity - final_sparsity) * std::pow(1.0 - p, power);
}

bool PolynomialDecay::should_prune(int64_t step) const {
  return step >= begin_step && step <= end_step && (step - begin_step) % frequency == 0;
}

Pruner::Pruner(Network& network, const PruneOptions& options) : network_(network), options_(options) {
  options_.schedule.validate();
  if (options_.block_size < 1) {
    throw std::invalid_argument("block size must be >= 1, got " + std::to_string(options_.block_size));
  }
  const NetworkSpec& spec = network_.spec();
  std::vector<Parameter<float>>& params = network_.parameters();
  masks_.resize(params.size());
  if (options_.granularity == PruneGranularity::kBlocks) {
    int64_t all = 0, pruned = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!has_weights(spec.layers[params[i].layer].kind) || params[i].shape.size() < 2) continue;
      const int64_t n = static_cast<int64_t>(params[i].value.size());
      all += n;
      if (n < options_.min_weights) continue;
      masks_[i].assign(params[i].value.size(), 1.0f);
      pruned += n;
    }
    if (pruned == 0) {
      throw std::invalid_argument("no weight tensor has at least " + std::to_string(options_.min_weights) +
                                  " weights to prune");
    }
    scale_ = static_cast<double>(all) / static_cast<double>(pruned);
    return;
  }
  check_no_residuals(spec);
  const std::vector<int> sources = channel_sources(spec);
  if (sources.empty()) {
    throw std::invalid_argument(
        "channel pruning needs a conv2d or dense layer before the output layer; this network has none");
  }
  for (int source : sources) {
    std::vector<int> layers = channel_followers(spec, source);
    layers.push_back(source);
    for (size_t i = 0; i < params.size(); ++i) {
      if (std::find(layers.begin(), layers.end(), params[i].layer) != layers.end()) {
        masks_[i].assign(params[i].value.size(), 1.0f);
      }
    }
  }
}

void Pruner::before_step(int64_t step) {
  if (options_.schedule.should_prune(step)) {
    current_sparsity_ = options_.schedule.sparsity(step);
    if (options_.granularity == PruneGranularity::kBlocks) {
      update_block_masks(current_sparsity_);
    } else {
      update_channel_masks(current_sparsity_);
    }
    ++mask_updates_;
  }
  apply_masks();
}

void Pruner::apply_masks() {
  std::vector<Parameter<float>>& params = network_.parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    if (masks_[i].empty()) continue;
    for (size_t j = 0; j < masks_[i].size(); ++j) params[i].value[j] *= masks_[i][j];
  }
}

void Pruner::update_block_masks(double sparsity) {
  const std::vector<Parameter<float>>& params = network_.parameters();
  const int64_t block = options_.block_size;
  for (size_t i = 0; i < params.size(); ++i) {
    if (masks_[i].empty()) continue;
    const std::vector<float>& w = params[i].value;
    const int64_t row = params[i].shape.back();
    const int64_t rows = static_cast<int64_t>(w.size()) / row;
    const int64_t blocks_per_row = (row + block - 1) / block;
    std::vector<double> scores(rows * blocks_per_row);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t b = 0; b < blocks_per_row; ++b) {
        const int64_t begin = b * block, end = std::min(row, begin + block);
        double sum = 0;
        for (int64_t j = begin; j < end; ++j) sum += std::fabs(w[r * row + j]);
        scores[r * blocks_per_row + b] = sum / static_cast<double>(end - begin);
      }
    }
    const std::vector<float> keep = keep_largest(scores, std::min(sparsity * scale_, 0.99));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t j = 0; j < row; ++j) masks_[i][r * row + j] = keep[r * blocks_per_row + j / block];
    }
  }
}

void Pruner::update_channel_masks(double sparsity) {
  const NetworkSpec& spec = network_.spec();
  const std::vector<Parameter<float>>& params = network_.parameters();
  for (int source : channel_sources(spec)) {
    const int channels = spec.layers[source].units;
    // The source's weights: rows of one output channel each (conv [O,KH,KW,I], dense [U,D]).
    std::vector<double> norms(channels, 0.0);
    for (const Parameter<float>& p : params) {
      if (p.layer != source || p.shape.size() < 2) continue;
      const int64_t per_channel = static_cast<int64_t>(p.value.size()) / channels;
      for (int c = 0; c < channels; ++c) {
        for (int64_t j = 0; j < per_channel; ++j) {
          const double v = p.value[c * per_channel + j];
          norms[c] += v * v;
        }
      }
    }
    const std::vector<float> keep = keep_largest(norms, sparsity);
    std::vector<int> layers = channel_followers(spec, source);
    layers.push_back(source);
    for (size_t i = 0; i < params.size(); ++i) {
      if (std::find(layers.begin(), layers.end(), params[i].layer) == layers.end()) continue;
      const Parameter<float>& p = params[i];
      const bool rows_are_channels = p.layer == source;  // else the channel is the innermost dimension
      const int64_t n = static_cast<int64_t>(p.value.size());
      for (int64_t j = 0; j < n; ++j) {
        masks_[i][j] = keep[rows_are_channels ? j / (n / channels) : j % channels];
      }
    }
  }
}

std::vector<LayerSparsity> weight_sparsity(const Network& network) {
  std::vector<LayerSparsity> result;
  const NetworkSpec& spec = network.spec();
  for (const Parameter<float>& p : network.parameters()) {
    if (!has_weights(spec.layers[p.layer].kind) || p.shape.size() < 2) continue;
    LayerSparsity s;
    s.name = p.name;
    s.weights = static_cast<int64_t>(p.value.size());
    s.zeros = std::count(p.value.begin(), p.value.end(), 0.0f);
    // Output channels: conv and dense rows; a depthwise's channels are innermost.
    const bool innermost = spec.layers[p.layer].kind == LayerKind::kDepthwise;
    s.channels = innermost ? p.shape.back() : p.shape.front();
    const int64_t per_channel = s.weights / s.channels;
    for (int64_t c = 0; c < s.channels; ++c) {
      bool all_zero = true;
      for (int64_t j = 0; j < per_channel && all_zero; ++j) {
        all_zero = p.value[innermost ? j * s.channels + c : c * per_channel + j] == 0.0f;
      }
      s.zero_channels += all_zero;
    }
    result.push_back(s);
  }
  return result;
}

std::vector<LayerSparsity> Pruner::report() const {
  return weight_sparsity(network_);
}

Network shrink_channels(const Network& network, uint64_t seed) {
  const NetworkSpec& spec = network.spec();
  check_no_residuals(spec);
  const std::vector<Parameter<float>>& params = network.parameters();
  auto params_of = [&](int layer) {
    std::vector<const Parameter<float>*> result;
    for (const Parameter<float>& p : params) {
      if (p.layer == layer) result.push_back(&p);
    }
    return result;
  };

  // Which output channels of each source survive: not all its weights and bias zero, or some per-channel
  // parameter after it (a depthwise's bias, a batch norm's) is not zero at that channel.
  std::vector<std::vector<bool>> out_keep(spec.layers.size());
  for (int source : channel_sources(spec)) {
    const int channels = spec.layers[source].units;
    std::vector<bool> keep(channels, false);
    for (const Parameter<float>* p : params_of(source)) {
      const int64_t per_channel = static_cast<int64_t>(p->value.size()) / channels;
      for (int64_t j = 0; j < static_cast<int64_t>(p->value.size()); ++j) {
        if (p->value[j] != 0.0f) keep[j / per_channel] = true;
      }
    }
    for (int follower : channel_followers(spec, source)) {
      for (const Parameter<float>* p : params_of(follower)) {
        if (p->shape.size() != 1) continue;  // a depthwise's weights only see the (zero) input channel
        for (int c = 0; c < channels; ++c) {
          if (p->value[c] != 0.0f) keep[c] = true;
        }
      }
    }
    if (std::find(keep.begin(), keep.end(), true) == keep.end()) keep[0] = true;
    out_keep[source] = keep;
  }

  // The narrowed spec: sources get their kept channel counts, and shapes are carried forward.
  NetworkSpec narrowed = spec;
  FeatureShape current = narrowed.input;
  for (size_t l = 0; l < narrowed.layers.size(); ++l) {
    LayerSpec& layer = narrowed.layers[l];
    if (!out_keep[l].empty())
      layer.units = static_cast<int>(std::count(out_keep[l].begin(), out_keep[l].end(), true));
    layer.in = current;
    if (makes_channels(layer.kind)) {
      layer.out.channels = layer.units;
    } else if (layer.kind == LayerKind::kFlatten) {
      layer.out.channels = static_cast<int>(current.size());
    } else {
      layer.out.channels = current.channels;
    }
    current = layer.out;
  }
  Network result(narrowed, seed);

  // Copy the kept values. `keep` follows the innermost dimension of the activation between layers.
  std::vector<bool> keep(spec.input.channels, true);
  size_t next_param = 0, next_state = 0;
  for (size_t l = 0; l < spec.layers.size(); ++l) {
    const LayerSpec& layer = spec.layers[l];
    const std::vector<bool> in_keep = keep;
    if (layer.kind == LayerKind::kFlatten) {
      const int64_t positions = layer.in.height * layer.in.width;
      keep.assign(positions * layer.in.channels, false);
      for (int64_t pos = 0; pos < positions; ++pos) {
        for (int c = 0; c < layer.in.channels; ++c) keep[pos * layer.in.channels + c] = in_keep[c];
      }
    } else if (makes_channels(layer.kind)) {
      keep = out_keep[l].empty() ? std::vector<bool>(layer.units, true) : out_keep[l];
    }
    // Per dimension: which indices stay (empty: all). Sources' rows are their output channels; the innermost
    // dimension is the input's channels (also for the rank-1 parameters and state of channel-carrying layers,
    // such as a batch norm's moving statistics).
    auto copy_kept = [&](const Parameter<float>& p, Parameter<float>& q) {
      const int rank = static_cast<int>(p.shape.size());
      std::vector<std::vector<bool>> dims(rank);
      if (makes_channels(layer.kind)) {
        dims[0] = keep;
        if (rank >= 2) dims.back() = in_keep;
      } else {
        dims.back() = in_keep;
      }
      q.value.clear();
      std::vector<int32_t> index(rank, 0);
      for (int64_t j = 0; j < static_cast<int64_t>(p.value.size()); ++j) {
        bool kept = true;
        for (int d = 0; d < rank && kept; ++d) kept = dims[d].empty() || dims[d][index[d]];
        if (kept) q.value.push_back(p.value[j]);
        for (int d = rank - 1; d >= 0 && ++index[d] == p.shape[d]; --d) index[d] = 0;
      }
      if (q.value.size() != static_cast<size_t>(product(q.shape))) {
        throw std::logic_error("shrink_channels: " + p.name + " does not fit its narrowed shape");
      }
    };
    for (const Parameter<float>* p : params_of(static_cast<int>(l))) {
      copy_kept(*p, result.parameters().at(next_param++));
    }
    for (const Parameter<float>& s : network.state()) {
      if (s.layer == static_cast<int>(l)) copy_kept(s, result.state().at(next_state++));
    }
  }
  return result;
}

}  // namespace edgeinfer::compiler::train
