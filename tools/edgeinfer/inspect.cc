// edgeinfer inspect MODEL [--json] [--kernels reference|optimized]: ops, tensors, parameters, MACs and the
// exact arena size (with the kernels the firmware registers: optimized kernels may need other scratch
// buffers).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_stats.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

// A string of the model, whole (flatbuffers strings may hold NUL bytes), or empty when absent.
std::string_view model_string(const flatbuffers::String* text) {
  return text ? std::string_view(text->c_str(), text->size()) : std::string_view();
}

std::string_view tensor_name(const Model& model, int t) {
  return model_string(model.subgraph()->tensors()->Get(t)->name());
}

// Text output of names and messages, escaped.
std::string shown(std::string_view text) {
  return printable(text);
}

nlohmann::json tensor_json(const Model& model, const Tensor& tensor) {
  nlohmann::json json;
  json["index"] = tensor.index;
  json["name"] = tensor_name(model, tensor.index);
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

struct MetadataEntry {
  std::string_view name;
  uint32_t buffer = 0;
  std::optional<uint64_t> bytes;  // absent when the buffer index is out of range
};

// Metadata entries (name, buffer): the verifier checked the tables but not the buffer indices.
std::vector<MetadataEntry> metadata_entries(const Model& model) {
  std::vector<MetadataEntry> entries;
  const auto* metadata = model.flatbuffer()->metadata();
  if (metadata == nullptr) return entries;
  const auto* buffers = model.flatbuffer()->buffers();
  for (const auto* entry : *metadata) {
    MetadataEntry item{model_string(entry->name()), entry->buffer(), std::nullopt};
    if (buffers != nullptr && item.buffer < buffers->size()) {
      const auto* buffer = buffers->Get(item.buffer);
      item.bytes = buffer->data() ? buffer->data()->size() : buffer->size();
    }
    entries.push_back(item);
  }
  return entries;
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
                 printable(name).c_str());
}

std::string json_report(const Model& model, const compiler::ModelStats& stats, const std::string& model_path,
                        const std::string& kernels, const ArenaFigures& arena) {
  // Strings go in as they are: json_text() makes them valid UTF-8 when it writes the document.
  nlohmann::json json;
  json["model"] = model_path;
  json["model_bytes"] = model.size();
  json["kernels"] = kernels;
  const std::string_view description = model_string(model.flatbuffer()->description());
  json["description"] = description;
  nlohmann::json metadata = nlohmann::json::array();
  for (const MetadataEntry& entry : metadata_entries(model)) {
    metadata.push_back({{"name", entry.name}, {"buffer", entry.buffer}});
    if (entry.bytes) metadata.back()["bytes"] = *entry.bytes;
  }
  json["metadata"] = metadata;
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
  for (int t = 0; t < model.num_tensors(); ++t) tensors.push_back(tensor_json(model, model.tensor(t)));
  json["tensors"] = tensors;
  std::vector<int> inputs, outputs;
  for (int i = 0; i < model.num_inputs(); ++i) inputs.push_back(model.input_tensor_index(i));
  for (int i = 0; i < model.num_outputs(); ++i) outputs.push_back(model.output_tensor_index(i));
  json["inputs"] = inputs;
  json["outputs"] = outputs;
  json["parameters"] = stats.parameters;
  json["parameter_bytes"] = stats.parameter_bytes;
  json["total_macs"] = stats.total_macs;
  if (arena.status.is_ok()) {
    json["arena_bytes"] = arena.arena_bytes;
    json["arena_persistent_bytes"] = arena.persistent_bytes;  // tables, op data, state tensors
    json["arena_planned_bytes"] = arena.planned_bytes;        // activations and scratch, shared by lifetime
  } else {
    json["arena_bytes"] = nullptr;
    json["arena_error"] = arena.status.message();
  }
  return json_text(json, 1) + "\n";
}

std::string text_report(const Model& model, const compiler::ModelStats& stats, const std::string& model_path,
                        const ArenaFigures& arena) {
  std::string text;
  appendf(text, "model: %s (%zu bytes)\n", shown(model_path).c_str(), model.size());
  const std::string_view description = model_string(model.flatbuffer()->description());
  if (!description.empty()) appendf(text, "description: %s\n", shown(description).c_str());
  const std::vector<MetadataEntry> metadata = metadata_entries(model);
  if (!metadata.empty()) {
    appendf(text, "metadata:");
    for (const MetadataEntry& entry : metadata) {
      if (entry.bytes)
        appendf(text, " %s (%llu bytes)", shown(entry.name).c_str(),
                static_cast<unsigned long long>(*entry.bytes));
      else
        appendf(text, " %s (buffer %u out of range)", shown(entry.name).c_str(), entry.buffer);
    }
    appendf(text, "\n");
  }
  appendf(text, "ops: %d\n", model.num_ops());
  for (const auto& [name, count] : stats.op_counts)
    appendf(text, "  %-32s x%d\n", shown(name).c_str(), count);
  appendf(text, "inputs:\n");
  for (int i = 0; i < model.num_inputs(); ++i) {
    const Tensor t = model.tensor(model.input_tensor_index(i));
    appendf(text, "  %d: tensor %d %s %s\n", i, t.index, data_type_name(t.type), shape_text(t).c_str());
  }
  appendf(text, "outputs:\n");
  for (int i = 0; i < model.num_outputs(); ++i) {
    const Tensor t = model.tensor(model.output_tensor_index(i));
    appendf(text, "  %d: tensor %d %s %s\n", i, t.index, data_type_name(t.type), shape_text(t).c_str());
  }
  appendf(text, "per op:\n");
  for (const auto& op : stats.ops)
    appendf(text, "  %3d %-28s macs %lld\n", op.index, shown(op.name).c_str(),
            static_cast<long long>(op.macs));
  appendf(text, "tensors:\n");
  for (int t = 0; t < model.num_tensors(); ++t) {
    const Tensor tensor = model.tensor(t);
    appendf(text, "  %3d %-8s %-18s %s%s", t, data_type_name(tensor.type), shape_text(tensor).c_str(),
            tensor.is_constant ? "const " : "", tensor.is_variable ? "state " : "");
    if (tensor.quant.is_quantized()) {
      if (tensor.quant.is_per_channel())
        appendf(text, "per-channel(%d, axis %d)", tensor.quant.count, tensor.quant.quantized_dimension);
      else
        appendf(text, "scale %g zero_point %d", tensor.quant.scale(), tensor.quant.zero_point());
    }
    appendf(text, "  %s\n", shown(tensor_name(model, t)).c_str());
  }
  appendf(text, "parameters: %lld (%lld bytes)\n", static_cast<long long>(stats.parameters),
          static_cast<long long>(stats.parameter_bytes));
  appendf(text, "total MACs: %lld\n", static_cast<long long>(stats.total_macs));
  if (arena.status.is_ok())
    appendf(text,
            "arena bytes: %zu (exact: run with --arena %zu): %zu persistent (tables, op data, state) + %zu "
            "activations and scratch\n",
            arena.arena_bytes, arena.arena_bytes, arena.persistent_bytes, arena.planned_bytes);
  else
    appendf(text, "arena bytes: unknown: %s\n", shown(arena.status.message()).c_str());
  return text;
}

int inspect(const std::string& path, bool as_json, const std::string& kernels,
            const std::vector<std::string>& only_ops) {
  AllOpsResolver resolver;
  use_kernels(kernels, only_ops, resolver);
  host::LoadedModel loaded;
  Status status = loaded.load_file(path);
  if (!status.is_ok()) throw CliError{status.message()};
  const ArenaFigures arena = measure_arena(loaded.model(), resolver);
  print_report(inspect_report(loaded.model(), path, kernels, arena, as_json));
  return 0;
}

}  // namespace

ArenaFigures measure_arena(const Model& model, const OpResolver& resolver) {
  ArenaFigures figures;
  host::HostInterpreter runner;
  figures.status = runner.init(model, resolver);
  if (figures.status.is_ok()) {
    figures.arena_bytes = runner.arena_bytes();
    figures.persistent_bytes = runner.interpreter().persistent_bytes();
    figures.planned_bytes = runner.interpreter().planned_bytes();
  }
  return figures;
}

std::string inspect_report(const Model& model, const std::string& model_path, const std::string& kernels,
                           const ArenaFigures& arena, bool json) {
  const compiler::ModelStats stats = compiler::compute_model_stats(model);
  return json ? json_report(model, stats, model_path, kernels, arena)
              : text_report(model, stats, model_path, arena);
}

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
