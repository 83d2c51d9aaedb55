// edgeinfer inspect MODEL [--json] [--kernels reference|optimized]: ops, tensors, parameters, MACs and the
// exact arena size (with the kernels the firmware registers: optimized kernels may need other scratch
// buffers).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_stats.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {
namespace {

nlohmann::json tensor_json(const Tensor& tensor) {
  nlohmann::json json;
  json["index"] = tensor.index;
  json["name"] = tensor.name ? tensor.name : "";
  json["type"] = data_type_name(tensor.type);
  json["shape"] = std::vector<int32_t>(tensor.shape.dims, tensor.shape.dims + tensor.shape.rank);
  json["bytes"] = tensor.bytes;
  json["constant"] = tensor.is_constant;
  if (tensor.is_variable) json["variable"] = true;
  if (tensor.quant.is_quantized()) {
    nlohmann::json quant;
    std::vector<float> scales(tensor.quant.scales, tensor.quant.scales + tensor.quant.count);
    std::vector<int32_t> zero_points;
    for (int i = 0; i < tensor.quant.count; ++i) zero_points.push_back(tensor.quant.zero_point(i));
    quant["scale"] = scales;
    quant["zero_point"] = zero_points;
    if (tensor.quant.is_per_channel()) quant["quantized_dimension"] = tensor.quant.quantized_dimension;
    json["quantization"] = quant;
  }
  return json;
}

std::string shape_text(const Tensor& tensor) {
  char text[96];
  tensor.shape.format(text, sizeof(text));
  return text;
}

// The firmware's resolver: reference kernels, and with `optimized` the Cortex-M kernels (all of them, or only
// `only_ops`: tests/firmware registers them for EI_OPTIMIZED_OPS; the same code runs on the host).
void use_kernels(const std::string& kernels, const std::vector<std::string>& only_ops,
                 AllOpsResolver& resolver) {
  if (kernels == "reference") {
    if (!only_ops.empty()) throw CliError{"--optimized-ops needs --kernels optimized"};
    return;
  }
  if (kernels != "optimized") throw CliError{"--kernels " + kernels + ": expected reference or optimized"};
  std::vector<std::string> unmatched = only_ops;
  for (const auto& [op, kernel] : cortex_m::kOptimizedKernels) {
    const std::string name = builtin_op_name(static_cast<int32_t>(op));
    std::erase(unmatched, name);
    if (!only_ops.empty() && std::find(only_ops.begin(), only_ops.end(), name) == only_ops.end()) continue;
    const Status status = resolver.add(op, kernel());
    if (!status.is_ok()) throw CliError{status.message()};
  }
  // A warning, not an error: a kernel added to the firmware before kOptimizedKernels must not stop its build.
  for (const auto& name : unmatched)
    std::fprintf(stderr,
                 "edgeinfer inspect: warning: no optimized kernel for %s in cortex_m::kOptimizedKernels: "
                 "arena measured with the reference kernel\n",
                 name.c_str());
}

int inspect(const std::string& path, bool as_json, const std::string& kernels,
            const std::vector<std::string>& only_ops) {
  host::LoadedModel loaded;
  Status status = loaded.load_file(path);
  if (!status.is_ok()) throw CliError{status.message()};
  const Model& model = loaded.model();
  const compiler::ModelStats stats = compiler::compute_model_stats(model);
  AllOpsResolver resolver;
  use_kernels(kernels, only_ops, resolver);
  host::HostInterpreter runner;
  const Status arena_status = runner.init(model, resolver);
  const size_t arena_bytes = arena_status.is_ok() ? runner.arena_bytes() : 0;
  const size_t persistent_bytes = arena_status.is_ok() ? runner.interpreter().persistent_bytes() : 0;
  const size_t planned_bytes = arena_status.is_ok() ? runner.interpreter().planned_bytes() : 0;

  if (as_json) {
    nlohmann::json json;
    json["model"] = path;
    json["model_bytes"] = model.size();
    json["kernels"] = kernels;
    json["op_counts"] = stats.op_counts;
    nlohmann::json ops = nlohmann::json::array();
    for (const auto& op : stats.ops)
      ops.push_back({{"index", op.index},
                     {"op", op.name},
                     {"version", op.version},
                     {"inputs", op.inputs},
                     {"outputs", op.outputs},
                     {"macs", op.macs}});
    json["ops"] = ops;
    nlohmann::json tensors = nlohmann::json::array();
    for (int t = 0; t < model.num_tensors(); ++t) tensors.push_back(tensor_json(model.tensor(t)));
    json["tensors"] = tensors;
    std::vector<int> inputs, outputs;
    for (int i = 0; i < model.num_inputs(); ++i) inputs.push_back(model.input_tensor_index(i));
    for (int i = 0; i < model.num_outputs(); ++i) outputs.push_back(model.output_tensor_index(i));
    json["inputs"] = inputs;
    json["outputs"] = outputs;
    json["parameters"] = stats.parameters;
    json["parameter_bytes"] = stats.parameter_bytes;
    json["total_macs"] = stats.total_macs;
    if (arena_status.is_ok()) {
      json["arena_bytes"] = arena_bytes;
      json["arena_persistent_bytes"] = persistent_bytes;  // tables, op data, state tensors
      json["arena_planned_bytes"] = planned_bytes;        // activations and scratch, shared by lifetime
    } else {
      json["arena_bytes"] = nullptr;
      json["arena_error"] = arena_status.message();
    }
    std::printf("%s\n", json.dump(1).c_str());
    return 0;
  }

  std::printf("model: %s (%zu bytes)\n", path.c_str(), model.size());
  std::printf("ops: %d\n", model.num_ops());
  for (const auto& [name, count] : stats.op_counts) std::printf("  %-32s x%d\n", name.c_str(), count);
  std::printf("inputs:\n");
  for (int i = 0; i < model.num_inputs(); ++i) {
    const Tensor t = model.tensor(model.input_tensor_index(i));
    std::printf("  %d: tensor %d %s %s\n", i, t.index, data_type_name(t.type), shape_text(t).c_str());
  }
  std::printf("outputs:\n");
  for (int i = 0; i < model.num_outputs(); ++i) {
    const Tensor t = model.tensor(model.output_tensor_index(i));
    std::printf("  %d: tensor %d %s %s\n", i, t.index, data_type_name(t.type), shape_text(t).c_str());
  }
  std::printf("per op:\n");
  for (const auto& op : stats.ops)
    std::printf("  %3d %-28s macs %lld\n", op.index, op.name.c_str(), static_cast<long long>(op.macs));
  std::printf("tensors:\n");
  for (int t = 0; t < model.num_tensors(); ++t) {
    const Tensor tensor = model.tensor(t);
    std::printf("  %3d %-8s %-18s %s%s", t, data_type_name(tensor.type), shape_text(tensor).c_str(),
                tensor.is_constant ? "const " : "", tensor.is_variable ? "state " : "");
    if (tensor.quant.is_quantized()) {
      if (tensor.quant.is_per_channel())
        std::printf("per-channel(%d, axis %d)", tensor.quant.count, tensor.quant.quantized_dimension);
      else
        std::printf("scale %g zero_point %d", tensor.quant.scale(), tensor.quant.zero_point());
    }
    std::printf("  %s\n", tensor.name ? tensor.name : "");
  }
  std::printf("parameters: %lld (%lld bytes)\n", static_cast<long long>(stats.parameters),
              static_cast<long long>(stats.parameter_bytes));
  std::printf("total MACs: %lld\n", static_cast<long long>(stats.total_macs));
  if (arena_status.is_ok())
    std::printf(
        "arena bytes: %zu (exact: run with --arena %zu): %zu persistent (tables, op data, state) + %zu "
        "activations and scratch\n",
        arena_bytes, arena_bytes, persistent_bytes, planned_bytes);
  else
    std::printf("arena bytes: unknown: %s\n", arena_status.message());
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("inspect", "Show a model's ops, tensors, parameters, MACs and exact arena size");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  command->add_option("MODEL", *path, "The .tflite model")->required();
  command->add_flag("--json", *as_json, "Print JSON (arena size under the key arena_bytes)");
  auto kernels = std::make_shared<std::string>("reference");
  command->add_option(
      "--kernels", *kernels,
      "Kernels the arena is measured with: reference (default) or optimized (Cortex-M kernels)");
  auto only_ops = std::make_shared<std::vector<std::string>>();
  command->add_option("--optimized-ops", *only_ops, "With --kernels optimized: only these ops use them (A;B)")
      ->delimiter(';');
  return {command,
          [path, as_json, kernels, only_ops] { return inspect(*path, *as_json, *kernels, *only_ops); }};
}

}  // namespace edgeinfer::cli
