// edgeinfer compare MODEL --golden DIR [--fill lcg:SEED] [--json] [--all] [--kernels reference|optimized]:
// every intermediate tensor of one run against TFLM's (a shared/golden/tflm-tensors/STEM.seedN dir), to name
// the first op that departs. Exit 0 when every tensor matches, 1 when some differ or on error.
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/host_runner.h"
#include "compiler/tensor_compare.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

struct CompareOptions {
  std::string model;
  std::string golden;
  std::string fill = "lcg:12345";
  std::string kernels = "reference";
  bool json = false;
  bool all = false;
};

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

int compare(const CompareOptions& options) {
  std::string error;
  const auto seed = host::parse_lcg_fill(options.fill, &error);
  if (!seed) throw CliError{error};
  AllOpsResolver resolver;
  if (options.kernels == "optimized") {
    // The Cortex-M kernels must be exact too: compare them with TFLM's reference results.
    for (const auto& [op, kernel] : cortex_m::kOptimizedKernels) {
      const Status status = resolver.add(op, kernel());
      if (!status.is_ok()) throw CliError{status.message()};
    }
  } else if (options.kernels != "reference") {
    throw CliError{"--kernels " + options.kernels + ": expected reference or optimized"};
  }
  host::LoadedModel loaded;
  const Status status = loaded.load_file(options.model);
  if (!status.is_ok()) throw CliError{status.message()};
  const auto report = host::compare_with_golden(loaded.model(), resolver, options.golden, *seed, &error);
  if (!report) throw CliError{error};

  const host::OpComparison* first = report->first_departure();
  if (options.json) {
    nlohmann::json json = {{"model", options.model},
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

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto* command = app.add_subcommand("compare",
                                     "Compare every intermediate tensor of one run with TFLM's to find the "
                                     "first op that departs (exit 0: all "
                                     "match, 1: some differ, or an error)");
  auto options = std::make_shared<CompareOptions>();
  command->add_option("MODEL", options->model, "The .tflite model")->required();
  command
      ->add_option("--golden", options->golden,
                   "TFLM's tensors for this model: a dir with tensors.tsv, tNNN.bin and skipped.tsv "
                   "(shared/golden/tflm-tensors/STEM.seed12345)")
      ->required();
  command->add_option("--fill", options->fill,
                      "The inputs the golden was made with: lcg:SEED (default lcg:12345)");
  command->add_option("--kernels", options->kernels,
                      "Kernels to run: reference (default) or optimized (Cortex-M kernels, on the host)");
  command->add_flag("--json", options->json, "Print JSON");
  command->add_flag("--all", options->all, "Report every op's tensors, not only the first departing op's");
  return {command, [options] { return compare(*options); }};
}

}  // namespace edgeinfer::cli
