// Tensor-by-tensor comparison of one run with TensorFlow Lite Micro's, to find the first op that departs.
// Host only (C++20).
//
// A golden dir (shared/golden/tflm-tensors/STEM.seed12345/) holds every tensor TFLM computed in one invoke:
//   tensors.tsv  tab-separated, no header: index, name, type (INT8, FLOAT32, ...), shape, the op that writes
//                it (-1: a model input, -2: a state tensor, dumped after the invoke), size in bytes
//   tNNN.bin     tensor NNN's raw bytes (t007.bin, t254.bin, t1234.bin)
//   skipped.tsv  optional: index, name, ... of tensors TFLM gives no storage (LSTM intermediates)
//
// capture_run() runs a model once on `--fill lcg:SEED` inputs and copies every op's outputs right after that
// op (activation memory is reused, so later is too late), state tensors after the invoke; compare_run()
// compares them with the golden set per op, in execution order.
//
//   std::string error;
//   auto report = host::compare_with_golden(model, resolver, "golden/tflm-tensors/x.seed12345", 12345,
//   &error); if (report && !report->matches()) puts(host::describe_first_departure(*report).c_str());
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer::host {

// ---- Golden tensors ----

struct GoldenTensor {
  int index = -1;
  std::string name;
  std::string type;  // as written: "INT8", "FLOAT32", ...
  std::string shape;
  int writer = -1;  // op index; -1 model input, -2 state tensor
  size_t bytes = 0;
  int line = 0;  // in tensors.tsv, for messages
};

struct GoldenSet {
  std::filesystem::path dir;
  std::map<int, GoldenTensor> tensors;
  std::map<int, std::string> skipped;  // tensor index -> name (no storage in TFLM)

  // tNNN.bin, checked against the size tensors.tsv gives.
  std::optional<std::vector<uint8_t>> read(int tensor_index, std::string* error) const;
};

// Parses tensors.tsv and skipped.tsv; tNNN.bin files are read when compared. Errors are one line naming the
// file and line.
std::optional<GoldenSet> load_golden_dir(const std::filesystem::path& dir, std::string* error);

// "t007.bin" for tensor 7.
std::string golden_tensor_file(int tensor_index);

// ---- Capturing our run ----

struct CapturedRun {
  // Tensor index -> bytes: model inputs as filled, op outputs and intermediates right after their op, state
  // tensors after the invoke. Tensors without storage are absent.
  std::map<int, std::vector<uint8_t>> tensors;
};

// Runs `model` once (first invoke after allocation, in exactly the arena it needs) on inputs filled by the
// LCG from `seed`.
Status capture_run(const Model& model, const OpResolver& resolver, uint32_t seed, CapturedRun* run);

// Writes `run` as a golden dir (tensors.tsv, tNNN.bin, an empty skipped.tsv): our own run as a reference,
// e.g. to compare kernels or builds with each other.
bool write_golden_dir(const Model& model, const CapturedRun& run, const std::filesystem::path& dir,
                      std::string* error);

// ---- Comparing ----

// One value in a tensor's element type: integers exactly, floats as double.
struct Scalar {
  enum class Kind { kSigned, kUnsigned, kFloat } kind = Kind::kSigned;
  int64_t s = 0;
  uint64_t u = 0;
  double f = 0;
  std::string text() const;
};

enum class TensorRole { kInput, kOutput, kIntermediate, kState };
enum class TensorOutcome {
  kMatch,
  kDiffer,
  kNotInGolden,  // TFLM's dump does not list it: not a failure
  kSkipped,      // skipped.tsv: no storage in TFLM, not a failure
  kNotCaptured,  // the golden has it, our run has no storage for it: counts as a departure
};

const char* tensor_role_name(TensorRole role);
const char* tensor_outcome_name(TensorOutcome outcome);

struct TensorComparison {
  int tensor = -1;
  std::string name;
  DataType type = DataType::kFloat32;
  std::string shape;  // "[1,1280]"
  TensorRole role = TensorRole::kOutput;
  TensorOutcome outcome = TensorOutcome::kMatch;
  // Compared values (bytes for element types without arithmetic, e.g. complex64, string).
  int64_t values = 0;
  int64_t differing = 0;
  int64_t first_index = -1;  // first differing value
  Scalar max_abs_diff;       // in the element type: |a - b| (inf when a NaN differs)
  Scalar ours_first, golden_first;

  bool departs() const { return outcome == TensorOutcome::kDiffer || outcome == TensorOutcome::kNotCaptured; }
};

struct OpComparison {
  int op = -1;  // -1: the model inputs
  std::string op_name;
  std::vector<TensorComparison> tensors;  // outputs, intermediates, then state tensors it last updates

  bool departs() const;
};

struct CompareReport {
  int num_ops = 0;
  std::vector<OpComparison> ops;  // the model inputs, then every op in execution order
  int tensors_compared = 0;
  int tensors_differing = 0;  // kDiffer and kNotCaptured
  int not_in_golden = 0;
  int skipped = 0;
  int ops_departing = 0;

  bool matches() const { return tensors_differing == 0; }
  // Null when everything matches.
  const OpComparison* first_departure() const;
};

// Compares captured tensors with the golden set. Fails, naming the tsv line, when the golden set does not fit
// the model (tensor index, type, size or writing op): a dir of another model.
std::optional<CompareReport> compare_run(const Model& model, const CapturedRun& run, const GoldenSet& golden,
                                         std::string* error);

// load_golden_dir + capture_run + compare_run.
std::optional<CompareReport> compare_with_golden(const Model& model, const OpResolver& resolver,
                                                 const std::filesystem::path& golden_dir, uint32_t seed,
                                                 std::string* error);

// One line: "first departs at op 81 (MEAN): tensor 254 'x', 532 of 1280 values differ, max |diff| 1, first
// at [17]: ours 3, TFLM 4", or "all 170 tensors match TFLM's (...)".
std::string describe_first_departure(const CompareReport& report);
// A summary line, then one line per tensor of every op (`all`) or of the first departing op.
std::string format_report(const CompareReport& report, bool all);

}  // namespace edgeinfer::host
