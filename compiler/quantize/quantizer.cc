#include "compiler/quantize/quantizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

#include "compiler/graph/graph.h"
#include "compiler/graph/passes.h"
#include "compiler/host_runner.h"
#include "compiler/quantize/sparsity_index.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/float16.h"

namespace edgeinfer::compiler::quantize {
namespace {

using Opts = tflite_ir::BuiltinOptions;

// Error-compensated rounding keeps a d x d matrix per FULLY_CONNECTED input: bounded at 2048 inputs (32 MiB).
constexpr int32_t kMaxCompensatedInputs = 2048;

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument(message);
}

std::string op_label(const Graph& g, int index) {
  return "op " + std::to_string(index) + " (" + g.ops[index].name() + ")";
}

bool is_float_activation(const GraphTensor& t) {
  return t.type == DataType::kFloat32 && !t.is_constant;
}

// ---- Op classes ----

// Ops whose first input is an activation and second a weight tensor quantized per channel along `axis`.
int weight_channel_axis(const GraphOp& op) {
  if (op.is(BuiltinOp::kConv2D) || op.is(BuiltinOp::kFullyConnected)) return 0;
  if (op.is(BuiltinOp::kDepthwiseConv2D)) return 3;
  return -1;
}

// Ops whose outputs (and, for CONCATENATION and friends, all activation inputs) share the first input's
// quantization in TFLite's int8 spec.
bool shares_input_params(const GraphOp& op) {
  switch (op.op()) {
    case BuiltinOp::kAveragePool2D:
    case BuiltinOp::kMaxPool2D:
    case BuiltinOp::kReshape:
    case BuiltinOp::kSqueeze:
    case BuiltinOp::kExpandDims:
    case BuiltinOp::kTranspose:
    case BuiltinOp::kPad:
    case BuiltinOp::kPadV2:
    case BuiltinOp::kStridedSlice:
    case BuiltinOp::kSlice:
    case BuiltinOp::kSplit:
    case BuiltinOp::kSplitV:
    case BuiltinOp::kPack:
    case BuiltinOp::kUnpack:
    case BuiltinOp::kConcatenation:
    case BuiltinOp::kResizeNearestNeighbor:
    case BuiltinOp::kMaximum:
    case BuiltinOp::kMinimum: return true;
    default: return false;
  }
}

// Ops quantized with their own calibrated output range (beyond the weight ops and the shared ones).
bool own_output_params(const GraphOp& op) {
  switch (op.op()) {
    case BuiltinOp::kAdd:
    case BuiltinOp::kSub:
    case BuiltinOp::kMul:
    case BuiltinOp::kMean:
    case BuiltinOp::kRelu:
    case BuiltinOp::kRelu6:
    case BuiltinOp::kReluN1To1:
    case BuiltinOp::kLeakyRelu:
    case BuiltinOp::kHardSwish:
    case BuiltinOp::kConv2D:
    case BuiltinOp::kDepthwiseConv2D:
    case BuiltinOp::kFullyConnected: return true;
    default: return false;
  }
}

// Fixed output parameters of TFLite's spec: {scale, zero point} for int8 and int16.
std::optional<std::pair<float, int64_t>> fixed_output_params(const GraphOp& op, bool int16) {
  switch (op.op()) {
    case BuiltinOp::kSoftmax:
    case BuiltinOp::kLogistic:
      return int16 ? std::make_pair(1.0f / 32768, int64_t{0}) : std::make_pair(1.0f / 256, int64_t{-128});
    case BuiltinOp::kTanh:
      return int16 ? std::make_pair(1.0f / 32768, int64_t{0}) : std::make_pair(1.0f / 128, int64_t{0});
    default: return std::nullopt;
  }
}

// UNIDIRECTIONAL_SEQUENCE_LSTM operand slots (TFLite's order).
constexpr int kLstmInput = 0, kLstmFirstWeights = 1, kLstmLastWeights = 8, kLstmFirstBias = 12,
              kLstmLastBias = 15, kLstmHiddenState = 18, kLstmCellState = 19;

bool quantizable(const GraphOp& op) {
  return weight_channel_axis(op) >= 0 || op.is(BuiltinOp::kUnidirectionalSequenceLstm) ||
         shares_input_params(op) || own_output_params(op) || fixed_output_params(op, false).has_value();
}

// ---- Float normalisation: hybrid weights and float16 constants back to float32 ----

void dequantize_constants(Graph& g) {
  // DEQUANTIZE of a constant (float16 or int8 weights): the output becomes that constant in float32.
  for (int i = static_cast<int>(g.ops.size()) - 1; i >= 0; --i) {
    GraphOp& op = g.ops[i];
    if (!op.is(BuiltinOp::kDequantize) || op.inputs.empty() || op.inputs[0] < 0) continue;
    const GraphTensor& in = g.tensors[op.inputs[0]];
    if (!in.is_constant) continue;
    GraphTensor& out = g.tensors[op.outputs[0]];
    out.set_values<float>(DataType::kFloat32, in.float_values());
    out.quant = {};
    g.remove_op(i);
  }
  // Hybrid ops: int8 weights of an op with float activations.
  for (GraphOp& op : g.ops) {
    bool float_op = false;
    for (int t : op.inputs)
      if (t >= 0 && is_float_activation(g.tensors[t])) float_op = true;
    if (!float_op) continue;
    for (int t : op.inputs) {
      if (t < 0) continue;
      GraphTensor& tensor = g.tensors[t];
      if (!tensor.is_constant || !tensor.quant.is_quantized()) continue;
      if (tensor.type != DataType::kInt8 && tensor.type != DataType::kUInt8) continue;
      tensor.set_values<float>(DataType::kFloat32, tensor.float_values());
      tensor.quant = {};
    }
    if (op.options.type == Opts::FullyConnectedOptions)
      op.options.AsFullyConnectedOptions()->asymmetric_quantize_inputs = false;
    if (op.options.type == Opts::SVDFOptions) op.options.AsSVDFOptions()->asymmetric_quantize_inputs = false;
    if (op.options.type == Opts::UnidirectionalSequenceLSTMOptions)
      op.options.AsUnidirectionalSequenceLSTMOptions()->asymmetric_quantize_inputs = false;
  }
  g.remove_unused_tensors();
}

void check_float_model(const Graph& g) {
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const GraphTensor& t = g.tensors[g.inputs[i]];
    if (t.type != DataType::kFloat32)
      fail("model input " + std::to_string(i) + " is " + data_type_name(t.type) +
           ": quantize needs a float32 (or hybrid) model");
  }
  for (size_t i = 0; i < g.ops.size(); ++i)
    for (int t : g.ops[i].outputs)
      if (g.tensors[t].type != DataType::kFloat32 && g.tensors[t].type != DataType::kInt32)
        fail(op_label(g, static_cast<int>(i)) + " writes " + data_type_name(g.tensors[t].type) +
             ": quantize needs a float32 (or hybrid) model");
}

// ---- Calibration ----

struct Calibration {
  std::map<int, RangeCollector> collectors;          // every float activation tensor
  std::map<int, std::vector<double>> channel_means;  // inputs of weight ops: mean per last-dim channel
  std::map<int, RangeCollector> cell_states;         // LSTM cell states after each sample
  // Inputs of FULLY_CONNECTED ops: sum of x x^T over every row (upper triangle, row-major d x d) and rows.
  std::map<int, std::vector<double>> input_gram;
  std::map<int, int64_t> gram_rows;
  size_t samples = 0;
};

class Recorder : public OpObserver {
 public:
  Recorder(const Graph& g, Interpreter& interpreter, Calibration& calibration,
           const std::set<int>& mean_tensors, const std::set<int>& gram_tensors)
      : g_(g),
        interpreter_(interpreter),
        calibration_(calibration),
        mean_tensors_(mean_tensors),
        gram_tensors_(gram_tensors) {}
  void add_gram(int t, std::span<const float> values, size_t d) {
    auto& gram = calibration_.input_gram[t];
    gram.resize(d * d, 0.0);
    for (size_t row = 0; row + d <= values.size(); row += d) {
      const float* x = values.data() + row;
      for (size_t i = 0; i < d; ++i) {
        const double xi = x[i];
        if (xi == 0.0) continue;  // post-ReLU inputs are mostly zeros
        double* line = &gram[i * d];
        for (size_t j = i; j < d; ++j) line[j] += xi * x[j];
      }
      ++calibration_.gram_rows[t];
    }
  }
  void on_op_begin(int) override {}
  void on_op_end(int op_index, const Status& status) override {
    if (!status.is_ok()) return;
    for (int t : g_.ops[op_index].outputs) record(t);
  }
  void record_state(int t) {
    const Tensor view = interpreter_.tensor(t);
    calibration_.cell_states[t].add(
        std::span<const float>(view.data_as<const float>(), view.bytes / sizeof(float)));
  }
  void record(int t) {
    if (!is_float_activation(g_.tensors[t])) return;
    const Tensor view = interpreter_.tensor(t);
    const std::span<const float> values(view.data_as<const float>(), view.bytes / sizeof(float));
    calibration_.collectors[t].add(values);
    if (!mean_tensors_.count(t) || values.empty()) return;
    const GraphTensor& gt = g_.tensors[t];
    if (gram_tensors_.count(t))
      add_gram(t, values, gt.shape.empty() ? 1 : static_cast<size_t>(gt.shape.back()));
    const size_t channels = gt.shape.empty() ? 1 : static_cast<size_t>(gt.shape.back());
    auto& sums = calibration_.channel_means[t];
    sums.resize(channels, 0.0);
    const double rows = static_cast<double>(values.size() / channels);
    for (size_t i = 0; i < values.size(); ++i) sums[i % channels] += values[i] / rows;
  }

 private:
  const Graph& g_;
  Interpreter& interpreter_;
  Calibration& calibration_;
  const std::set<int>& mean_tensors_;
  const std::set<int>& gram_tensors_;
};

Calibration calibrate(const Graph& g, const SampleSet& samples, const QuantizeOptions& options) {
  if (samples.empty()) fail("calibration data is empty: give at least one sample");
  const std::vector<uint8_t> bytes = g.write();
  host::LoadedModel loaded;
  Status status = loaded.load_bytes(bytes.data(), bytes.size());
  if (!status.is_ok()) fail(std::string("float model: ") + status.message());
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver);
  if (!status.is_ok()) fail(std::string("float model does not run: ") + status.message());
  Interpreter& interpreter = runner.interpreter();

  std::set<int> mean_tensors, gram_tensors;
  for (const GraphOp& op : g.ops) {
    if (weight_channel_axis(op) < 0) continue;
    mean_tensors.insert(op.inputs[0]);
    const auto& shape = g.tensors[op.inputs[0]].shape;
    if (options.error_compensation && op.is(BuiltinOp::kFullyConnected) && !shape.empty() &&
        shape.back() <= kMaxCompensatedInputs)
      gram_tensors.insert(op.inputs[0]);
  }
  Calibration calibration;
  Recorder recorder(g, interpreter, calibration, mean_tensors, gram_tensors);
  interpreter.set_observer(&recorder);
  for (size_t s = 0; s < samples.size(); ++s) {
    if (samples[s].size() != g.inputs.size())
      fail("calibration sample " + std::to_string(s) + " has " + std::to_string(samples[s].size()) +
           " inputs, the model " + std::to_string(g.inputs.size()));
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      const Tensor input = interpreter.input(static_cast<int>(i));
      const auto& values = samples[s][i];
      if (values.size() * sizeof(float) != input.bytes)
        fail("calibration sample " + std::to_string(s) + " input " + std::to_string(i) + " has " +
             std::to_string(values.size()) + " values, the model's input " +
             std::to_string(input.bytes / sizeof(float)));
      for (size_t k = 0; k < values.size(); ++k)
        if (!std::isfinite(values[k]))
          fail("calibration sample " + std::to_string(s) + " input " + std::to_string(i) + " value " +
               std::to_string(k) + " is not finite");
      std::memcpy(input.data, values.data(), input.bytes);
      recorder.record(g.inputs[i]);
    }
    interpreter.reset_state();
    status = interpreter.invoke();
    if (!status.is_ok())
      fail("float model failed on calibration sample " + std::to_string(s) + ": " +
           std::string(status.message()));
    if (options.progress) options.progress(s + 1, samples.size());
  }
  interpreter.set_observer(nullptr);
  for (auto& [t, sums] : calibration.channel_means)
    for (double& v : sums) v /= static_cast<double>(samples.size());
  calibration.samples = samples.size();
  return calibration;
}

// ---- Parameter assignment (int8 / int16x8) ----

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) { return parent[x] == x ? x : parent[x] = find(parent[x]); }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

struct ActivationParams {
  float scale = 0;
  int64_t zero_point = 0;
  std::string constraint;
};

std::map<int, ActivationParams> choose_activation_params(const Graph& g, const Calibration& calibration,
                                                         const QuantizeOptions& options, bool int16) {
  const QuantTarget target = int16 ? QuantTarget::int16_symmetric() : QuantTarget::int8_asymmetric();
  UnionFind groups(g.tensors.size());
  std::map<int, ActivationParams> fixed;  // group member -> fixed params
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    if (shares_input_params(op)) {
      const int first = op.inputs[0];
      for (int t : op.outputs) groups.unite(t, first);
      if (op.is(BuiltinOp::kConcatenation) || op.is(BuiltinOp::kPack) || op.is(BuiltinOp::kMaximum) ||
          op.is(BuiltinOp::kMinimum))
        for (int t : op.inputs)
          if (t >= 0 && (is_float_activation(g.tensors[t]))) groups.unite(t, first);
    }
    if (auto params = fixed_output_params(op, int16))
      fixed[op.outputs[0]] = {params->first, params->second,
                              op.name() + " output (TFLite's fixed parameters)"};
  }
  // Group ranges: the union of the members' calibrated ranges, or a member's fixed parameters.
  std::map<int, Range> group_range;
  std::map<int, ActivationParams> group_fixed;
  std::map<int, int> group_size;
  for (const auto& [t, collector] : calibration.collectors) {
    const int root = groups.find(t);
    ++group_size[root];
    const Range r = collector.range(options.method, target, options.calibration);
    auto [it, inserted] = group_range.emplace(root, r);
    if (!inserted) it->second = {std::min(it->second.min, r.min), std::max(it->second.max, r.max)};
  }
  for (const auto& [t, params] : fixed) group_fixed[groups.find(t)] = params;
  std::map<int, ActivationParams> result;
  for (const auto& [t, collector] : calibration.collectors) {
    const int root = groups.find(t);
    ActivationParams p;
    if (auto it = group_fixed.find(root); it != group_fixed.end()) {
      p = it->second;
      if (!fixed.count(t)) p.constraint = "shares the parameters of a " + p.constraint;
    } else {
      const Range r = group_range.at(root);
      const QuantParamsResult q = int16 ? choose_symmetric_params(std::max(-r.min, r.max), target.qmax)
                                        : choose_asymmetric_params(r, target.qmin, target.qmax);
      p.scale = q.scale;
      p.zero_point = q.zero_point;
      if (group_size[root] > 1) p.constraint = "shared with its pooling/reshape/concatenation neighbours";
    }
    result[t] = p;
  }
  return result;
}

int64_t round_away(double x) {
  return static_cast<int64_t>(std::round(x));
}

// A bias's values in the integer type of its op: int32 saturated (int8 ops), int64 (16x8 ops). `scales` holds
// one scale per value, or one for all.
void set_quantized_bias(GraphTensor& bias, const std::vector<float>& values, const std::vector<float>& scales,
                        bool int16) {
  auto level = [&](size_t k) { return static_cast<double>(values[k]) / scales[scales.size() == 1 ? 0 : k]; };
  if (int16) {
    std::vector<int64_t> q(values.size());
    for (size_t k = 0; k < values.size(); ++k) q[k] = round_away(level(k));
    bias.set_values<int64_t>(DataType::kInt64, q);
  } else {
    std::vector<int32_t> q(values.size());
    for (size_t k = 0; k < values.size(); ++k)
      q[k] = static_cast<int32_t>(std::clamp(std::round(level(k)), -2147483647.0, 2147483647.0));
    bias.set_values<int32_t>(DataType::kInt32, q);
  }
}

// Per-channel weights of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, in place. Returns the scales.
std::vector<float> quantize_weights(GraphTensor& w, int axis, const std::string& label) {
  const std::vector<float> values = w.float_values();
  const std::vector<float> scales = per_channel_scales(values.data(), w.shape, axis);
  if (scales.empty())
    fail(label + ": weights of shape rank " + std::to_string(w.shape.size()) +
         " cannot be quantized per channel");
  const std::vector<int8_t> q = quantize_symmetric(values.data(), w.shape, axis, scales);
  w.set_values<int8_t>(DataType::kInt8, q);
  w.quant = QuantParams::per_channel(scales, std::vector<int64_t>(scales.size(), 0), axis);
  return scales;
}

// Lower Cholesky factor of the symmetric positive definite d x d matrix `a` (row-major); false if not SPD.
bool cholesky(std::vector<double>& a, size_t d) {
  for (size_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (size_t k = 0; k < j; ++k) diag -= a[j * d + k] * a[j * d + k];
    if (!(diag > 0)) return false;
    diag = std::sqrt(diag);
    a[j * d + j] = diag;
    for (size_t i = j + 1; i < d; ++i) {
      double v = a[i * d + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = v / diag;
    }
    for (size_t k = j + 1; k < d; ++k) a[j * d + k] = 0;
  }
  return true;
}

// Error-compensating rounding of FULLY_CONNECTED weights (GPTQ, Frantar et al. 2022): rows are quantized one
// input column at a time, and each column's rounding error is spread over the columns not yet quantized in
// proportion to how the calibration inputs correlate, which minimises the error of W x on those inputs rather
// than of W alone. Scales stay those of plain rounding; only which integer each weight rounds to changes.
// Zero weights stay zero.
// Returns false (leaving `q` alone) when the input statistics are degenerate.
bool compensated_rounding(const std::vector<float>& w, size_t rows, size_t d,
                          const std::vector<float>& scales, std::vector<double> gram, int64_t gram_rows,
                          std::vector<int8_t>& q) {
  if (gram_rows <= 0 || gram.size() != d * d) return false;
  // H = E[x x^T] (mirrored from the upper triangle), damped by 1% of its mean diagonal.
  double mean_diag = 0;
  for (size_t i = 0; i < d; ++i) mean_diag += gram[i * d + i];
  mean_diag /= static_cast<double>(d * gram_rows);
  const double damp = 0.01 * (mean_diag > 0 ? mean_diag : 1.0);
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = i; j < d; ++j) {
      const double v = gram[i * d + j] / static_cast<double>(gram_rows);
      gram[i * d + j] = gram[j * d + i] = v;
    }
    gram[i * d + i] += damp;
  }
  // U: the upper Cholesky factor of H^-1 (H^-1 = U^T U).
  if (!cholesky(gram, d)) return false;
  std::vector<double> inv(d * d, 0.0);  // L^-1, lower triangular
  for (size_t i = 0; i < d; ++i) {
    inv[i * d + i] = 1.0 / gram[i * d + i];
    for (size_t j = 0; j < i; ++j) {
      double v = 0;
      for (size_t k = j; k < i; ++k) v -= gram[i * d + k] * inv[k * d + j];
      inv[i * d + j] = v / gram[i * d + i];
    }
  }
  std::vector<double> hinv(d * d, 0.0);  // L^-T L^-1
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j <= i; ++j) {
      double v = 0;
      for (size_t k = i; k < d; ++k) v += inv[k * d + i] * inv[k * d + j];
      hinv[i * d + j] = hinv[j * d + i] = v;
    }
  if (!cholesky(hinv, d)) return false;  // lower factor L2 of H^-1; U = L2^T
  auto u = [&](size_t i, size_t j) { return hinv[j * d + i]; };
  std::vector<double> row(d);
  for (size_t r = 0; r < rows; ++r) {
    const double scale = scales[r];
    for (size_t j = 0; j < d; ++j) row[j] = w[r * d + j];
    for (size_t j = 0; j < d; ++j) {
      // A weight that is exactly zero (pruned) stays zero, so the sparsity survives; its column's error
      // (from earlier compensation) still flows on to the columns after it.
      const double level = w[r * d + j] == 0.0f ? 0.0 : std::clamp(std::round(row[j] / scale), -127.0, 127.0);
      q[r * d + j] = static_cast<int8_t>(level);
      const double error = (row[j] - level * scale) / u(j, j);
      for (size_t k = j + 1; k < d; ++k) row[k] -= error * u(j, k);
    }
  }
  return true;
}

// Bias correction: the mean output error of channel c from weight rounding is sum_k dW[c,k] * E[x_k]
// (FULLY_CONNECTED; CONV_2D sums over the kernel window, DEPTHWISE per channel), subtracted from the bias.
void correct_bias(const GraphOp& op, const std::vector<float>& float_weights, const GraphTensor& quantized,
                  const std::vector<double>& input_means, std::vector<float>& bias) {
  const std::vector<float> deq = quantized.float_values();
  const auto& s = quantized.shape;
  const size_t channels = bias.size();
  std::vector<double> error(channels, 0.0);
  if (op.is(BuiltinOp::kDepthwiseConv2D)) {
    const size_t out_c = s[3], in_c = input_means.size();
    const size_t multiplier = in_c ? out_c / in_c : 1;
    for (size_t i = 0; i < deq.size(); ++i) {
      const size_t c = i % out_c;
      if (multiplier == 0 || c / multiplier >= in_c) continue;
      error[c] += (deq[i] - float_weights[i]) * input_means[c / multiplier];
    }
  } else {
    const size_t per_channel = deq.size() / channels;
    const size_t in_c = input_means.size();
    for (size_t i = 0; i < deq.size(); ++i) {
      const size_t c = i / per_channel, k = (i % per_channel) % in_c;
      error[c] += (deq[i] - float_weights[i]) * input_means[k];
    }
  }
  for (size_t c = 0; c < channels; ++c) bias[c] = static_cast<float>(bias[c] - error[c]);
}

// TensorFlow Lite's op versions for int8 (16x8) kernels, so TensorFlow Lite picks the right kernel.
int integer_op_version(const GraphOp& op, bool int16) {
  switch (op.op()) {
    case BuiltinOp::kConv2D: return int16 ? 4 : 3;
    case BuiltinOp::kDepthwiseConv2D: return int16 ? 5 : 3;
    case BuiltinOp::kFullyConnected: return int16 ? 7 : 4;
    case BuiltinOp::kAdd: return int16 ? 3 : 2;
    case BuiltinOp::kSub: return int16 ? 3 : 2;
    case BuiltinOp::kMul: return int16 ? 4 : 2;
    case BuiltinOp::kSoftmax: return int16 ? 3 : 2;
    case BuiltinOp::kLogistic: return int16 ? 3 : 2;
    case BuiltinOp::kTanh: return int16 ? 3 : 2;
    case BuiltinOp::kAveragePool2D: return int16 ? 3 : 2;
    case BuiltinOp::kMaxPool2D: return int16 ? 3 : 2;
    case BuiltinOp::kConcatenation: return int16 ? 3 : 2;
    case BuiltinOp::kPad: return int16 ? 4 : 2;
    case BuiltinOp::kMean: return int16 ? 3 : 2;
    case BuiltinOp::kQuantize: return int16 ? 3 : 2;
    case BuiltinOp::kDequantize: return int16 ? 4 : 2;
    default: return std::max(op.version, 1);
  }
}

// UNIDIRECTIONAL_SEQUENCE_LSTM as TFLite quantizes it for TFLM's integer kernel: weights int8 symmetric per
// tensor, gate biases int32 (int64 in 16x8) with scale input scale x input weight scale, the hidden state
// with the output's parameters, the cell state int16 with a power-of-two scale (zero point 0) covering twice
// the largest calibrated final cell state.
void quantize_lstm(Graph& g, int index, const std::map<int, ActivationParams>& params,
                   const Calibration& calibration, bool int16, std::set<int>& handled) {
  GraphOp& op = g.ops[index];
  const std::string label = op_label(g, index);
  if (op.inputs.size() <= kLstmCellState)
    fail(label + ": has " + std::to_string(op.inputs.size()) + " inputs");
  for (size_t slot = 0; slot < op.inputs.size(); ++slot) {
    const bool optional_feature = (slot >= 9 && slot <= 11) || slot == 16 || slot == 17 || slot >= 20;
    if (optional_feature && op.inputs[slot] >= 0)
      fail(label + ": peephole, projection and layer-normalised LSTMs cannot be quantized");
  }
  const int in = op.inputs[kLstmInput], out = op.outputs[0];
  if (!params.count(in) || !params.count(out)) fail(label + ": input or output is not a float activation");
  std::vector<float> weight_scale(kLstmLastWeights + 1, 0.0f);
  for (int slot = kLstmFirstWeights; slot <= kLstmLastWeights; ++slot) {
    const int t = op.inputs[slot];
    if (t < 0) fail(label + ": CIFG LSTMs (no input gate) cannot be quantized");
    GraphTensor& w = g.tensors[t];
    if (!w.is_constant || handled.count(t)) fail(label + ": weights are shared or not constant");
    handled.insert(t);
    // One scale for the whole matrix: the kernel reads per-tensor parameters.
    const std::vector<float> values = w.float_values();
    const std::vector<int32_t> flat = {1, static_cast<int32_t>(values.size())};
    const std::vector<float> scale = per_channel_scales(values.data(), flat, 0);
    w.set_values<int8_t>(DataType::kInt8, quantize_symmetric(values.data(), flat, 0, scale));
    w.quant = QuantParams::per_tensor(scale.at(0), 0);
    weight_scale[slot] = scale[0];
  }
  const float in_scale = params.at(in).scale;
  for (int slot = kLstmFirstBias; slot <= kLstmLastBias; ++slot) {
    const int t = op.inputs[slot];
    if (t < 0) continue;
    GraphTensor& b = g.tensors[t];
    if (!b.is_constant || handled.count(t)) fail(label + ": gate biases are shared or not constant");
    handled.insert(t);
    // Bias slot 12 + k belongs to the input weights of gate k (slot 1 + k).
    const float scale = in_scale * weight_scale[slot - kLstmFirstBias + kLstmFirstWeights];
    set_quantized_bias(b, b.float_values(), {scale}, int16);
    b.quant = QuantParams::per_tensor(scale, 0);
  }
  GraphTensor& hidden = g.tensors[op.inputs[kLstmHiddenState]];
  const ActivationParams& out_params = params.at(out);
  hidden.type = int16 ? DataType::kInt16 : DataType::kInt8;
  hidden.quant = QuantParams::per_tensor(out_params.scale, out_params.zero_point);
  GraphTensor& cell = g.tensors[op.inputs[kLstmCellState]];
  double cell_max = 4.0;  // at least +-8 (2^-12): the final state understates the steps before it
  if (auto it = calibration.cell_states.find(op.inputs[kLstmCellState]); it != calibration.cell_states.end())
    cell_max = std::max({cell_max, std::fabs(static_cast<double>(it->second.min())),
                         std::fabs(static_cast<double>(it->second.max()))});
  // 2^e * 32768 >= 2 * cell_max; e in [-15, 0] (cell ranges +-1 .. +-32768; the kernel takes up to 2^2).
  const int exponent = std::clamp(static_cast<int>(std::ceil(std::log2(2.0 * cell_max / 32768.0))), -15, 0);
  cell.type = DataType::kInt16;
  cell.quant = QuantParams::per_tensor(std::ldexp(1.0f, exponent), 0);
  handled.insert(op.inputs[kLstmHiddenState]);
  handled.insert(op.inputs[kLstmCellState]);
  // The kernel writes the hidden state as the output: they must share parameters, which they do above.
  op.options.AsUnidirectionalSequenceLSTMOptions()->asymmetric_quantize_inputs = false;
}

std::vector<TensorRangeReport> quantize_integer(Graph& g, const SampleSet& samples,
                                                const QuantizeOptions& options, bool int16,
                                                size_t* calibrated) {
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (!quantizable(g.ops[i]))
      fail(op_label(g, static_cast<int>(i)) + " cannot be quantized to " + (int16 ? "int16x8" : "int8") +
           " (not supported by the quantizer)");
  const Calibration calibration = calibrate(g, samples, options);
  *calibrated = calibration.samples;
  const std::map<int, ActivationParams> params = choose_activation_params(g, calibration, options, int16);
  const DataType act_type = int16 ? DataType::kInt16 : DataType::kInt8;
  const int64_t act_min = int16 ? -32768 : -128, act_max = int16 ? 32767 : 127;

  std::vector<TensorRangeReport> report;
  for (const auto& [t, p] : params) {
    GraphTensor& tensor = g.tensors[t];
    const RangeCollector& c = calibration.collectors.at(t);
    report.push_back({t, tensor.name, c.min(), c.max(), p.scale, p.zero_point, p.constraint});
  }

  // Constants: weights and biases of the weight ops, other float constants per tensor.
  std::set<int> handled;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    GraphOp& op = g.ops[i];
    const int axis = weight_channel_axis(op);
    if (axis < 0) continue;
    const std::string label = op_label(g, static_cast<int>(i));
    if (op.inputs.size() < 2 || op.inputs[1] < 0 || !g.tensors[op.inputs[1]].is_constant)
      fail(label + ": weights are not constant (cannot be quantized)");
    const int in = op.inputs[0], w = op.inputs[1];
    const int b = op.inputs.size() > 2 ? op.inputs[2] : -1;
    if (!params.count(in)) fail(label + ": input is not a float activation");
    if (handled.count(w)) fail(label + ": weights shared with another op (not supported)");
    handled.insert(w);
    const std::vector<float> float_weights = g.tensors[w].float_values();
    const std::vector<float> scales = quantize_weights(g.tensors[w], axis, label);
    if (auto it = calibration.input_gram.find(in);
        it != calibration.input_gram.end() && g.tensors[w].shape.size() == 2 && g.consumers(w).size() == 1) {
      GraphTensor& wt = g.tensors[w];
      std::vector<int8_t> q = wt.values<int8_t>();
      const size_t rows = static_cast<size_t>(wt.shape[0]), d = static_cast<size_t>(wt.shape[1]);
      if (d == it->second.size() / std::max<size_t>(d, 1) &&
          compensated_rounding(float_weights, rows, d, scales, it->second, calibration.gram_rows.at(in), q))
        wt.set_values<int8_t>(DataType::kInt8, q);
    }
    if (b < 0) continue;
    if (handled.count(b) || !g.tensors[b].is_constant) fail(label + ": bias is shared or not constant");
    handled.insert(b);
    std::vector<float> bias = g.tensors[b].float_values();
    if (bias.size() != scales.size())
      fail(label + ": bias has " + std::to_string(bias.size()) + " values for " +
           std::to_string(scales.size()) + " channels");
    if (options.bias_correction)
      if (auto it = calibration.channel_means.find(in); it != calibration.channel_means.end())
        correct_bias(op, float_weights, g.tensors[w], it->second, bias);
    const float in_scale = params.at(in).scale;
    std::vector<float> bias_scales(scales.size());
    for (size_t c = 0; c < scales.size(); ++c) bias_scales[c] = in_scale * scales[c];
    GraphTensor& bt = g.tensors[b];
    set_quantized_bias(bt, bias, bias_scales, int16);
    bt.quant = QuantParams::per_channel(bias_scales, std::vector<int64_t>(bias.size(), 0), 0);
  }
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (g.ops[i].is(BuiltinOp::kUnidirectionalSequenceLstm))
      quantize_lstm(g, static_cast<int>(i), params, calibration, int16, handled);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    for (int t : g.ops[i].inputs) {
      if (t < 0 || handled.count(t)) continue;
      GraphTensor& tensor = g.tensors[t];
      if (!tensor.is_constant || tensor.type != DataType::kFloat32) continue;
      handled.insert(t);
      const std::vector<float> values = tensor.float_values();
      float lo = 0, hi = 0;
      for (float v : values) lo = std::min(lo, v), hi = std::max(hi, v);
      const QuantParamsResult q = int16 ? choose_symmetric_params(std::max(-lo, hi), 32767)
                                        : choose_asymmetric_params({lo, hi}, -128, 127);
      if (int16) {
        std::vector<int16_t> out(values.size());
        for (size_t k = 0; k < values.size(); ++k)
          out[k] = static_cast<int16_t>(std::clamp<int64_t>(round_away(values[k] / q.scale), -32768, 32767));
        tensor.set_values<int16_t>(DataType::kInt16, out);
      } else {
        std::vector<int8_t> out(values.size());
        for (size_t k = 0; k < values.size(); ++k)
          out[k] = static_cast<int8_t>(
              std::clamp<int64_t>(q.zero_point + round_away(values[k] / q.scale), -128, 127));
        tensor.set_values<int8_t>(DataType::kInt8, out);
      }
      tensor.quant = QuantParams::per_tensor(q.scale, q.zero_point);
    }
  }
  (void)act_min;
  (void)act_max;

  // Activations.
  for (const auto& [t, p] : params) {
    GraphTensor& tensor = g.tensors[t];
    tensor.type = act_type;
    tensor.quant = QuantParams::per_tensor(p.scale, p.zero_point);
  }
  for (GraphOp& op : g.ops) {
    op.version = integer_op_version(op, int16);
    // 16x8 ADD/SUB with general scales (TFLite's converter writes pot_scale_int16 = false).
    if (int16 && op.options.type == Opts::AddOptions) op.options.AsAddOptions()->pot_scale_int16 = false;
    if (int16 && op.options.type == Opts::SubOptions) op.options.AsSubOptions()->pot_scale_int16 = false;
  }
  return report;
}

// --io float: QUANTIZE after each float input, DEQUANTIZE before each float output. The integer tensor keeps
// its index (renamed NAME_int); a new float tensor, as in the float model, takes its place at the edge.
void add_float_io(Graph& g, const Graph& float_graph) {
  auto add_edge_op = [&](int& edge, BuiltinOp code, bool before) {
    GraphTensor f = float_graph.tensors[edge];
    f.quant = {};
    const int quantized = edge;
    const int float_tensor = g.add_tensor(std::move(f));
    g.tensors[quantized].name += "_int";
    GraphOp op;
    op.code = static_cast<int32_t>(code);
    op.version = integer_op_version(op, g.tensors[quantized].type == DataType::kInt16);
    op.inputs = {before ? float_tensor : quantized};
    op.outputs = {before ? quantized : float_tensor};
    g.insert_op(std::move(op), before ? 0 : -1);
    edge = float_tensor;
  };
  for (int& input : g.inputs) add_edge_op(input, BuiltinOp::kQuantize, /*before=*/true);
  for (int& output : g.outputs) add_edge_op(output, BuiltinOp::kDequantize, /*before=*/false);
}

constexpr int64_t kDynamicMinWeights = 1024;

void quantize_dynamic(Graph& g) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    GraphOp& op = g.ops[i];
    const int axis = weight_channel_axis(op);
    if (axis < 0 || op.inputs.size() < 2 || op.inputs[1] < 0) continue;
    GraphTensor& w = g.tensors[op.inputs[1]];
    if (!w.is_constant || w.type != DataType::kFloat32) continue;
    if (g.consumers(op.inputs[1]).size() > 1) continue;  // shared weights stay float
    // As TFLite's dynamic-range quantizer: small weights stay float (little to save, much to lose).
    if (w.num_elements() < kDynamicMinWeights) continue;
    quantize_weights(w, axis, op_label(g, static_cast<int>(i)));
    // Run-time input quantization per row with a zero point: the more accurate of TFLite's two.
    if (op.options.type == Opts::FullyConnectedOptions)
      op.options.AsFullyConnectedOptions()->asymmetric_quantize_inputs = true;
  }
}

void quantize_float16(Graph& g) {
  std::vector<GraphOp> dequantize_ops;
  std::set<int> done;
  const size_t original_tensors = g.tensors.size();
  for (GraphOp& op : g.ops) {
    for (int& t : op.inputs) {
      if (t < 0 || static_cast<size_t>(t) >= original_tensors) continue;
      GraphTensor& tensor = g.tensors[t];
      if (!tensor.is_constant || tensor.type != DataType::kFloat32 || done.count(t)) continue;
      done.insert(t);
      const std::vector<float> values = tensor.values<float>();
      std::vector<uint16_t> halves(values.size());
      for (size_t k = 0; k < values.size(); ++k) halves[k] = float_to_half(values[k]);
      GraphTensor half = tensor;
      half.set_values<uint16_t>(DataType::kFloat16, halves);
      half.name += "_fp16";
      // The float32 tensor becomes DEQUANTIZE's output (an activation), keeping its index and name.
      tensor.is_constant = false;
      tensor.data.clear();
      const int half_index = g.add_tensor(std::move(half));
      GraphOp d;
      d.code = static_cast<int32_t>(BuiltinOp::kDequantize);
      d.version = 3;
      d.inputs = {half_index};
      d.outputs = {t};
      dequantize_ops.push_back(std::move(d));
    }
  }
  for (auto it = dequantize_ops.rbegin(); it != dequantize_ops.rend(); ++it) g.insert_op(std::move(*it), 0);
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::kInt8: return "int8";
    case Mode::kInt16x8: return "int16x8";
    case Mode::kDynamic: return "dynamic";
    case Mode::kFloat16: return "float16";
  }
  return "?";
}

std::optional<Mode> parse_mode(std::string_view name) {
  for (Mode m : {Mode::kInt8, Mode::kInt16x8, Mode::kDynamic, Mode::kFloat16})
    if (mode_name(m) == name) return m;
  return std::nullopt;
}

QuantizeResult quantize_model(std::span<const uint8_t> float_model, const SampleSet& calibration,
                              const QuantizeOptions& options) {
  Graph g = Graph::read(float_model);
  dequantize_constants(g);
  check_float_model(g);
  // Fused activations, folded batch norms and constants: fewer tensors to quantize, less rounding.
  optimize(g);
  QuantizeResult result;
  switch (options.mode) {
    case Mode::kInt8:
    case Mode::kInt16x8: {
      const Graph float_graph = g;
      const bool int16 = options.mode == Mode::kInt16x8;
      result.ranges = quantize_integer(g, calibration, options, int16, &result.calibration_samples);
      if (!options.integer_io) add_float_io(g, float_graph);
      break;
    }
    case Mode::kDynamic: quantize_dynamic(g); break;
    case Mode::kFloat16: quantize_float16(g); break;
  }
  // Block-pruned weights run sparse in our kernels (a metadata entry; TFLM ignores it).
  if (options.mode == Mode::kInt8 || options.mode == Mode::kInt16x8) add_block_sparsity_index(g);
  result.model = g.write();
  // The result must load in our runtime (the same checks TFLM-style loaders make).
  host::LoadedModel check;
  const Status status = check.load_bytes(result.model.data(), result.model.size());
  if (!status.is_ok())
    fail(std::string("internal error: the quantized model does not load: ") + status.message());
  return result;
}

}  // namespace edgeinfer::compiler::quantize
