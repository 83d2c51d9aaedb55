// edgeinfer run MODEL [--input FILE]... [--fill lcg:SEED] [--output FILE] [--arena BYTES] [--runs N] [--json]
// edgeinfer run MODEL --stream FILE [--output FILE] [--arena BYTES] [--json]
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string fill;
  std::string stream;
  std::string output;
  size_t arena = 0;
  int runs = 1;
  bool json = false;
};

uint32_t parse_fill_seed(const std::string& fill) {
  std::string error;
  const auto seed = host::parse_lcg_fill(fill, &error);
  if (!seed) throw CliError{error};
  return *seed;
}

std::string describe_input(const Tensor& tensor, int i) {
  char shape[96];
  tensor.shape.format(shape, sizeof(shape));
  return "input " + std::to_string(i) + " (" + data_type_name(tensor.type) + " " + shape + ")";
}

// Input bytes for every model input, read and size-checked before anything runs.
std::vector<std::vector<uint8_t>> load_inputs(const RunOptions& options, Interpreter& interpreter) {
  std::vector<std::vector<uint8_t>> inputs;
  if (!options.inputs.empty() && !options.fill.empty())
    throw CliError{"give either --input files or --fill, not both"};
  if (options.inputs.empty() && options.fill.empty())
    throw CliError{"no input data: give one --input FILE per model input, --fill lcg:SEED, or --stream FILE"};
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
    if (bytes->size() != tensor.bytes)
      throw CliError{options.inputs[i] + ": " + std::to_string(bytes->size()) + " bytes, " +
                     describe_input(tensor, i) + " needs " + std::to_string(tensor.bytes)};
    inputs.push_back(std::move(*bytes));
  }
  return inputs;
}

void copy_inputs(const std::vector<std::vector<uint8_t>>& inputs, Interpreter& interpreter) {
  for (int i = 0; i < interpreter.num_inputs(); ++i)
    if (!inputs[i].empty()) std::memcpy(interpreter.input(i).data, inputs[i].data(), inputs[i].size());
}

nlohmann::json output_values(const Tensor& tensor) {
  nlohmann::json values = nlohmann::json::array();
  if (tensor.data == nullptr) return values;
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

// Writes every output tensor's bytes, in output order (counts them only, without a file).
void write_outputs(const Interpreter& interpreter, OutputFile* out, size_t* written) {
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor output = interpreter.output(i);
    if (output.data == nullptr || output.bytes == 0) continue;
    if (out) out->write(output.data, output.bytes);
    *written += output.bytes;
  }
}

double invoke_timed(Interpreter& interpreter) {
  const auto start = std::chrono::steady_clock::now();
  const Status status = interpreter.invoke();
  const auto stop = std::chrono::steady_clock::now();
  if (!status.is_ok()) throw CliError{status.message()};
  return std::chrono::duration<double, std::micro>(stop - start).count();
}

// The stream file, read one chunk at a time (it may be longer than memory would like).
class StreamReader {
 public:
  StreamReader(const std::string& path, size_t chunk, const std::string& input)
      : path_(path), chunk_(chunk), input_(input) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) throw CliError{path + ": is a directory, not a file"};
    file_.reset(std::fopen(path.c_str(), "rb"));
    if (!file_) throw CliError{"--stream " + path + ": cannot open: " + std::strerror(errno)};
    // Regular files are checked before the first invoke; pipes when their end is reached.
    const auto size = std::filesystem::file_size(path, error);
    if (!error) check_total(size);
  }

  // Reads the next chunk; false at the end of the stream.
  bool next(uint8_t* data) {
    const size_t got = std::fread(data, 1, chunk_, file_.get());
    if (std::ferror(file_.get())) throw CliError{"--stream " + path_ + ": read error"};
    total_ += got;
    if (got == chunk_) return true;
    if (got != 0 || total_ == 0) check_total(total_);
    return false;
  }

 private:
  void check_total(uintmax_t size) const {
    if (size == 0)
      throw CliError{"--stream " + path_ + ": empty: need one or more chunks of " + std::to_string(chunk_) +
                     " bytes (" + input_ + ")"};
    if (size % chunk_ != 0)
      throw CliError{"--stream " + path_ + ": " + std::to_string(size) + " bytes is not a whole number of " +
                     std::to_string(chunk_) + "-byte chunks (" + input_ + ")"};
  }
  struct Close {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::string path_;
  size_t chunk_;
  std::string input_;
  uintmax_t total_ = 0;
  std::unique_ptr<std::FILE, Close> file_;
};

// One invoke per input-sized chunk of the stream file, on one interpreter: state (LSTM, SVDF, signal ops)
// carries from chunk to chunk. Every invoke's outputs go to --output, concatenated.
void run_stream(const RunOptions& options, Interpreter& interpreter, OutputFile* out, RunFigures* figures) {
  if (interpreter.num_inputs() != 1)
    throw CliError{"--stream needs a model with one input; " + options.model + " has " +
                   std::to_string(interpreter.num_inputs())};
  const Tensor input = interpreter.input(0);
  if (input.bytes == 0) throw CliError{"--stream: " + describe_input(input, 0) + " has no bytes"};
  StreamReader reader(options.stream, input.bytes, describe_input(input, 0));
  std::vector<uint8_t> chunk(input.bytes);
  figures->stream = true;
  figures->chunk_bytes = input.bytes;
  while (reader.next(chunk.data())) {
    std::memcpy(interpreter.input(0).data, chunk.data(), chunk.size());  // activations may reuse it
    figures->micros.push_back(invoke_timed(interpreter));
    write_outputs(interpreter, out, &figures->output_bytes);
  }
}

void run_once_or_more(const RunOptions& options, Interpreter& interpreter, OutputFile* out,
                      RunFigures* figures) {
  const auto inputs = load_inputs(options, interpreter);
  for (int r = 0; r < options.runs; ++r) {
    copy_inputs(inputs, interpreter);  // activations reuse input memory: restore inputs every run
    figures->micros.push_back(invoke_timed(interpreter));
    if (r == 0) write_outputs(interpreter, out, &figures->output_bytes);
  }
  // The printed values are those of the first invoke, like --output (state models change afterwards).
  if (options.runs > 1) {
    const Status status = interpreter.reset_state();
    if (!status.is_ok()) throw CliError{status.message()};
    copy_inputs(inputs, interpreter);
    invoke_timed(interpreter);
  }
}

int run(const RunOptions& options) {
  if (options.runs < 1) throw CliError{"--runs must be at least 1"};
  if (!options.stream.empty()) {
    if (!options.inputs.empty() || !options.fill.empty())
      throw CliError{"--stream gives the inputs: no --input or --fill with it"};
    if (options.runs != 1) throw CliError{"--runs does not apply to --stream (one invoke per chunk)"};
  }
  host::LoadedModel loaded;
  Status status = loaded.load_file(options.model);
  if (!status.is_ok()) throw CliError{status.message()};
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver, options.arena);
  if (!status.is_ok()) throw CliError{status.message()};
  Interpreter& interpreter = runner.interpreter();

  // Written beside the destination and renamed only when everything succeeded.
  std::unique_ptr<OutputFile> out;
  if (!options.output.empty()) out = std::make_unique<OutputFile>(options.output);
  RunFigures figures;
  figures.model_path = options.model;
  figures.arena_bytes = runner.arena_bytes();
  if (!options.stream.empty())
    run_stream(options, interpreter, out.get(), &figures);
  else
    run_once_or_more(options, interpreter, out.get(), &figures);
  const std::string report = run_report(figures, interpreter, options.json);
  if (out) out->commit();
  print_report(report);
  return 0;
}

}  // namespace

std::string run_report(const RunFigures& figures, const Interpreter& interpreter, bool json) {
  std::vector<double> sorted = figures.micros;
  std::sort(sorted.begin(), sorted.end());
  double median = 0, min = 0;
  if (!sorted.empty()) {
    const size_t n = sorted.size();
    median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    min = sorted.front();
  }
  const int invokes = static_cast<int>(figures.micros.size());

  if (json) {
    nlohmann::json report;
    report["model"] = figures.model_path;
    report["arena_bytes"] = figures.arena_bytes;
    report["block_sparse_ops"] = interpreter.block_sparse_ops();
    if (figures.stream) {
      report["invokes"] = invokes;
      report["chunk_bytes"] = figures.chunk_bytes;
      report["output_bytes"] = figures.output_bytes;
    } else {
      report["runs"] = invokes;
    }
    report["median_us"] = median;
    report["min_us"] = min;
    nlohmann::json outputs = nlohmann::json::array();
    for (int i = 0; i < interpreter.num_outputs(); ++i) {
      const Tensor tensor = interpreter.output(i);
      outputs.push_back(
          {{"index", i},
           {"type", data_type_name(tensor.type)},
           {"shape", std::vector<int32_t>(tensor.shape.dims, tensor.shape.dims + tensor.shape.rank)},
           {"values", output_values(tensor)}});
    }
    report["outputs"] = outputs;
    return json_text(report) + "\n";
  }
  std::string text;
  appendf(text, "arena: %zu bytes\n", figures.arena_bytes);
  if (interpreter.block_sparse_ops() > 0)
    appendf(text, "block-sparse: %d ops skip zero weight blocks\n", interpreter.block_sparse_ops());
  if (interpreter.block_sparsity_ignored_ops() > 0)
    appendf(text, "block-sparse: %d ops ignore an index that does not match their weights (they run dense)\n",
            interpreter.block_sparsity_ignored_ops());
  if (figures.stream)
    appendf(text, "stream: %d invokes of %zu-byte chunks, %zu output bytes; outputs of the last invoke:\n",
            invokes, figures.chunk_bytes, figures.output_bytes);
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor tensor = interpreter.output(i);
    char shape[96];
    tensor.shape.format(shape, sizeof(shape));
    appendf(text, "output %d: %s %s:", i, data_type_name(tensor.type), shape);
    const nlohmann::json values = output_values(tensor);
    const int64_t shown = std::min<int64_t>(tensor.num_elements(), 16);
    for (int64_t k = 0; k < shown && values.is_array() && k < static_cast<int64_t>(values.size()); ++k)
      appendf(text, " %s", json_text(values[k]).c_str());
    if (tensor.num_elements() > shown)
      appendf(text, " ... (%lld values)", static_cast<long long>(tensor.num_elements()));
    appendf(text, "\n");
  }
  appendf(text, "latency over %d %s: median %.1f us, min %.1f us\n", invokes,
          figures.stream ? "invokes" : "runs", median, min);
  return text;
}

Command add_run_command(CLI::App& app) {
  auto* command = app.add_subcommand("run", "Run a model on given or generated inputs, or over a stream");
  auto options = std::make_shared<RunOptions>();
  command->add_option("MODEL", options->model, "The .tflite model")->required();
  command->add_option(
      "--input", options->inputs,
      "Raw little-endian bytes of one input tensor; repeat once per model input, in input order");
  command->add_option("--fill", options->fill, "Fill every input with the deterministic generator: lcg:SEED");
  command->add_option("--stream", options->stream,
                      "Single-input models: invoke once per input-sized chunk of FILE (raw little-endian "
                      "bytes), in order, keeping the model's state (LSTM, SVDF, signal ops) between invokes; "
                      "--output gets every invoke's outputs, concatenated");
  command->add_option("--output", options->output,
                      "Write all output tensors' raw bytes, concatenated, to FILE (with --stream: those of "
                      "every invoke, in order)");
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
