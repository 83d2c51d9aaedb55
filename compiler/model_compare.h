// Model-vs-model comparison: two models (e.g. a float model and its int8 twin) run on the same float inputs;
// how far the test model's outputs, and optionally every intermediate tensor, are from the reference's.
// Host only (C++20).
//
// Integer inputs (int8, int16, uint8 with quantization) get the float samples quantized with their scale and
// zero point (zp + round(x / scale), half away from zero, saturated), as TensorFlow Lite does; integer
// outputs and tensors are dequantized ((q - zp) * scale) before comparing.
//
// Figures, over all samples (the reference's values are the signal, reference - test the noise):
//   SNR dB = 10 log10(sum(ref^2) / sum((ref - test)^2)), clamped to [-kSnrCapDb, kSnrCapDb]: +200 when the
//            values are identical (no noise; JSON has no infinity), -200 when the reference is all zeros but
//            the test is not.
//   max abs error = max |ref - test|.
//   top-1 agreement = the fraction of rows (sample x all dimensions but the last) whose argmax over the last
//            dimension (the reference's shape; first maximum on ties) is the same in both; only for outputs
//            whose last dimension has more than one element.
// The overall figures pool every output's signal and noise energy (and rows, for top-1).
//
//   std::string error;
//   auto report = host::compare_models(float_model, int8_model, samples, {}, &error);
//   if (report) printf("%.1f dB\n", report->snr_db);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"

namespace edgeinfer::host {

constexpr double kSnrCapDb = 200.0;

// [sample][model input][values], each input's values in its element order.
using FloatSamples = std::vector<std::vector<std::vector<float>>>;

struct ModelCompareOptions {
  // Also compare every op output tensor the two models have in common (see LayerComparison).
  bool per_layer = false;
  // Names of the models in messages ("a.tflite").
  std::string reference_label = "reference";
  std::string test_label = "test";
  // State (LSTM, SVDF, signal ops) is reset before every sample, so samples are independent; true: it carries
  // from sample to sample, as in a stream.
  bool carry_state = false;
  // Kernels; null: every reference kernel (AllOpsResolver).
  const OpResolver* resolver = nullptr;
};

// Signal and noise energy, accumulated over values.
struct ErrorStats {
  double signal = 0;  // sum ref^2
  double noise = 0;   // sum (ref - test)^2
  double max_abs_error = 0;
  int64_t values = 0;

  void add(double reference, double test);
  void merge(const ErrorStats& other);
  double snr_db() const;
};

struct OutputComparison {
  int output = 0;
  std::string name;       // the reference's tensor name
  std::string test_name;  // the test model's
  int64_t values = 0;     // per sample
  ErrorStats stats;
  int64_t top1_rows = 0;  // 0: top-1 not applicable
  int64_t top1_agreeing = 0;

  std::optional<double> top1_agreement() const;
};

// One tensor of the reference (a model input, or an op's output) and its match in the test model.
struct LayerComparison {
  int op = -1;          // the reference op writing it; -1: model input `slot`
  int slot = 0;         // output slot of the op, or the input index
  std::string op_name;  // "CONV_2D", or "input"
  int tensor = -1;
  std::string name;
  std::string type;  // "int8", or "float32 -> int8" when the test's differs
  int test_op = -1;
  int test_tensor = -1;    // -1: no match (not compared)
  std::string matched_by;  // "name", "position", or empty when unmatched
  int64_t values = 0;      // per sample
  ErrorStats stats;
};

struct ModelCompareReport {
  int64_t samples = 0;
  std::vector<OutputComparison> outputs;
  ErrorStats overall;
  int64_t top1_rows = 0;
  int64_t top1_agreeing = 0;
  // per_layer: model inputs, then op outputs in execution order.
  std::vector<LayerComparison> layers;
  // Where the error enters: the op row (index in `layers`) whose SNR drops most below the lowest SNR of its
  // compared inputs (+200 for an op reading only constants); -1 when no op's SNR drops or no layers.
  int error_enters_at = -1;
  double error_enters_drop_db = 0;

  double snr_db() const { return overall.snr_db(); }
  double max_abs_error() const { return overall.max_abs_error; }
  std::optional<double> top1_agreement() const;
};

// Whether the models fit each other: the same input and output counts, the same number of values per input
// and per output, numeric outputs. compare_models() checks this first; callers reading inputs may check it
// earlier.
bool check_models_fit(const Model& reference, const Model& test, const ModelCompareOptions& options,
                      std::string* error);

// Runs both models on every sample (one invoke each, in order, on one interpreter per model) and compares.
// Fails with a one-line error when the models do not fit each other (input/output counts, values per
// input/output), a sample does not fit, a value is not finite, an input or output type cannot be converted,
// or a model cannot run.
std::optional<ModelCompareReport> compare_models(const Model& reference, const Model& test,
                                                 const FloatSamples& samples,
                                                 const ModelCompareOptions& options, std::string* error);

// `count` samples for inputs of `input_values` values each, uniform in [low, high): the project's LCG
// (edgeinfer/lcg.h), restarted at `seed` per input and continued across samples; each value
// low + ((x >> 8) / 2^24) * (high - low). With [-1, 1) sample 0 equals `--fill lcg:SEED` of a float input.
FloatSamples lcg_float_samples(const std::vector<int64_t>& input_values, int64_t count, uint32_t seed,
                               float low, float high);

struct FloatRange {
  float low = -1;
  float high = 1;
  int input = -1;  // the input it comes from
};
// The float range the model's first quantized integer input (int8, int16, uint8) can represent:
// ((qmin - zp) * scale, (qmax - zp) * scale), or, for a float input that feeds a QUANTIZE op, what that op's
// integer output represents; nullopt when it has neither.
std::optional<FloatRange> quantized_input_range(const Model& model);

}  // namespace edgeinfer::host
