#include "compiler/model_compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "compiler/host_runner.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer::host {
namespace {

// Element types compared: floats, and integers dequantized (raw values when not quantized).
bool comparable(DataType type) {
  switch (type) {
    case DataType::kFloat32:
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64: return true;
    default: return false;
  }
}

// Inputs the float samples can be written to (Tensor::set_from_float).
bool takes_float(const Tensor& input) {
  if (input.type == DataType::kFloat32) return true;
  const bool integer =
      input.type == DataType::kInt8 || input.type == DataType::kInt16 || input.type == DataType::kUInt8;
  return integer && input.quant.is_quantized() && !input.quant.is_per_channel();
}

// The tensor's values as real numbers; false for types comparable() refuses and per-channel quantization
// (which no activation uses).
bool dequantize(const Tensor& tensor, std::vector<double>* out) {
  const int64_t count = tensor.num_elements();
  out->clear();
  if (!comparable(tensor.type) || tensor.quant.is_per_channel()) return false;
  if (count == 0) return true;
  if (tensor.data == nullptr) return false;
  const bool quantized = tensor.type != DataType::kFloat32 && tensor.quant.is_quantized();
  const double scale = quantized ? tensor.quant.scale() : 1.0;
  const double zero_point = quantized ? tensor.quant.zero_point() : 0.0;
  out->resize(static_cast<size_t>(count));
  auto convert = [&](const auto* values) {
    for (int64_t i = 0; i < count; ++i) (*out)[i] = (static_cast<double>(values[i]) - zero_point) * scale;
  };
  switch (tensor.type) {
    case DataType::kFloat32:
      for (int64_t i = 0; i < count; ++i) (*out)[i] = tensor.data_as<float>()[i];
      break;
    case DataType::kInt8: convert(tensor.data_as<int8_t>()); break;
    case DataType::kUInt8: convert(tensor.data_as<uint8_t>()); break;
    case DataType::kInt16: convert(tensor.data_as<int16_t>()); break;
    case DataType::kInt32: convert(tensor.data_as<int32_t>()); break;
    case DataType::kInt64: convert(tensor.data_as<int64_t>()); break;
    default: return false;
  }
  return true;
}

// Whole (flatbuffers strings may hold NUL bytes), or empty when absent.
std::string tensor_name(const Model& model, int t) {
  const flatbuffers::String* name = model.subgraph()->tensors()->Get(t)->name();
  return name ? std::string(name->c_str(), name->size()) : std::string();
}

std::string shape_text(const Shape& shape) {
  char text[96];
  shape.format(text, sizeof(text));
  return text;
}

// Copies the wanted outputs of each op right after it runs: later ops may reuse their memory.
class LayerCapture final : public OpObserver {
 public:
  LayerCapture(const Interpreter& interpreter, const std::map<int, std::vector<int>>& wanted)
      : interpreter_(interpreter), wanted_(wanted) {}
  void on_op_begin(int) override {}
  void on_op_end(int op_index, const Status& status) override {
    if (!status.is_ok()) return;
    const auto it = wanted_.find(op_index);
    if (it == wanted_.end()) return;
    for (int t : it->second) dequantize(interpreter_.tensor(t), &values[t]);
  }
  std::map<int, std::vector<double>> values;  // tensor index -> values of this invoke

 private:
  const Interpreter& interpreter_;
  const std::map<int, std::vector<int>>& wanted_;
};

// A tensor the op wrote, by name or position in the test model.
struct TestTensor {
  int op = -1;
  int tensor = -1;
};

// The compared tensors: model inputs (by index), then every op output of the reference, matched by name
// (unique in the test model) first, then by op index and output slot; element counts must agree.
std::vector<LayerComparison> plan_layers(const Model& reference, const Model& test) {
  std::vector<LayerComparison> rows;
  auto fits = [&](int t, int u) {
    const Tensor a = reference.tensor(t), b = test.tensor(u);
    return comparable(a.type) && comparable(b.type) && a.num_elements() == b.num_elements();
  };
  auto type_text = [&](int t, int u) {
    const DataType a = reference.tensor(t).type, b = test.tensor(u).type;
    return a == b ? std::string(data_type_name(a))
                  : std::string(data_type_name(a)) + " -> " + data_type_name(b);
  };
  for (int i = 0; i < reference.num_inputs(); ++i) {
    LayerComparison row;
    row.slot = i;
    row.op_name = "input";
    row.tensor = reference.input_tensor_index(i);
    row.name = tensor_name(reference, row.tensor);
    row.values = reference.tensor(row.tensor).num_elements();
    row.type = data_type_name(reference.tensor(row.tensor).type);
    const int u = test.input_tensor_index(i);
    if (fits(row.tensor, u)) {
      row.test_tensor = u;
      row.matched_by = "input";
      row.type = type_text(row.tensor, u);
    }
    rows.push_back(row);
  }
  std::map<std::string, std::vector<TestTensor>> by_name;
  for (int o = 0; o < test.num_ops(); ++o)
    for (int32_t u : *test.op(o)->outputs())
      if (u >= 0) by_name[tensor_name(test, u)].push_back({o, u});
  for (int o = 0; o < reference.num_ops(); ++o) {
    const auto* outputs = reference.op(o)->outputs();
    for (int s = 0; s < static_cast<int>(outputs->size()); ++s) {
      const int t = outputs->Get(s);
      if (t < 0 || !comparable(reference.tensor(t).type)) continue;
      LayerComparison row;
      row.op = o;
      row.slot = s;
      row.op_name = reference.op_name(o);
      row.tensor = t;
      row.name = tensor_name(reference, t);
      row.values = reference.tensor(t).num_elements();
      row.type = data_type_name(reference.tensor(t).type);
      TestTensor match;
      const auto named = by_name.find(row.name);
      if (!row.name.empty() && named != by_name.end() && named->second.size() == 1 &&
          fits(t, named->second[0].tensor)) {
        match = named->second[0];
        row.matched_by = "name";
      } else if (o < test.num_ops() && s < static_cast<int>(test.op(o)->outputs()->size()) &&
                 test.op(o)->outputs()->Get(s) >= 0 && fits(t, test.op(o)->outputs()->Get(s))) {
        match = {o, test.op(o)->outputs()->Get(s)};
        row.matched_by = "position";
      }
      if (match.tensor >= 0) {
        row.test_op = match.op;
        row.test_tensor = match.tensor;
        row.type = type_text(t, match.tensor);
      }
      rows.push_back(row);
    }
  }
  return rows;
}

// The op row whose SNR drops most below the lowest SNR of its compared inputs.
void find_error_entry(const Model& reference, ModelCompareReport* report) {
  std::map<int, double> snr_of_tensor;
  for (const LayerComparison& row : report->layers)
    if (row.test_tensor >= 0) snr_of_tensor[row.tensor] = row.stats.snr_db();
  for (size_t r = 0; r < report->layers.size(); ++r) {
    const LayerComparison& row = report->layers[r];
    if (row.op < 0 || row.test_tensor < 0) continue;
    double before = kSnrCapDb;
    if (const auto* inputs = reference.op(row.op)->inputs())
      for (int32_t t : *inputs) {
        const auto it = snr_of_tensor.find(t);
        if (it != snr_of_tensor.end()) before = std::min(before, it->second);
      }
    const double drop = before - row.stats.snr_db();
    if (drop > report->error_enters_drop_db) {
      report->error_enters_drop_db = drop;
      report->error_enters_at = static_cast<int>(r);
    }
  }
}

// Top-1 over the last dimension of `shape`, row by row.
void count_top1(const Shape& shape, const std::vector<double>& reference, const std::vector<double>& test,
                OutputComparison* output) {
  const int64_t last = shape.rank > 0 ? shape.dim_from_end(1) : 1;
  if (last <= 1) return;
  for (size_t begin = 0; begin + last <= reference.size(); begin += last) {
    const auto a = std::max_element(reference.begin() + begin, reference.begin() + begin + last);
    const auto b = std::max_element(test.begin() + begin, test.begin() + begin + last);
    ++output->top1_rows;
    if (a - reference.begin() == b - test.begin()) ++output->top1_agreeing;
  }
}

// Accumulates one tensor's values; false when a value is not finite.
bool accumulate(const std::vector<double>& reference, const std::vector<double>& test, ErrorStats* stats,
                std::string* which) {
  for (size_t i = 0; i < reference.size(); ++i) {
    if (!std::isfinite(reference[i]) || !std::isfinite(test[i])) {
      *which = std::isfinite(reference[i]) ? "test" : "reference";
      return false;
    }
    stats->add(reference[i], test[i]);
  }
  return true;
}

}  // namespace

void ErrorStats::add(double reference, double test) {
  const double difference = reference - test;
  signal += reference * reference;
  noise += difference * difference;
  max_abs_error = std::max(max_abs_error, std::fabs(difference));
  ++values;
}

void ErrorStats::merge(const ErrorStats& other) {
  signal += other.signal;
  noise += other.noise;
  max_abs_error = std::max(max_abs_error, other.max_abs_error);
  values += other.values;
}

double ErrorStats::snr_db() const {
  if (noise == 0) return kSnrCapDb;
  if (signal == 0) return -kSnrCapDb;
  return std::clamp(10.0 * std::log10(signal / noise), -kSnrCapDb, kSnrCapDb);
}

std::optional<double> OutputComparison::top1_agreement() const {
  if (top1_rows == 0) return std::nullopt;
  return static_cast<double>(top1_agreeing) / static_cast<double>(top1_rows);
}

std::optional<double> ModelCompareReport::top1_agreement() const {
  if (top1_rows == 0) return std::nullopt;
  return static_cast<double>(top1_agreeing) / static_cast<double>(top1_rows);
}

bool check_models_fit(const Model& reference, const Model& test, const ModelCompareOptions& options,
                      std::string* error) {
  const std::string& a = options.reference_label;
  const std::string& b = options.test_label;
  auto fail = [&](const std::string& message) {
    *error = message;
    return false;
  };
  if (reference.num_inputs() != test.num_inputs())
    return fail("the models have different input counts: " + std::to_string(reference.num_inputs()) + " in " +
                a + ", " + std::to_string(test.num_inputs()) + " in " + b);
  if (reference.num_outputs() != test.num_outputs())
    return fail("the models have different output counts: " + std::to_string(reference.num_outputs()) +
                " in " + a + ", " + std::to_string(test.num_outputs()) + " in " + b);
  for (const char* kind : {"input", "output"}) {
    const bool inputs = kind[0] == 'i';
    for (int i = 0; i < (inputs ? reference.num_inputs() : reference.num_outputs()); ++i) {
      const Tensor x =
          reference.tensor(inputs ? reference.input_tensor_index(i) : reference.output_tensor_index(i));
      const Tensor y = test.tensor(inputs ? test.input_tensor_index(i) : test.output_tensor_index(i));
      if (x.num_elements() != y.num_elements())
        return fail(std::string(kind) + " " + std::to_string(i) + " has " + std::to_string(x.num_elements()) +
                    " values " + shape_text(x.shape) + " in " + a + ", " + std::to_string(y.num_elements()) +
                    " " + shape_text(y.shape) + " in " + b);
      for (const auto& [tensor, label] : {std::pair{&x, &a}, std::pair{&y, &b}}) {
        const std::string which = std::string(kind) + " " + std::to_string(i) + " of " + *label + " is " +
                                  data_type_name(tensor->type);
        if (!inputs && !comparable(tensor->type))
          return fail(which + ": only numeric outputs can be compared");
        if (inputs && !takes_float(*tensor))
          return fail(
              which + (tensor->quant.is_quantized() ? "" : " without quantization") +
              ": samples are floats, for float32 inputs or int8, int16, uint8 inputs quantized per tensor");
      }
    }
  }
  return true;
}

std::optional<ModelCompareReport> compare_models(const Model& reference, const Model& test,
                                                 const FloatSamples& samples,
                                                 const ModelCompareOptions& options, std::string* error) {
  const std::string& a = options.reference_label;
  const std::string& b = options.test_label;
  auto fail = [&](const std::string& message) {
    *error = message;
    return std::nullopt;
  };
  if (!check_models_fit(reference, test, options, error)) return std::nullopt;
  if (samples.empty()) return fail("no samples to compare on");
  for (size_t s = 0; s < samples.size(); ++s) {
    if (static_cast<int>(samples[s].size()) != reference.num_inputs())
      return fail("sample " + std::to_string(s) + " has " + std::to_string(samples[s].size()) +
                  " inputs, the models have " + std::to_string(reference.num_inputs()));
    for (int i = 0; i < reference.num_inputs(); ++i) {
      const int64_t needed = reference.tensor(reference.input_tensor_index(i)).num_elements();
      if (static_cast<int64_t>(samples[s][i].size()) != needed)
        return fail("sample " + std::to_string(s) + " input " + std::to_string(i) + " has " +
                    std::to_string(samples[s][i].size()) + " values, the input needs " +
                    std::to_string(needed));
      for (size_t v = 0; v < samples[s][i].size(); ++v)
        if (!std::isfinite(samples[s][i][v]))
          return fail("sample " + std::to_string(s) + " input " + std::to_string(i) + " value " +
                      std::to_string(v) + " is not finite");
    }
  }

  // ---- Interpreters ----
  std::unique_ptr<AllOpsResolver> all_ops;
  const OpResolver* resolver = options.resolver;
  if (resolver == nullptr) resolver = (all_ops = std::make_unique<AllOpsResolver>()).get();
  HostInterpreter runners[2];
  const Model* models[2] = {&reference, &test};
  const std::string* labels[2] = {&a, &b};
  for (int m = 0; m < 2; ++m) {
    Status status = runners[m].init(*models[m], *resolver);
    if (!status.is_ok()) return fail(*labels[m] + ": " + status.message());
  }

  ModelCompareReport report;
  report.samples = static_cast<int64_t>(samples.size());
  for (int o = 0; o < reference.num_outputs(); ++o) {
    OutputComparison output;
    output.output = o;
    output.name = tensor_name(reference, reference.output_tensor_index(o));
    output.test_name = tensor_name(test, test.output_tensor_index(o));
    output.values = reference.tensor(reference.output_tensor_index(o)).num_elements();
    report.outputs.push_back(output);
  }
  std::map<int, std::vector<int>> wanted[2];  // op -> tensors to capture, per model
  if (options.per_layer) {
    report.layers = plan_layers(reference, test);
    for (const LayerComparison& row : report.layers) {
      if (row.op < 0 || row.test_tensor < 0) continue;
      wanted[0][row.op].push_back(row.tensor);
      wanted[1][row.test_op].push_back(row.test_tensor);
    }
  }

  // ---- Runs ----
  for (size_t s = 0; s < samples.size(); ++s) {
    const std::string at_sample = "sample " + std::to_string(s) + ": ";
    std::map<int, std::vector<double>> captured[2];
    std::vector<std::vector<double>> outputs[2];
    for (int m = 0; m < 2; ++m) {
      Interpreter& interpreter = runners[m].interpreter();
      if (!options.carry_state && s > 0) {
        const Status status = interpreter.reset_state();
        if (!status.is_ok()) return fail(*labels[m] + ": " + status.message());
      }
      for (int i = 0; i < interpreter.num_inputs(); ++i) {
        const Tensor input = interpreter.input(i);
        Status status = input.set_from_float(samples[s][i].data(), samples[s][i].size());
        if (!status.is_ok())
          return fail(*labels[m] + " input " + std::to_string(i) + " (" + data_type_name(input.type) +
                      "): " + status.message());
        // Inputs as the model sees them (quantized), before the invoke reuses their memory.
        if (options.per_layer) dequantize(input, &captured[m][input.index]);
      }
      LayerCapture capture(interpreter, wanted[m]);
      if (options.per_layer) interpreter.set_observer(&capture);
      const Status status = interpreter.invoke();
      interpreter.set_observer(nullptr);
      if (!status.is_ok()) return fail(*labels[m] + ": " + at_sample + status.message());
      captured[m].merge(capture.values);
      for (int o = 0; o < interpreter.num_outputs(); ++o) {
        outputs[m].emplace_back();
        if (!dequantize(interpreter.output(o), &outputs[m].back()))
          return fail("output " + std::to_string(o) + " of " + *labels[m] +
                      " cannot be dequantized (per-channel quantization)");
      }
    }
    for (int o = 0; o < reference.num_outputs(); ++o) {
      OutputComparison& output = report.outputs[o];
      std::string which;
      if (!accumulate(outputs[0][o], outputs[1][o], &output.stats, &which))
        return fail(at_sample + "output " + std::to_string(o) + " of " + (which == "test" ? b : a) +
                    " is not finite (NaN or infinity)");
      count_top1(reference.tensor(reference.output_tensor_index(o)).shape, outputs[0][o], outputs[1][o],
                 &output);
    }
    for (LayerComparison& row : report.layers) {
      if (row.test_tensor < 0) continue;
      const auto x = captured[0].find(row.tensor);
      const auto y = captured[1].find(row.test_tensor);
      if (x == captured[0].end() || y == captured[1].end() || x->second.size() != y->second.size()) continue;
      std::string which;
      if (!accumulate(x->second, y->second, &row.stats, &which))
        return fail(at_sample + "tensor " + std::to_string(which == "test" ? row.test_tensor : row.tensor) +
                    " of " + (which == "test" ? b : a) + " is not finite (NaN or infinity)");
    }
  }
  for (const OutputComparison& output : report.outputs) {
    report.overall.merge(output.stats);
    report.top1_rows += output.top1_rows;
    report.top1_agreeing += output.top1_agreeing;
  }
  if (options.per_layer) find_error_entry(reference, &report);
  return report;
}

FloatSamples lcg_float_samples(const std::vector<int64_t>& input_values, int64_t count, uint32_t seed,
                               float low, float high) {
  FloatSamples samples(static_cast<size_t>(count), std::vector<std::vector<float>>(input_values.size()));
  const float width = high - low;
  for (size_t i = 0; i < input_values.size(); ++i) {
    uint32_t x = seed;
    for (auto& sample : samples) {
      sample[i].resize(static_cast<size_t>(input_values[i]));
      for (float& value : sample[i]) {
        x = lcg_next(x);
        value = low + (static_cast<float>(x >> 8) / 16777216.0f) * width;
      }
    }
  }
  return samples;
}

std::optional<FloatRange> quantized_input_range(const Model& model) {
  // The range a quantized tensor represents; nullopt for other tensors.
  auto representable = [](const Tensor& t) -> std::optional<std::pair<float, float>> {
    if (!t.quant.is_quantized() || t.quant.is_per_channel()) return std::nullopt;
    double low, high;
    switch (t.type) {
      case DataType::kInt8: low = -128, high = 127; break;
      case DataType::kUInt8: low = 0, high = 255; break;
      case DataType::kInt16: low = -32768, high = 32767; break;
      default: return std::nullopt;
    }
    const double scale = t.quant.scale(), zero_point = t.quant.zero_point();
    return std::make_pair(static_cast<float>((low - zero_point) * scale),
                          static_cast<float>((high - zero_point) * scale));
  };
  for (int i = 0; i < model.num_inputs(); ++i) {
    const int index = model.input_tensor_index(i);
    if (auto range = representable(model.tensor(index))) return FloatRange{range->first, range->second, i};
    // A float input that a QUANTIZE op turns into integers (a model quantized with float inputs and
    // outputs): what the QUANTIZE's output represents.
    for (int op = 0; op < model.num_ops(); ++op) {
      if (model.op_code(op) != static_cast<int32_t>(BuiltinOp::kQuantize)) continue;
      const auto* inputs = model.op(op)->inputs();
      const auto* outputs = model.op(op)->outputs();
      if (inputs == nullptr || outputs == nullptr || inputs->size() < 1 || outputs->size() < 1 ||
          inputs->Get(0) != index)
        continue;
      if (auto range = representable(model.tensor(outputs->Get(0))))
        return FloatRange{range->first, range->second, i};
    }
  }
  return std::nullopt;
}

}  // namespace edgeinfer::host
