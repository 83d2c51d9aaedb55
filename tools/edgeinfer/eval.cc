// edgeinfer eval MODEL --data DATA [--split test|train] [--limit N] [--labels FILE] [--autoencoder] [--json]
// Runs a model on every sample of a dataset (compiler/data/dataset.h) in our runtime: top-1 accuracy and a
// confusion matrix for classifiers, the mean squared reconstruction error for autoencoders. Integer inputs
// get the float samples quantized with their scale and zero point (Tensor::set_from_float, as compare and
// quantize --eval do); integer outputs are dequantized.
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/data/dataset.h"
#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/progress_bar.h"
#include "tools/edgeinfer/reports.h"
#include "tools/edgeinfer/samples.h"

namespace edgeinfer::cli {
namespace {

namespace data = compiler::data;

// Wider confusion matrices are left to --json.
constexpr int64_t kMaxPrintedClasses = 32;

struct EvalOptions {
  std::string model;
  std::string data;
  std::string split = "test";
  int64_t limit = 0;
  std::string labels;
  bool autoencoder = false;
  bool json = false;
  CLI::Option* split_option = nullptr;
  CLI::Option* limit_option = nullptr;
};

struct EvalResult {
  bool classifier = false;
  int64_t samples = 0;
  // Classifiers: confusion[true label][predicted class].
  int64_t classes = 0;
  int64_t correct = 0;
  std::vector<std::vector<int64_t>> confusion;
  // Autoencoders: the squared error summed over every value of every sample.
  double squared_error = 0;
  int64_t values = 0;

  double accuracy() const {
    return samples ? static_cast<double>(correct) / static_cast<double>(samples) : 0;
  }
  double mse() const { return values ? squared_error / static_cast<double>(values) : 0; }
};

std::string tensor_text(const Tensor& tensor) {
  char shape[96];
  tensor.shape.format(shape, sizeof(shape));
  return std::string(data_type_name(tensor.type)) + " " + shape;
}

std::string output_name(const Model& model) {
  const flatbuffers::String* name = model.subgraph()->tensors()->Get(model.output_tensor_index(0))->name();
  return name ? std::string(name->c_str(), name->size()) : std::string();
}

bool same_shape(const Shape& a, const Shape& b) {
  return a.rank == b.rank && std::equal(a.dims, a.dims + a.rank, b.dims);
}

// Every sample through the model, one invoke each, state reset in between (samples are independent).
EvalResult evaluate(const EvalOptions& options, const Model& model, const data::Dataset& set,
                    bool classifier) {
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  Status status = runner.init(model, resolver);
  if (!status.is_ok()) throw CliError{options.model + ": " + status.message()};
  Interpreter& interpreter = runner.interpreter();

  EvalResult result;
  result.classifier = classifier;
  result.samples = set.samples.num_samples;
  const int64_t per_sample = set.samples.sample_elements();
  std::vector<float> output(static_cast<size_t>(interpreter.output(0).num_elements()));
  if (classifier) {
    result.classes = static_cast<int64_t>(output.size());
    result.confusion.assign(output.size(), std::vector<int64_t>(output.size(), 0));
  }
  ProgressBar bar("evaluating");
  for (int64_t s = 0; s < result.samples; ++s) {
    const float* sample = set.samples.values.data() + s * per_sample;
    if (s > 0 && !(status = interpreter.reset_state()).is_ok())
      throw CliError{options.model + ": " + status.message()};
    const Tensor input = interpreter.input(0);
    status = input.set_from_float(sample, static_cast<size_t>(per_sample));
    if (!status.is_ok())
      throw CliError{"input 0 of " + options.model + " (" + tensor_text(input) + "): " + status.message()};
    status = interpreter.invoke();
    if (!status.is_ok())
      throw CliError{options.model + ": " + set.samples.describe_sample(s) + ": " + status.message()};
    const Tensor out = interpreter.output(0);
    status = out.get_as_float(output.data(), output.size());
    if (!status.is_ok())
      throw CliError{"output 0 of " + options.model + " (" + tensor_text(out) + "): " + status.message()};
    if (!std::all_of(output.begin(), output.end(), [](float v) { return std::isfinite(v); }))
      throw CliError{"output 0 of " + options.model + " is not finite (NaN or infinity) on " +
                     set.samples.describe_sample(s)};
    if (classifier) {
      // The first maximum on ties, as compare's top-1.
      const auto predicted = std::max_element(output.begin(), output.end()) - output.begin();
      const int32_t label = set.labels[s];
      ++result.confusion[label][predicted];
      result.correct += label == predicted;
    } else {
      for (int64_t i = 0; i < per_sample; ++i) {
        const double error = static_cast<double>(output[i]) - sample[i];
        result.squared_error += error * error;
      }
      result.values += per_sample;
    }
    bar.update(static_cast<size_t>(s + 1), static_cast<size_t>(result.samples));
  }
  return result;
}

// Rows: true labels; columns: predicted classes; then each row's recall (correct / row total).
std::string confusion_text(const EvalResult& r) {
  int64_t largest = 0;
  for (const auto& row : r.confusion)
    for (int64_t count : row) largest = std::max(largest, count);
  const int width = std::max<int>(4, static_cast<int>(std::to_string(largest).size())) + 1;
  std::string text = "confusion matrix (rows: true label, columns: predicted class):\n";
  appendf(text, "%6s", "");
  for (int64_t c = 0; c < r.classes; ++c) appendf(text, "%*lld", width, static_cast<long long>(c));
  appendf(text, "  %s\n", "recall");
  for (int64_t t = 0; t < r.classes; ++t) {
    appendf(text, "%6lld", static_cast<long long>(t));
    int64_t total = 0;
    for (int64_t c = 0; c < r.classes; ++c) {
      appendf(text, "%*lld", width, static_cast<long long>(r.confusion[t][c]));
      total += r.confusion[t][c];
    }
    if (total > 0)
      appendf(text, "  %.4f\n", static_cast<double>(r.confusion[t][t]) / static_cast<double>(total));
    else
      appendf(text, "  %s\n", "-");
  }
  return text;
}

int eval(const EvalOptions& options) {
  if (options.limit_option->count() > 0 && options.limit < 1)
    throw CliError{"--limit must be at least 1, got " + std::to_string(options.limit)};
  if (options.split != "test" && options.split != "train")
    throw CliError{"--split " + options.split + ": expected test or train"};
  host::LoadedModel loaded;
  const Status status = loaded.load_file(options.model);
  if (!status.is_ok()) throw CliError{status.message()};
  const Model& model = loaded.model();
  if (model.num_inputs() != 1)
    throw CliError{options.model + " has " + std::to_string(model.num_inputs()) +
                   " inputs: eval runs models with one input"};
  if (model.num_outputs() < 1) throw CliError{options.model + " has no outputs"};
  const Tensor input = model.tensor(model.input_tensor_index(0));
  const Tensor output = model.tensor(model.output_tensor_index(0));
  const std::string output_text = "output 0 of " + options.model + " (" + tensor_text(output) + ")";

  // An output shaped like the input is a reconstruction; labels are bounded by a classifier's outputs.
  const bool reconstruction = options.autoencoder || same_shape(input.shape, output.shape);
  data::LoadOptions load;
  load.split = options.split;
  load.labels = options.labels;
  load.limit = options.limit;
  load.num_classes =
      reconstruction || output.num_elements() < 2 ? 0 : static_cast<int32_t>(output.num_elements());
  std::string error;
  auto set = data::load_dataset(options.data, load, &error);
  if (!set) throw CliError{"--data " + error};
  if (options.split_option->count() > 0 && set->format != "idx")
    throw CliError{"--split applies to IDX directories; " + options.data + " is " + set->format + " data"};
  if (!data::fit_to_input(&*set, input.shape, "input 0 of " + options.model, &error))
    throw CliError{"--data " + error};

  bool classifier = false;
  if (reconstruction || !set->has_labels()) {
    if (output.num_elements() != input.num_elements())
      throw CliError{(set->has_labels() ? output_text + " is not shaped like input 0 (" + tensor_text(input) +
                                              "): an autoencoder reconstructs its input"
                                        : "--data " + set->source + " has no labels, and " + output_text +
                                              " is not shaped like input 0 (" + tensor_text(input) +
                                              "): give labels for a classifier, or evaluate an autoencoder")};
  } else if (output.num_elements() < 2) {
    throw CliError{output_text + " has one value: top-1 accuracy needs a score per class"};
  } else {
    classifier = true;
  }

  const EvalResult r = evaluate(options, model, *set, classifier);
  const std::string input_type = data_type_name(input.type);
  if (options.json) {
    nlohmann::json json = {{"model", options.model},
                           {"data", set->source},
                           {"format", set->format},
                           {"samples", r.samples},
                           {"input_type", input_type},
                           {"output", {{"name", output_name(model)}, {"type", data_type_name(output.type)}}},
                           {"task", classifier ? "classifier" : "autoencoder"}};
    if (set->format == "idx") json["split"] = options.split;
    if (classifier) {
      json["classes"] = r.classes;
      json["correct"] = r.correct;
      json["accuracy"] = r.accuracy();
      json["confusion"] = r.confusion;
    } else {
      json["values_per_sample"] = set->samples.sample_elements();
      json["mse"] = r.mse();
    }
    print_report(json_text(json) + "\n");
    return 0;
  }
  std::string text;
  appendf(text, "model %s, %s, output 0 '%s' (%s)\n", printable(options.model).c_str(),
          input_text(model, 0).c_str(), printable(output_name(model)).c_str(), tensor_text(output).c_str());
  const std::string split = set->format == "idx" ? " (" + options.split + " split)" : "";
  appendf(text, "data %s%s: %lld samples\n", printable(set->source).c_str(), split.c_str(),
          static_cast<long long>(r.samples));
  if (input.type != DataType::kFloat32)
    appendf(text, "inputs quantized to %s (scale %g, zero point %d)\n", input_type.c_str(),
            static_cast<double>(input.quant.scale()), static_cast<int>(input.quant.zero_point()));
  if (classifier) {
    appendf(text, "accuracy: %.4f (%lld of %lld correct, %lld classes)\n", r.accuracy(),
            static_cast<long long>(r.correct), static_cast<long long>(r.samples),
            static_cast<long long>(r.classes));
    if (r.classes <= kMaxPrintedClasses)
      text += confusion_text(r);
    else
      appendf(text, "confusion matrix: %lld classes, too wide to print (see --json)\n",
              static_cast<long long>(r.classes));
  } else {
    appendf(text, "mse: %.6g (mean squared reconstruction error over %lld samples x %lld values)\n", r.mse(),
            static_cast<long long>(r.samples), static_cast<long long>(set->samples.sample_elements()));
  }
  print_report(text);
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Evaluate a model on a dataset: top-1 accuracy and a confusion matrix, or reconstruction MSE");
  cmd->add_option("model", options->model, ".tflite model (float or integer inputs)")->required();
  cmd->add_option(
         "--data", options->data,
         "a directory of IDX files (train-/t10k-images-idx3-ubyte[.gz] and -labels-idx1-ubyte[.gz], "
         "pixels / 255), a .npy of float32 samples (labels: --labels, or NAME_labels.npy beside it), "
         "or a .csv (label, then the values, per line)")
      ->required();
  options->split_option =
      cmd->add_option("--split", options->split, "IDX directories: test (default, t10k-*) or train");
  options->limit_option = cmd->add_option("--limit", options->limit, "evaluate the first N samples only");
  cmd->add_option("--labels", options->labels, "integer .npy of labels for .npy samples ([N] or [N,1])");
  cmd->add_flag("--autoencoder", options->autoencoder,
                "report the reconstruction MSE even with labels (default when the output is shaped like the "
                "input, or the data has no labels)");
  cmd->add_flag("--json", options->json, "print the report as JSON");
  return {cmd, [options] { return eval(*options); }};
}

}  // namespace edgeinfer::cli
