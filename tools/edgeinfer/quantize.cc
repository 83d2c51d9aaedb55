// edgeinfer quantize MODEL -o OUT --mode int8|int16x8|dynamic|float16 [--calibration PATH|lcg:SEED]...
//   [--samples N] [--method NAME] [--io int8|float] [--range LO,HI] [--eval PATH|lcg:SEED]... [--json]
// Post-training quantization (compiler/quantize); the report gives sizes, per-tensor ranges and, with --eval,
// the quantized model's error against the float model.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_compare.h"
#include "compiler/npy.h"
#include "compiler/quantize/quantizer.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/compare_report.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/progress_bar.h"
#include "tools/edgeinfer/samples.h"

namespace edgeinfer::cli {
namespace {

using compiler::quantize::CalibrationMethod;
using compiler::quantize::Mode;

constexpr int64_t kDefaultLcgSamples = 200;
constexpr int64_t kDefaultEvalSamples = 100;

struct QuantizeOptions {
  std::string model;
  std::string output;
  std::string mode = "int8";
  std::vector<std::string> calibration;
  int64_t samples = 0;
  std::string method;
  std::string io = "int8";
  std::string range;
  std::vector<std::string> eval;
  bool no_bias_correction = false;
  bool json = false;
};

nlohmann::json range_json(const compiler::quantize::TensorRangeReport& r) {
  nlohmann::json j = {{"tensor", r.tensor},    {"name", r.name},   {"min", r.observed_min},
                      {"max", r.observed_max}, {"scale", r.scale}, {"zero_point", r.zero_point}};
  if (!r.constraint.empty()) j["constraint"] = r.constraint;
  return j;
}

int quantize(const QuantizeOptions& options) {
  const auto mode = compiler::quantize::parse_mode(options.mode);
  if (!mode) throw CliError{"--mode " + options.mode + ": expected int8, int16x8, dynamic or float16"};
  compiler::quantize::QuantizeOptions q;
  q.mode = *mode;
  if (!options.method.empty()) {
    const auto method = compiler::quantize::parse_calibration_method(options.method);
    if (!method) throw CliError{"--method " + options.method + ": expected minmax, percentile, mse or kl"};
    q.method = *method;
  }
  if (options.io != "int8" && options.io != "float")
    throw CliError{"--io " + options.io + ": expected int8 or float"};
  q.integer_io = options.io == "int8";
  q.bias_correction = !options.no_bias_correction;
  if (options.samples < 0) throw CliError{"--samples must be positive"};

  std::string error;
  const auto bytes = host::read_file(options.model, &error);
  if (!bytes) throw CliError{error};
  host::LoadedModel source;
  const Status status = source.load_bytes(bytes->data(), bytes->size());
  if (!status.is_ok()) throw CliError{options.model + ": " + status.message()};
  const Model& model = source.model();

  const bool integer = *mode == Mode::kInt8 || *mode == Mode::kInt16x8;
  const std::optional<host::FloatRange> range =
      options.range.empty() ? std::nullopt : std::optional(parse_range(options.range));
  SampleSpec calibration_spec{"--calibration", options.calibration, options.samples, kDefaultLcgSamples,
                              range};
  host::FloatSamples calibration;
  std::string calibration_text =
      "none (" + std::string(compiler::quantize::mode_name(*mode)) + " needs none)";
  if (integer) {
    if (options.calibration.empty())
      throw CliError{"--mode " + options.mode +
                     " needs calibration data: --calibration PATH (.npy or a directory of them) or lcg:SEED, "
                     "one per model input"};
    Samples s = load_samples(calibration_spec, model, options.model);
    calibration = std::move(s.values);
    calibration_text = s.text;
  } else if (!options.calibration.empty()) {
    throw CliError{"--mode " + options.mode + " takes no --calibration (weights only)"};
  }

  compiler::quantize::QuantizeResult result;
  {
    ProgressBar bar("calibrating");
    q.progress = [&bar](size_t done, size_t total) { bar.update(done, total); };
    try {
      result = compiler::quantize::quantize_model(*bytes, calibration, q);
    } catch (const std::invalid_argument& e) {
      throw CliError{options.model + ": " + e.what()};
    }
  }

  // Evaluation against the float model before anything is written, so an error leaves no file.
  std::optional<host::ModelCompareReport> eval;
  std::string eval_text;
  if (!options.eval.empty()) {
    Samples s = load_samples({"--eval", options.eval, 0, kDefaultEvalSamples, range}, model, options.model);
    eval_text = s.text;
    host::LoadedModel quantized;
    const Status loaded = quantized.load_bytes(result.model.data(), result.model.size());
    if (!loaded.is_ok()) throw CliError{std::string("quantized model: ") + loaded.message()};
    host::ModelCompareOptions compare;
    compare.reference_label = options.model;
    compare.test_label = options.output;
    eval = host::compare_models(model, quantized.model(), s.values, compare, &error);
    if (!eval) throw CliError{"--eval: " + error};
  }

  OutputFile out(options.output);
  out.write(result.model.data(), result.model.size());
  out.commit();

  const double ratio = static_cast<double>(bytes->size()) / static_cast<double>(result.model.size());
  const std::string method(compiler::quantize::calibration_method_name(q.method));
  if (options.json) {
    // Strings as they are: json_text() escapes the whole document.
    nlohmann::json j = {{"model", options.model},
                        {"output", options.output},
                        {"mode", options.mode},
                        {"io", options.io},
                        {"size_bytes", {{"before", bytes->size()}, {"after", result.model.size()}}},
                        {"size_ratio", ratio}};
    if (integer) {
      j["method"] = method;
      j["bias_correction"] = q.bias_correction;
      j["calibration"] = {{"source", calibration_text}, {"samples", result.calibration_samples}};
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& r : result.ranges) ranges.push_back(range_json(r));
      j["ranges"] = ranges;
    }
    if (eval) {
      j["eval"] = model_compare_json(*eval, /*per_layer=*/false);
      j["eval"]["data"] = eval_text;
    }
    std::printf("%s\n", json_text(j, 2).c_str());
    return 0;
  }
  std::printf("quantized %s -> %s (%s", printable(options.model).c_str(), printable(options.output).c_str(),
              options.mode.c_str());
  if (integer)
    std::printf(", io %s, calibration %s%s", options.io.c_str(), method.c_str(),
                q.bias_correction ? " + bias correction" : "");
  std::printf(")\n");
  std::printf("size: %zu -> %zu bytes (%.2fx smaller)\n", bytes->size(), result.model.size(), ratio);
  if (integer) {
    std::printf("calibration: %zu samples, %s\n", result.calibration_samples,
                printable(calibration_text).c_str());
    std::printf("activation ranges (observed min..max -> scale, zero point):\n");
    for (const auto& r : result.ranges)
      std::printf("  %4d %-40s %10.4g .. %-10.4g -> %.6g, %lld%s%s\n", r.tensor,
                  printable(r.name).substr(0, 40).c_str(), r.observed_min, r.observed_max, r.scale,
                  static_cast<long long>(r.zero_point), r.constraint.empty() ? "" : "  ",
                  r.constraint.c_str());
  }
  if (eval)
    std::printf("error against the float model on %lld samples (%s):\n%s",
                static_cast<long long>(eval->samples), printable(eval_text).c_str(),
                model_compare_text(*eval, /*per_layer=*/false).c_str());
  return 0;
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto options = std::make_shared<QuantizeOptions>();
  CLI::App* cmd = app.add_subcommand("quantize",
                                     "Quantize a float32 (or hybrid) model: int8 (default), int16x8, dynamic "
                                     "(int8 weights, float activations) "
                                     "or float16");
  cmd->add_option("model", options->model, "float .tflite model")->required();
  cmd->add_option("-o,--output", options->output, "quantized .tflite to write (only on success)")->required();
  cmd->add_option("--mode", options->mode, "int8 | int16x8 | dynamic | float16 (default int8)");
  cmd->add_option(
      "--calibration", options->calibration,
      "calibration data per model input, in input order: a .npy of float32 [samples, input shape] "
      "(with or without the batch of 1), a directory of them (name order), or lcg:SEED for "
      "uniform random inputs in --range (smoke tests only: real data calibrates far better)");
  cmd->add_option("--samples", options->samples,
                  "calibration samples to use (default: all in the files; 200 for lcg:SEED)");
  cmd->add_option("--method", options->method,
                  "calibration method: minmax (TensorFlow's), percentile, mse (default), kl");
  cmd->add_option("--io", options->io,
                  "int8 (default): integer inputs/outputs; float: QUANTIZE/DEQUANTIZE at the edges");
  cmd->add_option("--range", options->range, "LO,HI: the uniform range of lcg:SEED inputs (default -1,1)");
  cmd->add_option("--eval", options->eval,
                  "evaluation data per input (.npy, directory or lcg:SEED, 100 samples): report SNR, max abs "
                  "error and top-1 agreement of the quantized model against the float model");
  cmd->add_flag("--no-bias-correction", options->no_bias_correction,
                "keep biases as calibrated (default: correct the mean error of weight rounding)");
  cmd->add_flag("--json", options->json, "print the report as JSON");
  return {cmd, [options] { return quantize(*options); }};
}

}  // namespace edgeinfer::cli
