// edgeinfer compare MODEL --golden DIR [--fill lcg:SEED] [--json] [--all] [--kernels reference|optimized]:
// every intermediate tensor of one run against TFLM's (a shared/golden/tflm-tensors/STEM.seedN dir), to name
// the first op that departs. Exit 0 when every tensor matches, 1 when some differ or on error.
//
// edgeinfer compare A.tflite B.tflite [--input FILE...|--fill lcg:SEED|--dataset PATH...] [--samples N]
// [--range LO,HI] [--per-layer] [--json]: both models on the same float inputs, B measured against A (SNR,
// max abs error, top-1 agreement per output; with --per-layer per tensor, and where the error enters).
// Exit 0 whatever the figures (they are information), 1 on errors.
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_compare.h"
#include "compiler/npy.h"
#include "compiler/tensor_compare.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

constexpr const char* kDefaultFill = "lcg:12345";
constexpr int64_t kDefaultSamples = 16;
// Samples are held in memory: at most this many float values over all samples and inputs (1 GiB).
constexpr int64_t kMaxSampleValues = int64_t{1} << 28;

struct CompareOptions {
  std::vector<std::string> models;
  std::string golden;
  std::string fill;  // empty: not given (kDefaultFill)
  std::string kernels = "reference";
  bool json = false;
  bool all = false;
  // Two models.
  std::vector<std::string> inputs;
  std::vector<std::string> datasets;
  int64_t samples = 0;                          // 0: all (--input, --dataset) or kDefaultSamples (--fill)
  const CLI::Option* samples_option = nullptr;  // given?
  std::string range;
  bool per_layer = false;
};

std::unique_ptr<AllOpsResolver> make_resolver(const std::string& kernels) {
  auto resolver = std::make_unique<AllOpsResolver>();
  if (kernels == "optimized") {
    // The Cortex-M kernels must be exact too: compare them with TFLM's reference results.
    for (const auto& [op, kernel] : cortex_m::kOptimizedKernels) {
      const Status status = resolver->add(op, kernel());
      if (!status.is_ok()) throw CliError{status.message()};
    }
  } else if (kernels != "reference") {
    throw CliError{"--kernels " + kernels + ": expected reference or optimized"};
  }
  return resolver;
}

nlohmann::json scalar_json(const host::Scalar& value) {
  switch (value.kind) {
    case host::Scalar::Kind::kSigned: return value.s;
    case host::Scalar::Kind::kUnsigned: return value.u;
    case host::Scalar::Kind::kFloat:
      // JSON has no NaN or infinity: keep them as text.
      if (!std::isfinite(value.f)) return value.text();
      return value.f;
  }
  return nullptr;
}

nlohmann::json tensor_json(const host::TensorComparison& t) {
  nlohmann::json json = {{"tensor", t.tensor},
                         {"name", t.name},
                         {"type", data_type_name(t.type)},
                         {"shape", t.shape},
                         {"role", host::tensor_role_name(t.role)},
                         {"outcome", host::tensor_outcome_name(t.outcome)}};
  if (t.outcome == host::TensorOutcome::kMatch || t.outcome == host::TensorOutcome::kDiffer)
    json["values"] = t.values;
  if (t.outcome == host::TensorOutcome::kDiffer) {
    json["differing"] = t.differing;
    json["max_abs_diff"] = scalar_json(t.max_abs_diff);
    json["first_index"] = t.first_index;
    json["ours"] = scalar_json(t.ours_first);
    json["tflm"] = scalar_json(t.golden_first);
  }
  return json;
}

nlohmann::json op_json(const host::OpComparison& op) {
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : op.tensors) tensors.push_back(tensor_json(t));
  return {{"op", op.op}, {"op_name", op.op_name}, {"departs", op.departs()}, {"tensors", tensors}};
}

int compare_with_golden(const CompareOptions& options) {
  if (options.golden.empty())
    throw CliError{"give --golden DIR (TFLM's tensors of this model), or a second model to compare with"};
  if (!options.inputs.empty() || !options.datasets.empty() || options.samples_option->count() > 0 ||
      !options.range.empty() || options.per_layer)
    throw CliError{"--input, --dataset, --samples, --range and --per-layer compare two models: give two"};
  std::string error;
  const auto seed = host::parse_lcg_fill(options.fill.empty() ? kDefaultFill : options.fill, &error);
  if (!seed) throw CliError{error};
  const auto resolver = make_resolver(options.kernels);
  host::LoadedModel loaded;
  const Status status = loaded.load_file(options.models[0]);
  if (!status.is_ok()) throw CliError{status.message()};
  const auto report = host::compare_with_golden(loaded.model(), *resolver, options.golden, *seed, &error);
  if (!report) throw CliError{error};

  const host::OpComparison* first = report->first_departure();
  if (options.json) {
    nlohmann::json json = {{"model", options.models[0]},
                           {"golden", options.golden},
                           {"seed", *seed},
                           {"kernels", options.kernels},
                           {"matches", report->matches()},
                           {"summary", host::describe_first_departure(*report)},
                           {"tensors_compared", report->tensors_compared},
                           {"tensors_differing", report->tensors_differing},
                           {"not_in_golden", report->not_in_golden},
                           {"skipped", report->skipped},
                           {"ops_departing", report->ops_departing}};
    json["first_departure"] = nullptr;
    if (first) {
      for (const auto& t : first->tensors) {
        if (!t.departs()) continue;
        json["first_departure"] = tensor_json(t);
        json["first_departure"]["op"] = first->op;
        json["first_departure"]["op_name"] = first->op_name;
        break;
      }
    }
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& op : report->ops)
      if (options.all || &op == first) ops.push_back(op_json(op));
    json["ops"] = ops;
    print_report(json_text(json) + "\n");
  } else {
    // Names come from the model: escaped, each tensor stays on its line.
    host::CompareReport shown = *report;
    for (auto& op : shown.ops) {
      op.op_name = printable(op.op_name);
      for (auto& t : op.tensors) t.name = printable(t.name);
    }
    print_report(host::format_report(shown, options.all));
  }
  return report->matches() ? 0 : 1;
}

// ---- Two models -------------------------------------------------------------------------------------------

struct Samples {
  host::FloatSamples values;
  std::string text;     // where they come from, for the report
  nlohmann::json json;  // the same
};

std::string input_text(const Model& model, int i) {
  const Tensor tensor = model.tensor(model.input_tensor_index(i));
  char shape[96];
  tensor.shape.format(shape, sizeof(shape));
  return "input " + std::to_string(i) + " (" + data_type_name(tensor.type) + " " + shape + ")";
}

int64_t input_values(const Model& model, int i) {
  return model.tensor(model.input_tensor_index(i)).num_elements();
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// "--range LO,HI"
host::FloatRange parse_range(const std::string& text) {
  host::FloatRange range;
  auto parse = [](std::string_view part, float* value) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *value);
    return ec == std::errc() && end == part.data() + part.size() && std::isfinite(*value);
  };
  const size_t comma = text.find(',');
  const std::string_view whole(text);
  if (comma == std::string::npos || !parse(whole.substr(0, comma), &range.low) ||
      !parse(whole.substr(comma + 1), &range.high) || !(range.low < range.high) ||
      !std::isfinite(range.high - range.low))
    throw CliError{"--range must be LO,HI with finite numbers LO < HI (e.g. --range=-1,1), got '" + text +
                   "'"};
  return range;
}

// Keeps the first `limit` samples (0: all).
void keep_first(host::FloatSamples* samples, int64_t limit) {
  if (limit > 0 && static_cast<int64_t>(samples->size()) > limit) samples->resize(static_cast<size_t>(limit));
}

// --input: one raw float32 file per input, each a whole number of samples.
Samples read_input_files(const CompareOptions& options, const Model& model) {
  if (static_cast<int>(options.inputs.size()) != model.num_inputs())
    throw CliError{"the models have " + std::to_string(model.num_inputs()) + " inputs, got " +
                   std::to_string(options.inputs.size()) + " --input files"};
  Samples samples;
  int64_t count = -1;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const std::string& path = options.inputs[i];
    std::string error;
    const auto bytes = host::read_file(path, &error);
    if (!bytes) throw CliError{error};
    const int64_t values = input_values(model, i);
    const size_t sample_bytes = static_cast<size_t>(values) * sizeof(float);
    if (sample_bytes == 0) throw CliError{input_text(model, i) + " has no values to read from " + path};
    if (bytes->empty() || bytes->size() % sample_bytes != 0)
      throw CliError{path + ": " + std::to_string(bytes->size()) +
                     " bytes is not a whole number of samples of " + input_text(model, i) + ": " +
                     std::to_string(sample_bytes) + " bytes (float32) each"};
    const int64_t n = static_cast<int64_t>(bytes->size() / sample_bytes);
    if (count >= 0 && n != count)
      throw CliError{path + ": " + std::to_string(n) + " samples, but " + options.inputs[0] + " has " +
                     std::to_string(count)};
    count = n;
    samples.values.resize(static_cast<size_t>(n));
    for (int64_t s = 0; s < n; ++s) {
      std::vector<float>& sample = samples.values[s].emplace_back(static_cast<size_t>(values));
      std::memcpy(sample.data(), bytes->data() + s * sample_bytes, sample_bytes);
      for (int64_t v = 0; v < values; ++v)
        if (!std::isfinite(sample[v]))
          throw CliError{path + ": sample " + std::to_string(s) + ", value " + std::to_string(v) + " is " +
                         (std::isnan(sample[v]) ? "NaN" : "infinite") + ": inputs must be finite"};
    }
  }
  keep_first(&samples.values, options.samples);
  samples.text = "--input";
  samples.json = {{"source", "input"}, {"files", options.inputs}};
  for (const auto& path : options.inputs) samples.text += " " + path;
  return samples;
}

// --dataset: one .npy file or directory per input.
Samples read_datasets(const CompareOptions& options, const Model& model) {
  if (static_cast<int>(options.datasets.size()) != model.num_inputs())
    throw CliError{"the models have " + std::to_string(model.num_inputs()) + " inputs, got " +
                   std::to_string(options.datasets.size()) + " --dataset paths"};
  Samples samples;
  for (int i = 0; i < model.num_inputs(); ++i) {
    std::string error;
    const auto set = host::load_npy_samples(options.datasets[i], &error);
    if (!set) throw CliError{error};
    const Shape shape = model.tensor(model.input_tensor_index(i)).shape;
    if (!host::check_samples_fit_input(*set, shape, "input " + std::to_string(i) + " of " + options.models[0],
                                       &error))
      throw CliError{error};
    if (i > 0 && set->num_samples != static_cast<int64_t>(samples.values.size()))
      throw CliError{options.datasets[i] + ": " + std::to_string(set->num_samples) + " samples, but " +
                     options.datasets[0] + " has " + std::to_string(samples.values.size())};
    samples.values.resize(static_cast<size_t>(set->num_samples));
    const int64_t values = set->sample_elements();
    for (int64_t s = 0; s < set->num_samples; ++s)
      samples.values[s].emplace_back(set->values.begin() + s * values,
                                     set->values.begin() + (s + 1) * values);
  }
  keep_first(&samples.values, options.samples);
  samples.text = "--dataset";
  for (const auto& path : options.datasets) samples.text += " " + path;
  samples.json = {{"source", "dataset"}, {"paths", options.datasets}};
  return samples;
}

// --fill lcg:SEED: uniform in --range, else in what the first quantized integer input can represent, else
// [-1, 1).
Samples fill_samples(const CompareOptions& options, const Model& a, const Model& b) {
  std::string error;
  const std::string fill = options.fill.empty() ? kDefaultFill : options.fill;
  const auto seed = host::parse_lcg_fill(fill, &error);
  if (!seed) throw CliError{error};
  host::FloatRange range;
  std::string why = "the default";
  if (!options.range.empty()) {
    range = parse_range(options.range);
    why = "--range";
  } else if (const auto from_a = host::quantized_input_range(a)) {
    range = *from_a;
    why = "what " + input_text(a, range.input) + " of " + options.models[0] + " represents";
  } else if (const auto from_b = host::quantized_input_range(b)) {
    range = *from_b;
    why = "what " + input_text(b, range.input) + " of " + options.models[1] + " represents";
  }
  const int64_t count = options.samples > 0 ? options.samples : kDefaultSamples;
  std::vector<int64_t> values;
  int64_t total = 0;
  for (int i = 0; i < a.num_inputs(); ++i) {
    values.push_back(input_values(a, i));
    total += values.back();
  }
  if (total > 0 && count > kMaxSampleValues / total)
    throw CliError{"--samples " + std::to_string(count) + ": too many values to hold (" +
                   std::to_string(total) + " per sample, at most " + std::to_string(kMaxSampleValues) + ")"};
  Samples samples;
  samples.values = host::lcg_float_samples(values, count, *seed, range.low, range.high);
  samples.text =
      "--fill " + fill + ", uniform in [" + number(range.low) + ", " + number(range.high) + ") (" + why + ")";
  samples.json = {
      {"source", "fill"}, {"seed", *seed}, {"range", {range.low, range.high}}, {"range_from", why}};
  return samples;
}

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string top1_text(const std::optional<double>& value) {
  char text[32];
  if (!value) return "n/a";
  std::snprintf(text, sizeof(text), "%.4f", *value);
  return text;
}

// "in 0" for model input 0, else the op index.
std::string layer_op_text(const host::LayerComparison& layer) {
  return layer.op < 0 ? "in " + std::to_string(layer.slot) : std::to_string(layer.op);
}

std::string entry_text(const host::ModelCompareReport& report) {
  if (report.error_enters_at < 0) return "error enters at: nowhere (no op's SNR drops below its inputs')";
  const host::LayerComparison& layer = report.layers[report.error_enters_at];
  std::string text;
  appendf(text, "error enters at op %d (%s), tensor %d '%s': %.2f dB, %.2f dB below its inputs'", layer.op,
          printable(layer.op_name).c_str(), layer.tensor, printable(layer.name).c_str(), layer.stats.snr_db(),
          report.error_enters_drop_db);
  return text;
}

std::string text_report(const CompareOptions& options, const Samples& samples,
                        const host::ModelCompareReport& r) {
  std::string text;
  bool capped = false;
  auto snr = [&](const host::ErrorStats& stats) {
    capped = capped || std::fabs(stats.snr_db()) == host::kSnrCapDb;
    return stats.snr_db();
  };
  appendf(text, "reference %s, test %s\n", printable(options.models[0]).c_str(),
          printable(options.models[1]).c_str());
  appendf(text, "%lld samples: %s\n", static_cast<long long>(r.samples), printable(samples.text).c_str());
  appendf(text, "%-8s %8s %9s %14s %7s  %s\n", "output", "values", "SNR dB", "max abs error", "top-1",
          "name");
  for (const auto& output : r.outputs)
    appendf(text, "%-8d %8lld %9.2f %14.6g %7s  '%s'\n", output.output, static_cast<long long>(output.values),
            snr(output.stats), output.stats.max_abs_error, top1_text(output.top1_agreement()).c_str(),
            printable(output.name).c_str());
  appendf(text, "%-8s %8s %9.2f %14.6g %7s\n", "overall", "", snr(r.overall), r.max_abs_error(),
          top1_text(r.top1_agreement()).c_str());
  if (options.per_layer) {
    appendf(text,
            "\nper tensor of the reference, in execution order (matched in the test by name, else op and "
            "slot):\n");
    appendf(text, "%-6s %-24s %7s %9s %-18s %-8s %9s %14s  %s\n", "op", "op name", "tensor", "values", "type",
            "match", "SNR dB", "max abs error", "name");
    for (const auto& layer : r.layers) {
      if (layer.test_tensor < 0) {
        appendf(text, "%-6s %-24s %7d %9lld %-18s %-8s %9s %14s  '%s'\n", layer_op_text(layer).c_str(),
                printable(layer.op_name).c_str(), layer.tensor, static_cast<long long>(layer.values),
                layer.type.c_str(), "none", "-", "-", printable(layer.name).c_str());
        continue;
      }
      appendf(text, "%-6s %-24s %7d %9lld %-18s %-8s %9.2f %14.6g  '%s'\n", layer_op_text(layer).c_str(),
              printable(layer.op_name).c_str(), layer.tensor, static_cast<long long>(layer.values),
              layer.type.c_str(), layer.matched_by.c_str(), snr(layer.stats), layer.stats.max_abs_error,
              printable(layer.name).c_str());
    }
    text += entry_text(r) + "\n";
  }
  if (capped)
    appendf(text, "SNR is capped at +-%.0f dB: +%.0f means identical values\n", host::kSnrCapDb,
            host::kSnrCapDb);
  return text;
}

nlohmann::json json_report(const CompareOptions& options, const Samples& samples,
                           const host::ModelCompareReport& r) {
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& output : r.outputs)
    outputs.push_back({{"output", output.output},
                       {"name", output.name},
                       {"test_name", output.test_name},
                       {"values", output.values},
                       {"snr_db", output.stats.snr_db()},
                       {"max_abs_error", output.stats.max_abs_error},
                       {"top1_agreement", optional_json(output.top1_agreement())}});
  nlohmann::json json = {{"reference", options.models[0]},
                         {"test", options.models[1]},
                         {"samples", r.samples},
                         {"inputs", samples.json},
                         {"snr_db", r.snr_db()},
                         {"snr_cap_db", host::kSnrCapDb},
                         {"max_abs_error", r.max_abs_error()},
                         {"top1_agreement", optional_json(r.top1_agreement())},
                         {"outputs", outputs}};
  if (!options.per_layer) return json;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : r.layers) {
    nlohmann::json row = {
        {"op", layer.op},         {"op_name", layer.op_name}, {"slot", layer.slot},
        {"tensor", layer.tensor}, {"name", layer.name},       {"type", layer.type},
        {"values", layer.values}, {"test_op", layer.test_op}, {"test_tensor", layer.test_tensor},
        {"matched_by", nullptr},  {"snr_db", nullptr},        {"max_abs_error", nullptr}};
    if (layer.test_tensor >= 0) {
      row["matched_by"] = layer.matched_by;
      row["snr_db"] = layer.stats.snr_db();
      row["max_abs_error"] = layer.stats.max_abs_error;
    }
    layers.push_back(row);
  }
  json["layers"] = layers;
  json["error_enters_at"] = nullptr;
  if (r.error_enters_at >= 0) {
    const auto& layer = r.layers[r.error_enters_at];
    json["error_enters_at"] = {
        {"op", layer.op},     {"op_name", layer.op_name},       {"tensor", layer.tensor},
        {"name", layer.name}, {"snr_db", layer.stats.snr_db()}, {"drop_db", r.error_enters_drop_db}};
  }
  return json;
}

int compare_two_models(const CompareOptions& options) {
  if (!options.golden.empty() || options.all)
    throw CliError{"--golden and --all compare one model with TFLM's tensors: give one model"};
  if (!options.inputs.empty() + !options.datasets.empty() + !options.fill.empty() > 1)
    throw CliError{"give one of --input, --fill or --dataset"};
  if (!options.range.empty() && options.fill.empty() &&
      (!options.inputs.empty() || !options.datasets.empty()))
    throw CliError{"--range applies to --fill only"};
  if (options.samples_option->count() > 0 && options.samples < 1)
    throw CliError{"--samples must be at least 1, got " + std::to_string(options.samples)};
  const auto resolver = make_resolver(options.kernels);
  host::LoadedModel models[2];
  for (int m = 0; m < 2; ++m) {
    const Status status = models[m].load_file(options.models[m]);
    if (!status.is_ok()) throw CliError{status.message()};
  }
  host::ModelCompareOptions compare_options;
  compare_options.per_layer = options.per_layer;
  compare_options.reference_label = options.models[0];
  compare_options.test_label = options.models[1];
  compare_options.resolver = resolver.get();
  std::string error;
  // Before reading inputs, which are sized by the reference.
  if (!host::check_models_fit(models[0].model(), models[1].model(), compare_options, &error))
    throw CliError{error};
  const Samples samples = !options.inputs.empty() ? read_input_files(options, models[0].model())
                          : !options.datasets.empty()
                              ? read_datasets(options, models[0].model())
                              : fill_samples(options, models[0].model(), models[1].model());
  const auto report =
      host::compare_models(models[0].model(), models[1].model(), samples.values, compare_options, &error);
  if (!report) throw CliError{error};
  print_report(options.json ? json_text(json_report(options, samples, *report)) + "\n"
                            : text_report(options, samples, *report));
  return 0;
}

int compare(const CompareOptions& options) {
  if (options.models.size() > 2)
    throw CliError{"give one model (with --golden) or two to compare, got " +
                   std::to_string(options.models.size())};
  return options.models.size() == 2 ? compare_two_models(options) : compare_with_golden(options);
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "compare",
      "With --golden: compare every intermediate tensor of one run with TFLM's to find the first op that "
      "departs (exit 0: all match, 1: some differ, or an error). With two models A B: run both on the same "
      "float inputs and measure B against A: SNR dB (10 log10 of the energy of A's values over that of A - "
      "B, "
      "capped at +-200: +200 means identical), max abs error and top-1 agreement per output and overall; "
      "integer inputs get the floats quantized, integer outputs are dequantized (exit 0, or 1 on an error)");
  auto options = std::make_shared<CompareOptions>();
  command
      ->add_option(
          "MODEL", options->models,
          "The .tflite model (with --golden), or two: the reference A and the model B measured against it")
      ->required();
  command->add_option("--golden", options->golden,
                      "One model: TFLM's tensors for it, a dir with tensors.tsv, tNNN.bin and skipped.tsv "
                      "(shared/golden/tflm-tensors/STEM.seed12345)");
  command->add_option(
      "--fill", options->fill,
      "lcg:SEED (default lcg:12345). One model: the inputs the golden was made with. Two models "
      "(the default input): --samples samples drawn uniformly by the project's LCG from --range, "
      "else from the float range the first quantized integer input of A (else of B) can "
      "represent, (qmin - zp) * scale to (qmax - zp) * scale, else from [-1, 1)");
  command->add_option(
      "--input", options->inputs,
      "Two models: a raw little-endian float32 file per model input, in input order, each holding "
      "one or more samples");
  command->add_option(
      "--dataset", options->datasets,
      "Two models: a .npy file (float32, [N,...]) or a directory of them (taken in name order) per "
      "model input; samples of the input's shape with or without its leading batch of 1");
  options->samples_option = command->add_option(
      "--samples", options->samples,
      "Two models: samples to draw with --fill (default 16); with --input or --dataset, use only "
      "the first N");
  command->add_option(
      "--range", options->range,
      "Two models, --fill: the float range LO,HI to draw from (write --range=-0.5,1 when LO starts "
      "with '-.')");
  command->add_flag(
      "--per-layer", options->per_layer,
      "Two models: also compare every op output of A with B's tensor of the same name (else the "
      "same op index and output slot), in execution order, and name where the error enters");
  command->add_option("--kernels", options->kernels,
                      "Kernels to run: reference (default) or optimized (Cortex-M kernels, on the host)");
  command->add_flag("--json", options->json, "Print JSON");
  command->add_flag("--all", options->all,
                    "One model: report every op's tensors, not only the first departing op's");
  return {command, [options] { return compare(*options); }};
}

}  // namespace edgeinfer::cli
