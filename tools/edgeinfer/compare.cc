// edgeinfer compare MODEL --golden DIR [--fill lcg:SEED] [--json] [--all] [--kernels reference|optimized]:
// every intermediate tensor of one run against TFLM's (a shared/golden/tflm-tensors/STEM.seedN dir), to name
// the first op that departs. Exit 0 when every tensor matches, 1 when some differ or on error.
//
// edgeinfer compare A.tflite B.tflite [--input FILE...|--fill lcg:SEED|--dataset PATH...] [--samples N]
// [--range LO,HI] [--per-layer] [--json]: both models on the same float inputs, B measured against A (SNR,
// max abs error, top-1 agreement per output; with --per-layer per tensor, and where the error enters).
// Exit 0 whatever the figures (they are information), 1 on errors.
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_compare.h"
#include "compiler/tensor_compare.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/compare_report.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"
#include "tools/edgeinfer/samples.h"

namespace edgeinfer::cli {
namespace {

constexpr const char* kDefaultFill = "lcg:12345";
constexpr int64_t kDefaultSamples = 16;

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

// --fill, or its default.
uint32_t fill_seed(const CompareOptions& options) {
  std::string error;
  const auto seed = host::parse_lcg_fill(options.fill.empty() ? kDefaultFill : options.fill, &error);
  if (!seed) throw CliError{error};
  return *seed;
}

int compare_with_golden(const CompareOptions& options) {
  if (options.golden.empty())
    throw CliError{"give --golden DIR (TFLM's tensors of this model), or a second model to compare with"};
  if (!options.inputs.empty() || !options.datasets.empty() || options.samples_option->count() > 0 ||
      !options.range.empty() || options.per_layer)
    throw CliError{"--input, --dataset, --samples, --range and --per-layer compare two models: give two"};
  const uint32_t seed = fill_seed(options);
  const auto resolver = make_resolver(options.kernels);
  host::LoadedModel loaded;
  const Status status = loaded.load_file(options.models[0]);
  if (!status.is_ok()) throw CliError{status.message()};
  std::string error;
  const auto report = host::compare_with_golden(loaded.model(), *resolver, options.golden, seed, &error);
  if (!report) throw CliError{error};

  const host::OpComparison* first = report->first_departure();
  if (options.json) {
    nlohmann::json json = {{"model", options.models[0]},
                           {"golden", options.golden},
                           {"seed", seed},
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

// "--dataset a.npy b.npy": how compare names its inputs.
std::string sources_text(const std::string& option, const std::vector<std::string>& paths) {
  std::string text = option;
  for (const auto& path : paths) text += " " + path;
  return text;
}

// --fill lcg:SEED: uniform in --range, else in what the first quantized integer input can represent, else
// [-1, 1).
Samples fill_samples(const CompareOptions& options, const Model& a, const Model& b) {
  const std::string fill = options.fill.empty() ? kDefaultFill : options.fill;
  const uint32_t seed = fill_seed(options);
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
  Samples samples;
  samples.values = lcg_samples(a, seed, count, range, "--fill");
  samples.text = "--fill " + fill + ", uniform in " + range_text(range) + " (" + why + ")";
  samples.json = {
      {"source", "fill"}, {"seed", seed}, {"range", {range.low, range.high}}, {"range_from", why}};
  return samples;
}

// The inputs, sized by the reference A (the models fit: check_models_fit).
Samples read_samples(const CompareOptions& options, const Model& a, const Model& b) {
  if (options.inputs.empty() && options.datasets.empty()) return fill_samples(options, a, b);
  const bool raw = !options.inputs.empty();
  SampleSpec spec{.option = raw ? "--input" : "--dataset",
                  .sources = raw ? options.inputs : options.datasets,
                  .limit = options.samples,
                  .allow_lcg = false,
                  .owner = "the models have"};
  Samples samples =
      raw ? load_raw_samples(spec, a, options.models[0]) : load_samples(spec, a, options.models[0]);
  samples.text = sources_text(spec.option, spec.sources);
  samples.json = {{"source", raw ? "input" : "dataset"}, {raw ? "files" : "paths", spec.sources}};
  return samples;
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
  const Samples samples = read_samples(options, models[0].model(), models[1].model());
  const auto report =
      host::compare_models(models[0].model(), models[1].model(), samples.values, compare_options, &error);
  if (!report) throw CliError{error};
  if (options.json) {
    nlohmann::json json = model_compare_json(*report, options.per_layer);
    json["reference"] = options.models[0];
    json["test"] = options.models[1];
    json["inputs"] = samples.json;
    print_report(json_text(json) + "\n");
    return 0;
  }
  std::string text;
  appendf(text, "reference %s, test %s\n", printable(options.models[0]).c_str(),
          printable(options.models[1]).c_str());
  appendf(text, "%lld samples: %s\n", static_cast<long long>(report->samples),
          printable(samples.text).c_str());
  print_report(text + model_compare_text(*report, options.per_layer));
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
