#include "compiler/tensor_compare.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <type_traits>

#include "compiler/host_runner.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer::host {
namespace {

template <class T>
bool parse_integer(const std::string& text, T* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// Lines without their "\r\n" or "\n"; a final empty line (trailing newline) is dropped.
std::vector<std::string> lines_of(const std::vector<uint8_t>& bytes) {
  std::vector<std::string> lines = split(std::string(bytes.begin(), bytes.end()), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (auto& line : lines)
    if (!line.empty() && line.back() == '\r') line.pop_back();
  return lines;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string shape_text(const Shape& shape) {
  char text[96];
  shape.format(text, sizeof(text));
  return text;
}

// ---- Element comparison ----

template <class T>
Scalar scalar_of(T value) {
  Scalar s;
  if constexpr (std::is_floating_point_v<T>) {
    s.kind = Scalar::Kind::kFloat;
    s.f = static_cast<double>(value);
  } else if constexpr (std::is_signed_v<T>) {
    s.kind = Scalar::Kind::kSigned;
    s.s = static_cast<int64_t>(value);
  } else {
    s.kind = Scalar::Kind::kUnsigned;
    s.u = static_cast<uint64_t>(value);
  }
  return s;
}

// Compares bit patterns (so a NaN matches itself and -0 differs from +0, as byte-exactness demands); the
// difference is measured in the element type.
template <class T>
void compare_values(const uint8_t* ours, const uint8_t* golden, size_t bytes, TensorComparison* result) {
  const int64_t count = static_cast<int64_t>(bytes / sizeof(T));
  result->values = count;
  result->max_abs_diff = scalar_of<std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>>(0);
  for (int64_t i = 0; i < count; ++i) {
    if (std::memcmp(ours + i * sizeof(T), golden + i * sizeof(T), sizeof(T)) == 0) continue;
    T a, b;
    std::memcpy(&a, ours + i * sizeof(T), sizeof(T));
    std::memcpy(&b, golden + i * sizeof(T), sizeof(T));
    if (result->differing++ == 0) {
      result->first_index = i;
      result->ours_first = scalar_of(a);
      result->golden_first = scalar_of(b);
    }
    if constexpr (std::is_floating_point_v<T>) {
      const double diff = std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::infinity()
                                                         : std::fabs(static_cast<double>(a) - b);
      result->max_abs_diff.f = std::max(result->max_abs_diff.f, diff);
    } else {
      // Unsigned wrap-around gives |a - b| exactly, even for int64 extremes.
      const uint64_t diff = a > b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                                  : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
      result->max_abs_diff.u = std::max(result->max_abs_diff.u, diff);
    }
  }
}

void compare_bytes(DataType type, const std::vector<uint8_t>& ours, const std::vector<uint8_t>& golden,
                   TensorComparison* result) {
  const uint8_t* a = ours.data();
  const uint8_t* b = golden.data();
  const size_t n = ours.size();
  switch (type) {
    case DataType::kInt8: compare_values<int8_t>(a, b, n, result); break;
    case DataType::kUInt8:
    case DataType::kBool: compare_values<uint8_t>(a, b, n, result); break;
    case DataType::kInt16: compare_values<int16_t>(a, b, n, result); break;
    case DataType::kUInt16: compare_values<uint16_t>(a, b, n, result); break;
    case DataType::kInt32: compare_values<int32_t>(a, b, n, result); break;
    case DataType::kUInt32: compare_values<uint32_t>(a, b, n, result); break;
    case DataType::kInt64: compare_values<int64_t>(a, b, n, result); break;
    case DataType::kUInt64: compare_values<uint64_t>(a, b, n, result); break;
    case DataType::kFloat32: compare_values<float>(a, b, n, result); break;
    case DataType::kFloat64: compare_values<double>(a, b, n, result); break;
    default: compare_values<uint8_t>(a, b, n, result); break;  // no arithmetic: byte by byte
  }
  result->outcome = result->differing == 0 ? TensorOutcome::kMatch : TensorOutcome::kDiffer;
}

// ---- Capture ----

// Copies each op's outputs and intermediates as soon as its eval() returns.
class CaptureObserver final : public OpObserver {
 public:
  CaptureObserver(const Interpreter& interpreter, CapturedRun* run) : interpreter_(interpreter), run_(run) {}
  void on_op_begin(int) override {}
  void on_op_end(int op_index, const Status& status) override {
    if (!status.is_ok()) return;
    const tflite::Operator* op = interpreter_.model().op(op_index);
    for (int32_t t : *op->outputs()) capture(t);
    if (op->intermediates())
      for (int32_t t : *op->intermediates()) capture(t);
  }
  void capture(int t) {
    if (t < 0 || interpreter_.model().tensor_is_variable(t)) return;  // state: after the invoke
    const Tensor tensor = interpreter_.tensor(t);
    if (tensor.data == nullptr || tensor.is_constant) return;
    const uint8_t* data = static_cast<const uint8_t*>(tensor.data);
    run_->tensors[t].assign(data, data + tensor.bytes);
  }

 private:
  const Interpreter& interpreter_;
  CapturedRun* run_;
};

std::string line_prefix(const std::filesystem::path& file, int line) {
  return file.string() + " line " + std::to_string(line) + ": ";
}

// Whether the golden set's idea of who writes `t` fits the model.
bool writer_fits(const Model& model, int t, int writer, std::string* model_writer) {
  for (int i = 0; i < model.num_inputs(); ++i)
    if (model.input_tensor_index(i) == t) {
      *model_writer = "it is a model input";
      return writer == -1;
    }
  if (model.tensor_is_variable(t)) {
    *model_writer = "it is a state tensor";
    return writer == -2;
  }
  for (int o = 0; o < model.num_ops(); ++o)
    for (const auto* list : {model.op(o)->outputs(), model.op(o)->intermediates()})
      if (list && std::find(list->begin(), list->end(), t) != list->end()) {
        *model_writer = "op " + std::to_string(o) + " (" + model.op_name(o) + ") writes it";
        return writer == o;
      }
  *model_writer = "no op writes it";
  return false;
}

}  // namespace

std::string golden_tensor_file(int tensor_index) {
  char name[32];
  std::snprintf(name, sizeof(name), "t%03d.bin", tensor_index);
  return name;
}

std::optional<std::vector<uint8_t>> GoldenSet::read(int tensor_index, std::string* error) const {
  const auto it = tensors.find(tensor_index);
  if (it == tensors.end()) {
    *error = (dir / "tensors.tsv").string() + ": does not list tensor " + std::to_string(tensor_index);
    return std::nullopt;
  }
  const std::filesystem::path path = dir / golden_tensor_file(tensor_index);
  auto bytes = read_file(path.string(), error);
  if (bytes && bytes->size() != it->second.bytes) {
    *error = path.string() + ": " + std::to_string(bytes->size()) + " bytes, tensors.tsv line " +
             std::to_string(it->second.line) + " says " + std::to_string(it->second.bytes);
    return std::nullopt;
  }
  return bytes;
}

bool write_golden_dir(const Model& model, const CapturedRun& run, const std::filesystem::path& dir,
                      std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = dir.string() + ": cannot create: " + ec.message();
    return false;
  }
  std::map<int, int> writer;
  for (int o = 0; o < model.num_ops(); ++o)
    for (const auto* list : {model.op(o)->outputs(), model.op(o)->intermediates()})
      if (list)
        for (int32_t t : *list)
          if (t >= 0) writer[t] = o;
  for (int i = 0; i < model.num_inputs(); ++i) writer[model.input_tensor_index(i)] = -1;
  std::string tsv;
  for (const auto& [t, bytes] : run.tensors) {
    const Tensor tensor = model.tensor(t);
    const int op = model.tensor_is_variable(t) ? -2 : writer.count(t) ? writer[t] : -1;
    std::string type = data_type_name(tensor.type);
    for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // The name is only shown: a tab or line break in it would break the line, so it becomes a space.
    std::string name = tensor.name ? tensor.name : "";
    for (char& c : name)
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    tsv += std::to_string(t) + "\t" + name + "\t" + type + "\t" + shape_text(tensor.shape) + "\t" +
           std::to_string(op) + "\t" + std::to_string(bytes.size()) + "\n";
    std::ofstream out(dir / golden_tensor_file(t), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      *error = (dir / golden_tensor_file(t)).string() + ": cannot write";
      return false;
    }
  }
  for (const char* name : {"tensors.tsv", "skipped.tsv"}) {
    std::ofstream out(dir / name, std::ios::binary);
    if (std::string(name) == "tensors.tsv") out << tsv;
    if (!out) {
      *error = (dir / name).string() + ": cannot write";
      return false;
    }
  }
  return true;
}

std::optional<GoldenSet> load_golden_dir(const std::filesystem::path& dir, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    *error = dir.string() + (std::filesystem::exists(dir, ec) ? ": not a directory" : ": no such directory");
    return std::nullopt;
  }
  GoldenSet golden;
  golden.dir = dir;
  const std::filesystem::path tensors_path = dir / "tensors.tsv";
  auto tensors_bytes = read_file(tensors_path.string(), error);
  if (!tensors_bytes) return std::nullopt;
  const std::vector<std::string> lines = lines_of(*tensors_bytes);
  if (lines.empty()) {
    *error = tensors_path.string() + ": empty (expected one line per tensor)";
    return std::nullopt;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line = static_cast<int>(i + 1);
    const std::vector<std::string> fields = split(lines[i], '\t');
    if (fields.size() != 6) {
      *error = line_prefix(tensors_path, line) +
               "expected 6 tab-separated fields (index, name, type, shape, " + "writer op, size), got " +
               std::to_string(fields.size());
      return std::nullopt;
    }
    GoldenTensor tensor;
    tensor.line = line;
    tensor.name = fields[1];
    tensor.type = fields[2];
    tensor.shape = fields[3];
    if (!parse_integer(fields[0], &tensor.index) || tensor.index < 0) {
      *error =
          line_prefix(tensors_path, line) + "tensor index '" + fields[0] + "' is not a non-negative integer";
      return std::nullopt;
    }
    if (!parse_integer(fields[4], &tensor.writer) || tensor.writer < -2) {
      *error = line_prefix(tensors_path, line) + "writer op '" + fields[4] +
               "' is not an op index, -1 (model input) or -2 (state)";
      return std::nullopt;
    }
    if (!parse_integer(fields[5], &tensor.bytes)) {
      *error = line_prefix(tensors_path, line) + "size '" + fields[5] + "' is not a byte count";
      return std::nullopt;
    }
    if (!golden.tensors.emplace(tensor.index, tensor).second) {
      *error = line_prefix(tensors_path, line) + "tensor " + fields[0] + " is listed twice";
      return std::nullopt;
    }
  }
  // Optional: models without LSTM intermediates may come without it.
  const std::filesystem::path skipped_path = dir / "skipped.tsv";
  if (std::filesystem::exists(skipped_path, ec)) {
    auto skipped_bytes = read_file(skipped_path.string(), error);
    if (!skipped_bytes) return std::nullopt;
    const std::vector<std::string> skipped_lines = lines_of(*skipped_bytes);
    for (size_t i = 0; i < skipped_lines.size(); ++i) {
      const std::vector<std::string> fields = split(skipped_lines[i], '\t');
      int index = -1;
      if (!parse_integer(fields[0], &index) || index < 0) {
        *error = line_prefix(skipped_path, static_cast<int>(i + 1)) + "tensor index '" + fields[0] +
                 "' is not a non-negative integer";
        return std::nullopt;
      }
      if (golden.tensors.count(index)) {
        *error = line_prefix(skipped_path, static_cast<int>(i + 1)) + "tensor " + fields[0] +
                 " is also in tensors.tsv";
        return std::nullopt;
      }
      golden.skipped[index] = fields.size() > 1 ? fields[1] : "";
    }
  }
  return golden;
}

Status capture_run(const Model& model, const OpResolver& resolver, uint32_t seed, CapturedRun* run) {
  run->tensors.clear();
  HostInterpreter runner;
  EI_RETURN_IF_ERROR(runner.init(model, resolver));
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    const Tensor input = interpreter.input(i);
    EI_RETURN_IF_ERROR(fill_lcg(input, seed));
    const uint8_t* data = static_cast<const uint8_t*>(input.data);
    run->tensors[input.index].assign(data, data + input.bytes);
  }
  CaptureObserver observer(interpreter, run);
  interpreter.set_observer(&observer);
  const Status status = interpreter.invoke();
  interpreter.set_observer(nullptr);
  EI_RETURN_IF_ERROR(status);
  for (int t = 0; t < model.num_tensors(); ++t) {
    if (!model.tensor_is_variable(t)) continue;
    const Tensor state = interpreter.tensor(t);
    if (state.data == nullptr) continue;
    const uint8_t* data = static_cast<const uint8_t*>(state.data);
    run->tensors[t].assign(data, data + state.bytes);
  }
  return Status::ok();
}

std::string Scalar::text() const {
  char buffer[64];
  switch (kind) {
    case Kind::kSigned: std::snprintf(buffer, sizeof(buffer), "%" PRId64, s); break;
    case Kind::kUnsigned: std::snprintf(buffer, sizeof(buffer), "%" PRIu64, u); break;
    case Kind::kFloat: std::snprintf(buffer, sizeof(buffer), "%.9g", f); break;
  }
  return buffer;
}

const char* tensor_role_name(TensorRole role) {
  switch (role) {
    case TensorRole::kInput: return "input";
    case TensorRole::kOutput: return "output";
    case TensorRole::kIntermediate: return "intermediate";
    case TensorRole::kState: return "state";
  }
  return "?";
}

const char* tensor_outcome_name(TensorOutcome outcome) {
  switch (outcome) {
    case TensorOutcome::kMatch: return "match";
    case TensorOutcome::kDiffer: return "differ";
    case TensorOutcome::kNotInGolden: return "not_in_golden";
    case TensorOutcome::kSkipped: return "skipped";
    case TensorOutcome::kNotCaptured: return "not_captured";
  }
  return "?";
}

bool OpComparison::departs() const {
  return std::any_of(tensors.begin(), tensors.end(), [](const auto& t) { return t.departs(); });
}

const OpComparison* CompareReport::first_departure() const {
  for (const auto& op : ops)
    if (op.departs()) return &op;
  return nullptr;
}

std::optional<CompareReport> compare_run(const Model& model, const CapturedRun& run, const GoldenSet& golden,
                                         std::string* error) {
  const std::filesystem::path tensors_path = golden.dir / "tensors.tsv";
  for (const auto& [t, entry] : golden.tensors) {
    const std::string where = line_prefix(tensors_path, entry.line) + "tensor " + std::to_string(t);
    if (t >= model.num_tensors()) {
      *error = where + " is not in the model (" + std::to_string(model.num_tensors()) +
               " tensors): a golden dir of another model?";
      return std::nullopt;
    }
    const DataType type = model.tensor(t).type;
    if (lower(entry.type) != data_type_name(type)) {
      *error = where + " has type " + entry.type + ", the model's is " + data_type_name(type);
      return std::nullopt;
    }
    if (entry.bytes != model.tensor_bytes(t)) {
      *error = where + " has " + std::to_string(entry.bytes) + " bytes, the model's " +
               std::to_string(model.tensor_bytes(t));
      return std::nullopt;
    }
    std::string model_writer;
    if (!writer_fits(model, t, entry.writer, &model_writer)) {
      *error =
          where + ": written by op " + std::to_string(entry.writer) + " in the golden, but " + model_writer;
      return std::nullopt;
    }
  }

  CompareReport report;
  report.num_ops = model.num_ops();
  report.ops.resize(static_cast<size_t>(model.num_ops()) + 1);
  report.ops[0].op = -1;
  report.ops[0].op_name = "inputs";
  for (int o = 0; o < model.num_ops(); ++o) {
    report.ops[o + 1].op = o;
    report.ops[o + 1].op_name = model.op_name(o);
  }
  auto compare = [&](int t, TensorRole role, OpComparison* op) -> bool {
    const Tensor tensor = model.tensor(t);
    TensorComparison c;
    c.tensor = t;
    c.name = tensor.name ? tensor.name : "";
    c.type = tensor.type;
    c.shape = shape_text(tensor.shape);
    c.role = role;
    const auto ours = run.tensors.find(t);
    if (golden.skipped.count(t)) {
      c.outcome = TensorOutcome::kSkipped;
    } else if (!golden.tensors.count(t)) {
      c.outcome = TensorOutcome::kNotInGolden;
    } else if (ours == run.tensors.end()) {
      c.outcome = TensorOutcome::kNotCaptured;
    } else {
      auto expected = golden.read(t, error);
      if (!expected) return false;
      if (expected->size() != ours->second.size()) {
        *error = "tensor " + std::to_string(t) + ": our run has " + std::to_string(ours->second.size()) +
                 " bytes, the golden " + std::to_string(expected->size());
        return false;
      }
      compare_bytes(tensor.type, ours->second, *expected, &c);
    }
    op->tensors.push_back(std::move(c));
    return true;
  };

  for (int i = 0; i < model.num_inputs(); ++i)
    if (!compare(model.input_tensor_index(i), TensorRole::kInput, &report.ops[0])) return std::nullopt;
  // A state tensor is final after the last op that uses it: report it there (unused ones with the inputs).
  std::map<int, int> state_owner;
  for (int t = 0; t < model.num_tensors(); ++t)
    if (model.tensor_is_variable(t)) state_owner[t] = -1;
  for (int o = 0; o < model.num_ops(); ++o) {
    const tflite::Operator* op = model.op(o);
    for (const auto* list : {op->inputs(), op->outputs()})
      if (list)
        for (int32_t t : *list)
          if (t >= 0 && model.tensor_is_variable(t)) state_owner[t] = o;
  }
  for (const auto& [t, owner] : state_owner)
    if (owner < 0 && !compare(t, TensorRole::kState, &report.ops[0])) return std::nullopt;
  for (int o = 0; o < model.num_ops(); ++o) {
    const tflite::Operator* op = model.op(o);
    OpComparison* entry = &report.ops[o + 1];
    for (int32_t t : *op->outputs())
      if (t >= 0 && !model.tensor_is_variable(t) && !compare(t, TensorRole::kOutput, entry))
        return std::nullopt;
    if (op->intermediates())
      for (int32_t t : *op->intermediates())
        if (t >= 0 && !model.tensor_is_variable(t) && !compare(t, TensorRole::kIntermediate, entry))
          return std::nullopt;
    for (const auto& [t, owner] : state_owner)
      if (owner == o && !compare(t, TensorRole::kState, entry)) return std::nullopt;
  }

  for (const auto& op : report.ops) {
    for (const auto& t : op.tensors) {
      switch (t.outcome) {
        case TensorOutcome::kMatch: ++report.tensors_compared; break;
        case TensorOutcome::kDiffer: ++report.tensors_compared; [[fallthrough]];
        case TensorOutcome::kNotCaptured: ++report.tensors_differing; break;
        case TensorOutcome::kNotInGolden: ++report.not_in_golden; break;
        case TensorOutcome::kSkipped: ++report.skipped; break;
      }
    }
    if (op.departs()) ++report.ops_departing;
  }
  return report;
}

std::optional<CompareReport> compare_with_golden(const Model& model, const OpResolver& resolver,
                                                 const std::filesystem::path& golden_dir, uint32_t seed,
                                                 std::string* error) {
  auto golden = load_golden_dir(golden_dir, error);
  if (!golden) return std::nullopt;
  CapturedRun run;
  const Status status = capture_run(model, resolver, seed, &run);
  if (!status.is_ok()) {
    *error = status.message();
    return std::nullopt;
  }
  return compare_run(model, run, *golden, error);
}

namespace {

std::string op_label(const OpComparison& op) {
  return op.op < 0 ? std::string("the model inputs")
                   : "op " + std::to_string(op.op) + " (" + op.op_name + ")";
}

std::string tensor_label(const TensorComparison& t) {
  std::string label = t.role == TensorRole::kState ? "state tensor " : "tensor ";
  return label + std::to_string(t.tensor) + " '" + t.name + "'";
}

std::string difference_text(const TensorComparison& t) {
  if (t.outcome == TensorOutcome::kNotCaptured) return "in the golden, but our run has no storage for it";
  return std::to_string(t.differing) + " of " + std::to_string(t.values) + " values differ, max |diff| " +
         t.max_abs_diff.text() + ", first at [" + std::to_string(t.first_index) + "]: ours " +
         t.ours_first.text() + ", TFLM " + t.golden_first.text();
}

std::string outcome_text(const TensorComparison& t) {
  switch (t.outcome) {
    case TensorOutcome::kMatch: return "match (" + std::to_string(t.values) + " values)";
    case TensorOutcome::kNotInGolden: return "not in the golden set";
    case TensorOutcome::kSkipped: return "skipped (no storage in TFLM)";
    default: return "DIFFER: " + difference_text(t);
  }
}

}  // namespace

std::string describe_first_departure(const CompareReport& report) {
  const OpComparison* op = report.first_departure();
  if (op == nullptr) {
    std::string text = "all " + std::to_string(report.tensors_compared) + " tensors match TFLM's";
    if (report.not_in_golden || report.skipped)
      text += " (" + std::to_string(report.not_in_golden) + " not in the golden set, " +
              std::to_string(report.skipped) + " skipped)";
    return text;
  }
  const auto departing =
      std::count_if(op->tensors.begin(), op->tensors.end(), [](auto& t) { return t.departs(); });
  const auto first =
      std::find_if(op->tensors.begin(), op->tensors.end(), [](auto& t) { return t.departs(); });
  std::string text =
      "first departs at " + op_label(*op) + ": " + tensor_label(*first) + ", " + difference_text(*first);
  if (departing > 1) text += " (and " + std::to_string(departing - 1) + " more tensors of this op)";
  return text;
}

std::string format_report(const CompareReport& report, bool all) {
  std::string text = "compared " + std::to_string(report.tensors_compared) + " tensors of " +
                     std::to_string(report.num_ops) +
                     " ops with TFLM's: " + std::to_string(report.tensors_differing) + " differ in " +
                     std::to_string(report.ops_departing) + " ops, " + std::to_string(report.not_in_golden) +
                     " not in the golden set, " + std::to_string(report.skipped) + " skipped\n";
  text += describe_first_departure(report) + "\n";
  const OpComparison* first = report.first_departure();
  for (const auto& op : report.ops) {
    if (!all && &op != first) continue;
    for (const auto& t : op.tensors) {
      char head[64];
      std::snprintf(head, sizeof(head), "op %3d %-20s ", op.op, op.op_name.c_str());
      text += head + tensor_label(t) + " " + data_type_name(t.type) + " " + t.shape + ": " + outcome_text(t) +
              "\n";
    }
  }
  return text;
}

}  // namespace edgeinfer::host
