// edgeinfer run MODEL [--input FILE]... [--fill lcg:SEED] [--output FILE] [--arena BYTES] [--runs N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string fill;
  std::string output;
  size_t arena = 0;
  int runs = 1;
  bool json = false;
};

uint32_t parse_fill_seed(const std::string& fill) {
  const std::string prefix = "lcg:";
  if (fill.rfind(prefix, 0) != 0)
    throw CliError{"--fill must be lcg:SEED (e.g. lcg:12345), got '" + fill + "'"};
  const std::string digits = fill.substr(prefix.size());
  if (digits.empty() || digits.size() > 10 || !std::all_of(digits.begin(), digits.end(), ::isdigit))
    throw CliError{"--fill seed must be a decimal 32-bit unsigned number, got '" + digits + "'"};
  const unsigned long long seed = std::stoull(digits);
  if (seed > 0xFFFFFFFFull) throw CliError{"--fill seed " + digits + " does not fit in 32 bits"};
  return static_cast<uint32_t>(seed);
}

// Input bytes for every model input, read and size-checked before anything runs.
std::vector<std::vector<uint8_t>> load_inputs(const RunOptions& options, Interpreter& interpreter) {
  std::vector<std::vector<uint8_t>> inputs;
  if (!options.inputs.empty() && !options.fill.empty())
    throw CliError{"give either --input files or --fill, not both"};
  if (options.inputs.empty() && options.fill.empty())
    throw CliError{"no input data: give one --input FILE per model input, or --fill lcg:SEED"};
  if (!options.fill.empty()) {
    const uint32_t seed = parse_fill_seed(options.fill);
    for (int i = 0; i < interpreter.num_inputs(); ++i) {
      const Tensor tensor = interpreter.input(i);
      Status status = fill_lcg(tensor, seed);
      if (!status.is_ok()) throw CliError{status.message()};
      const uint8_t* data = static_cast<const uint8_t*>(tensor.data);
      inputs.emplace_back(data, data + tensor.bytes);
    }
    return inputs;
  }
  if (static_cast<int>(options.inputs.size()) != interpreter.num_inputs())
    throw CliError{"model has " + std::to_string(interpreter.num_inputs()) + " inputs, got " +
                   std::to_string(options.inputs.size()) + " --input files"};
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    std::string error;
    auto bytes = host::read_file(options.inputs[i], &error);
    if (!bytes) throw CliError{error};
    const Tensor tensor = interpreter.input(i);
    if (bytes->size() != tensor.bytes) {
      char shape[96];
      tensor.shape.format(shape, sizeof(shape));
      throw CliError{options.inputs[i] + ": " + std::to_string(bytes->size()) + " bytes, input " +
                     std::to_string(i) + " (" + data_type_name(tensor.type) + " " + shape + ") needs " +
                     std::to_string(tensor.bytes)};
    }
    inputs.push_back(std::move(*bytes));
  }
  return inputs;
}

void copy_inputs(const std::vector<std::vector<uint8_t>>& inputs, Interpreter& interpreter) {
  for (int i = 0; i < interpreter.num_inputs(); ++i)
    std::memcpy(interpreter.input(i).data, inputs[i].data(), inputs[i].size());
}

nlohmann::json output_values(const Tensor& tensor) {
  nlohmann::json values = nlohmann::json::array();
  for (int64_t i = 0; i < tensor.num_elements(); ++i) {
    switch (tensor.type) {
      case DataType::kInt8: values.push_back(tensor.data_as<int8_t>()[i]); break;
      case DataType::kUInt8: values.push_back(tensor.data_as<uint8_t>()[i]); break;
      case DataType::kInt16: values.push_back(tensor.data_as<int16_t>()[i]); break;
      case DataType::kInt32: values.push_back(tensor.data_as<int32_t>()[i]); break;
      case DataType::kInt64: values.push_back(tensor.data_as<int64_t>()[i]); break;
      case DataType::kFloat32: values.push_back(tensor.data_as<float>()[i]); break;
      case DataType::kBool: values.push_back(tensor.data_as<uint8_t>()[i] != 0); break;
      default: return nlohmann::json();
    }
  }
  return values;
}

int run(const RunOptions& options) {
  if (options.runs < 1) throw CliError{"--runs must be at least 1"};
  host::LoadedModel loaded;
  Status status = loaded.load_file(options.model);
  if (!status.is_ok()) throw CliError{status.message()};
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver, options.arena);
  if (!status.is_ok()) throw CliError{status.message()};
  Interpreter& interpreter = runner.interpreter();
  const auto inputs = load_inputs(options, interpreter);

  std::vector<double> micros;
  std::vector<uint8_t> first_outputs;
  for (int r = 0; r < options.runs; ++r) {
    copy_inputs(inputs, interpreter);  // activations reuse input memory: restore inputs every run
    const auto start = std::chrono::steady_clock::now();
    status = interpreter.invoke();
    const auto stop = std::chrono::steady_clock::now();
    if (!status.is_ok()) throw CliError{status.message()};
    micros.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
    if (r == 0) first_outputs = host::output_bytes(interpreter);
  }
  std::vector<double> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                          : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;

  if (!options.output.empty()) {
    std::ofstream out(options.output, std::ios::binary);
    out.write(reinterpret_cast<const char*>(first_outputs.data()),
              static_cast<std::streamsize>(first_outputs.size()));
    if (!out) throw CliError{options.output + ": cannot write output"};
  }
  // The printed values are those of the first invoke, like --output (state models change afterwards).
  if (options.runs > 1) {
    copy_inputs(inputs, interpreter);
    interpreter.reset_state();
    interpreter.invoke();
  }

  if (options.json) {
    nlohmann::json json;
    json["model"] = options.model;
    json["arena_bytes"] = runner.arena_bytes();
    json["runs"] = options.runs;
    json["median_us"] = median;
    json["min_us"] = sorted.front();
    nlohmann::json outputs = nlohmann::json::array();
    for (int i = 0; i < interpreter.num_outputs(); ++i) {
      const Tensor tensor = interpreter.output(i);
      outputs.push_back(
          {{"index", i},
           {"type", data_type_name(tensor.type)},
           {"shape", std::vector<int32_t>(tensor.shape.dims, tensor.shape.dims + tensor.shape.rank)},
           {"values", output_values(tensor)}});
    }
    json["outputs"] = outputs;
    std::printf("%s\n", json.dump().c_str());
    return 0;
  }
  std::printf("arena: %zu bytes\n", runner.arena_bytes());
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor tensor = interpreter.output(i);
    char shape[96];
    tensor.shape.format(shape, sizeof(shape));
    std::printf("output %d: %s %s:", i, data_type_name(tensor.type), shape);
    const int64_t shown = std::min<int64_t>(tensor.num_elements(), 16);
    const nlohmann::json values = output_values(tensor);
    for (int64_t k = 0; k < shown && values.is_array(); ++k) std::printf(" %s", values[k].dump().c_str());
    if (tensor.num_elements() > shown)
      std::printf(" ... (%lld values)", static_cast<long long>(tensor.num_elements()));
    std::printf("\n");
  }
  std::printf("latency over %d runs: median %.1f us, min %.1f us\n", options.runs, median, sorted.front());
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand("run", "Run a model on given or generated inputs");
  auto options = std::make_shared<RunOptions>();
  command->add_option("MODEL", options->model, "The .tflite model")->required();
  command->add_option(
      "--input", options->inputs,
      "Raw little-endian bytes of one input tensor; repeat once per model input, in input order");
  command->add_option("--fill", options->fill, "Fill every input with the deterministic generator: lcg:SEED");
  command->add_option("--output", options->output,
                      "Write all output tensors' raw bytes, concatenated, to FILE");
  command
      ->add_option("--arena", options->arena,
                   "Run in an arena of exactly BYTES (default: what the model needs)")
      ->check(CLI::PositiveNumber);
  command->add_option("--runs", options->runs, "Invoke N times and report median and min latency")
      ->check(CLI::PositiveNumber);
  command->add_flag("--json", options->json, "Print JSON");
  return {command, [options] { return run(*options); }};
}

}  // namespace edgeinfer::cli
