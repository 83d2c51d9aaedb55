// The edgeinfer CLI on malformed input: `inspect`, `inspect --json`, `run --fill lcg:N` (and --stream),
// `export`, `size`, `compare A B` (two models), `quantize`, `train` and `prune` (malformed SPECs, datasets
// and models), `ota` (malformed packages, keys and device state) and `demo vibration` (hostile option values)
// must end every case with exit code 0, or 1 and one escaped
// error line: never an abort, a crash, a sanitizer report or a hang, never an "internal error" (an exception
// the commands did not expect), never a partial report on stdout, and never a file left behind by a failed
// command.
//
// The subcommands run in this process, through the same CLI11 parsing and perform_action() as main(), so
// thousands of cases take seconds (ctest label `robustness`: scripts/test.sh runs them under ASan + UBSan).
// Their stdout is captured per case (JSON must parse, text must be valid UTF-8 without control characters);
// their one-line error is what main() would print.
//
// Inputs, seeded and deterministic: for every builder-made model (tests/robustness/builder_models.h plus
// models here with names, a description and a custom op) and the small real models of ../shared/models,
// truncations, random tails, seeded byte mutations (anywhere, and in the model's strings: tensor names,
// custom op names, description, metadata names) and random buffers; larger real models are only truncated a
// few times. `size` gets mutated linker maps, ELF headers and run logs.
//
// Environment:
//   EDGEINFER_CLI_CASES=N         cases per subcommand (default kDefaultCases)
//   EDGEINFER_ROBUSTNESS_SEED=S   another seed, to explore further
//   EDGEINFER_CASE_TIMEOUT=SEC    a case running longer is reported as a hang (default 60)
//   EDGEINFER_CLI_CASE_LOG=FILE   appends one line per case: test, description, exit code, error
// A crashing or hanging case prints its description; its input files stay in
// $TMPDIR/edgeinfer_cli_robustness_*.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "compiler/train/spec.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tests/ota/ota_test_support.h"
#include "tests/robustness/builder_models.h"
#include "tests/robustness/case_guard.h"
#include "tests/robustness/cli_models.h"
#include "tests/robustness/untrusted_model_runner.h"
#include "tests/support/shared_data.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using robustness::base_seed;
using robustness::env_int;
using robustness::fnv1a;
using robustness::g_case;
using robustness::Rng;
using robustness::Watchdog;
using robustness::write_stderr;

// ---- Settings ---------------------------------------------------------------------------------------------

// Cases per subcommand. Under ASan + UBSan the five tests took 90 s of wall time (30 s of CPU) with
// `ctest -j2` on a 2-core machine shared with other builds, `compare` (added later) 19 s more (10 s of CPU);
// the summary lines give counts and times.
constexpr int kDefaultCases = 2400;
// Real models larger than this are only truncated (kLargeModelTruncations times) and run unmodified once.
constexpr size_t kMutatedModelMaxBytes = 40 << 10;
constexpr int kLargeModelTruncations = 3;
// `run` invokes what it is given, however long that takes: cases whose estimated work (robustness::
// estimate_work plus the input elements the generator fills) exceeds this are not run, so that a valid but
// heavy model is not mistaken for a hang. About a few milliseconds under the sanitizers.
constexpr int64_t kRunWorkLimit = 3'000'000;

int cases_per_command() {
  return env_int("EDGEINFER_CLI_CASES", kDefaultCases);
}

// ---- Crash and hang reporting -----------------------------------------------------------------------------

void report_current_case() {
  if (!g_case.active.load()) return;
  write_stderr("\n*** CLI robustness case in flight: ");
  write_stderr(g_case.description);
  write_stderr("\n");
}

void install_crash_reporter() {
  robustness::install_crash_reporter(report_current_case);
}

// ---- Running a subcommand in this process -----------------------------------------------------------------

struct CliResult {
  int exit_code = -1;
  std::string error;   // the line main() prints on stderr, without its newline
  std::string output;  // stdout
  double seconds = 0;
};

// Captures stdout (fd 1) in a temporary file around each call: the reports are printed there.
class StdoutCapture {
 public:
  StdoutCapture() {
    file_ = std::tmpfile();
    saved_ = dup(1);
  }
  ~StdoutCapture() {
    close(saved_);
    std::fclose(file_);
  }
  void begin() {
    std::fflush(stdout);
    const int fd = fileno(file_);
    if (ftruncate(fd, 0) != 0) std::abort();
    lseek(fd, 0, SEEK_SET);
    dup2(fd, 1);
  }
  std::string end() {
    std::fflush(stdout);
    dup2(saved_, 1);
    const int fd = fileno(file_);
    const off_t size = lseek(fd, 0, SEEK_END);
    std::string text(static_cast<size_t>(size), '\0');
    if (size > 0 && pread(fd, text.data(), text.size(), 0) != size) std::abort();
    return text;
  }

 private:
  std::FILE* file_;
  int saved_;
};

// main() without the process: the same subcommands, CLI11 parsing and perform_action().
CliResult run_cli(const std::vector<std::string>& args, StdoutCapture& capture) {
  CLI::App app{"edgeinfer"};
  app.require_subcommand(1);
  const std::vector<cli::Command> commands = {
      cli::add_export_command(app), cli::add_inspect_command(app), cli::add_run_command(app),
      cli::add_size_command(app),   cli::add_compare_command(app), cli::add_quantize_command(app),
      cli::add_eval_command(app),   cli::add_train_command(app),   cli::add_prune_command(app),
      cli::add_ota_command(app),    cli::add_demo_command(app)};
  std::vector<const char*> argv = {"edgeinfer"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  CliResult result;
  const auto start = std::chrono::steady_clock::now();
  capture.begin();
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    for (const auto& command : commands) {
      if (!command.app->parsed()) continue;
      const cli::ActionOutcome outcome = cli::perform_action(command);
      result.exit_code = outcome.exit_code;
      result.error = outcome.error;
    }
  } catch (const CLI::ParseError& error) {
    result.exit_code = 100;  // the harness built bad arguments
    result.error = std::string("argument parsing failed: ") + error.what();
  }
  result.output = capture.end();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// ---- Checking outcomes ------------------------------------------------------------------------------------

enum class OutputKind { kJson, kText };

std::string first_line(const std::string& text, size_t limit = 200) {
  std::string line = text.substr(0, std::min(text.find('\n'), limit));
  return cli::printable(line);
}

// What every case must satisfy; returns the problem, or empty.
std::string check_result(const CliResult& result, const std::string& command, OutputKind kind) {
  if (result.exit_code != 0 && result.exit_code != 1)
    return "exit code " + std::to_string(result.exit_code) + ": " + result.error;
  if (result.exit_code == 1) {
    const std::string prefix = "edgeinfer " + command + ": error: ";
    if (result.error.rfind(prefix, 0) != 0 || result.error.size() == prefix.size())
      return "error line without the prefix or a message: " + cli::printable(result.error);
    if (result.error.find('\n') != std::string::npos || !cli::is_valid_utf8(result.error))
      return "error is not one line of valid UTF-8: " + cli::printable(result.error);
    for (unsigned char c : result.error)
      if (c < 0x20 || c == 0x7F) return "control character in the error: " + cli::printable(result.error);
    if (result.error.find("internal error") != std::string::npos ||
        result.error.find("out of memory") != std::string::npos)
      return "unexpected exception: " + result.error;
    if (!result.output.empty())
      return "partial report on stdout before the error: " + first_line(result.output);
    return "";
  }
  if (!result.error.empty()) return "exit code 0 with an error: " + result.error;
  if (result.output.empty()) return "exit code 0 without a report";
  if (kind == OutputKind::kJson) {
    const auto json = nlohmann::json::parse(result.output, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object())
      return "report is not a JSON object: " + first_line(result.output);
    for (unsigned char c : result.output)
      if (c >= 0x80) return "JSON report is not ASCII";
  } else {
    if (!cli::is_valid_utf8(result.output))
      return "text report is not valid UTF-8: " + first_line(result.output);
    for (unsigned char c : result.output)
      if ((c < 0x20 && c != '\n') || c == 0x7F) return "control character in the text report";
  }
  return "";
}

// Counts outcomes and keeps the first few failures.
class Tally {
 public:
  explicit Tally(std::string name) : name_(std::move(name)) {}
  void add(const std::string& description, const CliResult& result, const std::string& problem) {
    static std::FILE* const log = [] {
      const char* path = std::getenv("EDGEINFER_CLI_CASE_LOG");
      return path && *path ? std::fopen(path, "a") : nullptr;
    }();
    if (log)
      std::fprintf(log, "%s | %s | %d | %s%s\n", name_.c_str(), description.c_str(), result.exit_code,
                   result.error.c_str(), problem.empty() ? "" : (" | PROBLEM: " + problem).c_str());
    ++cases_;
    (result.exit_code == 0 ? successes_ : errors_)++;
    max_seconds_ = std::max(max_seconds_, result.seconds);
    if (problem.empty()) return;
    ++failures_;
    if (failure_text_.size() < 10) failure_text_.push_back(description + ": " + problem);
  }
  void skip() { ++skipped_; }
  int64_t cases() const { return cases_; }
  int64_t successes() const { return successes_; }
  void finish(double seconds) {
    std::printf("[ cli robustness ] %s: %" PRId64 " cases: %" PRId64 " exit 0, %" PRId64
                " clean one-line errors, %" PRId64 " failures; %" PRId64
                " skipped (too much work to invoke); %.1f s, slowest case %.3f s\n",
                name_.c_str(), cases_, successes_, errors_, failures_, skipped_, seconds, max_seconds_);
    ::testing::Test::RecordProperty("cases", static_cast<int>(cases_));
    ::testing::Test::RecordProperty("clean_errors", static_cast<int>(errors_));
    std::string listing;
    for (const std::string& text : failure_text_) listing += "\n  " + text;
    EXPECT_EQ(failures_, 0) << failures_ << " cases did not end cleanly; the first:" << listing;
  }

 private:
  std::string name_;
  int64_t cases_ = 0, successes_ = 0, errors_ = 0, failures_ = 0, skipped_ = 0;
  double max_seconds_ = 0;
  std::vector<std::string> failure_text_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A fresh directory for one test's files; removed at the end (kept when the process dies).
class WorkDir {
 public:
  explicit WorkDir(const std::string& name) {
    path_ = fs::temp_directory_path() / ("edgeinfer_cli_robustness_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~WorkDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}
void write_file(const fs::path& path, const std::string& text) {
  write_file(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ---- Models -----------------------------------------------------------------------------------------------

struct SourceModel {
  std::string name;
  std::vector<uint8_t> bytes;
  bool mutate = true;  // small enough to mutate many times; otherwise truncated a few times only
  std::vector<std::pair<size_t, size_t>> strings;  // byte ranges of the model's strings
};

void add_range(std::vector<std::pair<size_t, size_t>>& ranges, const uint8_t* base,
               const flatbuffers::String* text) {
  if (text == nullptr || text->size() == 0) return;
  const size_t start = static_cast<size_t>(reinterpret_cast<const uint8_t*>(text->c_str()) - base);
  ranges.push_back({start, start + text->size()});
}

// Where the model's strings are: mutations there test the escaping rather than the verifier.
std::vector<std::pair<size_t, size_t>> string_ranges(const std::vector<uint8_t>& bytes) {
  robustness::ExactBuffer copy(bytes.size());
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  Model model;
  std::vector<std::pair<size_t, size_t>> ranges;
  if (!Model::from_bytes(copy.data(), bytes.size(), &model).is_ok()) return ranges;
  const uint8_t* base = copy.data();
  const tflite::Model* root = model.flatbuffer();
  add_range(ranges, base, root->description());
  if (root->metadata())
    for (const auto* entry : *root->metadata()) add_range(ranges, base, entry->name());
  if (root->operator_codes())
    for (const auto* code : *root->operator_codes()) add_range(ranges, base, code->custom_code());
  add_range(ranges, base, model.subgraph()->name());
  for (const auto* tensor : *model.subgraph()->tensors()) add_range(ranges, base, tensor->name());
  return ranges;
}

std::vector<SourceModel> source_models() {
  std::vector<SourceModel> models;
  for (const auto& [name, build] : robustness::builder_models()) models.push_back({name, build(), true, {}});
  for (const auto& [name, build] : robustness::cli_models()) models.push_back({name, build(), true, {}});
  for (const auto& path : testing::shared_models()) {
    auto bytes = testing::read_bytes(path);
    const bool small = bytes.size() <= kMutatedModelMaxBytes;
    models.push_back(
        {path.parent_path().filename().string() + "/" + path.stem().string(), std::move(bytes), small, {}});
  }
  for (auto& model : models) model.strings = string_ranges(model.bytes);
  return models;
}

const std::vector<SourceModel>& all_source_models() {
  static const std::vector<SourceModel> models = source_models();
  return models;
}

// ---- Mutations --------------------------------------------------------------------------------------------

// Bytes that make strings interesting to print: invalid UTF-8, controls, escapes, C1 and bidi lead bytes.
constexpr uint8_t kNastyBytes[] = {0x00, 0x07, 0x08, 0x0A, 0x0D, 0x1B, 0x5C, 0x7F, 0x80, 0x9B, 0xBF,
                                   0xC0, 0xC2, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF8, 0xFE, 0xFF, 0x22};
constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x04, 0x10, 0x40, 0x7F, 0x80, 0xFE, 0xFF};

struct ModelCase {
  std::vector<uint8_t> bytes;
  std::string description;
};

// One malformed variant of `model`, chosen by `rng`.
ModelCase mutate_model(const SourceModel& model, Rng& rng) {
  ModelCase c;
  const std::vector<uint8_t>& original = model.bytes;
  const size_t size = original.size();
  char text[200];
  if (!model.mutate) {
    const size_t length = rng.below(size);
    c.bytes.assign(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(length));
    std::snprintf(text, sizeof(text), "%s truncated to %zu of %zu bytes", model.name.c_str(), length, size);
    c.description = text;
    return c;
  }
  c.bytes = original;
  const uint64_t kind = rng.below(100);
  if (kind < 8) {
    const size_t length = rng.chance(30) ? rng.below(std::min<size_t>(size, 64)) : rng.below(size);
    c.bytes.resize(length);
    std::snprintf(text, sizeof(text), "%s truncated to %zu bytes", model.name.c_str(), length);
  } else if (kind < 12) {
    const size_t prefix = 8 + rng.below(std::min<size_t>(size - 8, 512));
    for (size_t b = prefix; b < size; ++b) c.bytes[b] = rng.byte();
    std::snprintf(text, sizeof(text), "%s with random bytes after %zu", model.name.c_str(), prefix);
  } else if (kind < 40 && !model.strings.empty()) {
    // In the model's strings: 1 to 4 bytes made invalid UTF-8, control characters, escapes.
    const auto& [begin, end] = model.strings[rng.below(model.strings.size())];
    const int count = 1 + static_cast<int>(rng.below(4));
    for (int i = 0; i < count; ++i)
      c.bytes[begin + rng.below(end - begin)] =
          rng.chance(80) ? kNastyBytes[rng.below(sizeof(kNastyBytes))] : rng.byte();
    std::snprintf(text, sizeof(text), "%s with %d bytes of the string at %zu..%zu changed",
                  model.name.c_str(), count, begin, end);
  } else {
    // 1 to 3 bytes anywhere: random, one bit flipped, +-1 or a boundary value.
    const int count = rng.chance(70) ? 1 : 2 + static_cast<int>(rng.below(2));
    std::string positions;
    for (int i = 0; i < count; ++i) {
      const size_t position = rng.below(size);
      const uint8_t old_value = c.bytes[position];
      const uint64_t how = rng.below(20);
      uint8_t value = how < 10   ? rng.byte()
                      : how < 13 ? static_cast<uint8_t>(old_value ^ (1u << rng.below(8)))
                      : how < 15 ? static_cast<uint8_t>(old_value + (rng.below(2) ? 1 : -1))
                                 : kInteresting[rng.below(sizeof(kInteresting))];
      if (value == old_value) value ^= 0x80;
      c.bytes[position] = value;
      positions += (positions.empty() ? "" : ",") + std::to_string(position);
    }
    std::snprintf(text, sizeof(text), "%s with byte(s) %s changed", model.name.c_str(), positions.c_str());
  }
  c.description = text;
  return c;
}

// Cases spread over the models: every model unmodified once, large ones truncated a few times, the rest
// mutated; a few random buffers. Returns exactly `count` cases (fewer only if count is tiny).
class ModelCases {
 public:
  ModelCases(const std::string& command, int count) : rng_(fnv1a(command) ^ base_seed()) {
    const auto& models = all_source_models();
    for (size_t m = 0; m < models.size(); ++m) {
      plan_.push_back({m, -1});  // unmodified
      if (!models[m].mutate)
        for (int t = 0; t < kLargeModelTruncations; ++t) plan_.push_back({m, 0});
    }
    for (size_t m = 0; m < models.size(); ++m)
      if (models[m].mutate) mutable_.push_back(m);
    count_ = std::max<int>(count, static_cast<int>(plan_.size()));
  }
  int count() const { return count_; }

  // Case `i` (0 <= i < count(), called in order).
  ModelCase next(int i) {
    const auto& models = all_source_models();
    if (i < static_cast<int>(plan_.size())) {
      const auto& [m, kind] = plan_[i];
      if (kind < 0) return {models[m].bytes, models[m].name + " unmodified"};
      return mutate_model(models[m], rng_);
    }
    if (rng_.chance(3) || mutable_.empty()) {
      std::vector<uint8_t> bytes(rng_.below(4) == 0 ? rng_.below(8192) : rng_.below(512));
      for (auto& b : bytes) b = rng_.byte();
      if (bytes.size() >= 8 && rng_.chance(70)) std::memcpy(bytes.data() + 4, "TFL3", 4);
      return {bytes, "random buffer of " + std::to_string(bytes.size()) + " bytes"};
    }
    return mutate_model(models[mutable_[rng_.below(mutable_.size())]], rng_);
  }

 private:
  Rng rng_;
  std::vector<std::pair<size_t, int>> plan_;
  std::vector<size_t> mutable_;
  int count_ = 0;
};

// Sets the description the crash reporter and the watchdog show.
void start_case(const std::string& command, int index, const std::string& description,
                const std::vector<std::string>& args) {
  std::string text = command + " case " + std::to_string(index) + " (seed " + std::to_string(base_seed()) +
                     "): " + description + "; args:";
  for (const auto& arg : args) text += " " + arg;
  std::snprintf(g_case.description, sizeof(g_case.description), "%s", text.c_str());
  g_case.serial.fetch_add(1);
  g_case.active = true;
}

// ---- inspect ----------------------------------------------------------------------------------------------

void inspect_cases(bool json) {
  const std::string name = json ? "inspect --json" : "inspect";
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir(json ? "inspect_json" : "inspect");
  StdoutCapture capture;
  Tally tally(name);
  const auto start = std::chrono::steady_clock::now();
  ModelCases cases(name, cases_per_command());
  Rng rng(fnv1a(name + " options") ^ base_seed());
  const std::string model_path = (dir / "case.tflite").string();
  for (int i = 0; i < cases.count(); ++i) {
    const ModelCase c = cases.next(i);
    write_file(model_path, c.bytes);
    std::vector<std::string> args = {"inspect", model_path};
    if (json) args.push_back("--json");
    if (rng.chance(20)) args.insert(args.end(), {"--kernels", "optimized"});
    start_case(name, i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "inspect", json ? OutputKind::kJson : OutputKind::kText);
    if (problem.empty() && c.description.ends_with(" unmodified") && result.exit_code != 0)
      problem = "a valid model failed: " + result.error;
    if (problem.empty() && json && result.exit_code == 0) {
      const auto report = nlohmann::json::parse(result.output);
      if (!report.contains("tensors") || !report.contains("arena_bytes")) problem = "JSON report lacks keys";
    }
    tally.add(c.description, result, problem);
  }
  EXPECT_EQ(tally.cases(), cases.count());
  EXPECT_GE(tally.cases(), std::min(2000, cases_per_command()));
  tally.finish(seconds_since(start));
}

TEST(CliRobustness, InspectEndsCleanlyOnMalformedModels) {
  inspect_cases(false);
}

TEST(CliRobustness, InspectJsonEndsCleanlyOnMalformedModels) {
  inspect_cases(true);
}

// ---- run --------------------------------------------------------------------------------------------------

struct Screening {
  bool loads = false;
  int64_t work = 0;
  int num_inputs = 0;
  size_t input_bytes = 0;  // of input 0
};

// What the harness needs to know before `run` invokes the model: its work, and its first input's size.
Screening screen(const std::vector<uint8_t>& bytes) {
  robustness::ExactBuffer copy(bytes.size());
  if (!bytes.empty()) std::memcpy(copy.data(), bytes.data(), bytes.size());
  Model model;
  Screening s;
  if (!Model::from_bytes(copy.data(), bytes.size(), &model).is_ok()) return s;
  s.loads = true;
  s.work = robustness::estimate_work(model);
  s.num_inputs = model.num_inputs();
  for (int i = 0; i < model.num_inputs(); ++i) {
    const Tensor input = model.tensor(model.input_tensor_index(i));
    s.work = robustness::saturating_add(s.work, static_cast<int64_t>(input.bytes));
    if (i == 0) s.input_bytes = input.bytes;
  }
  return s;
}

TEST(CliRobustness, RunEndsCleanlyOnMalformedModels) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("run");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("run");
  const auto start = std::chrono::steady_clock::now();
  const int target = cases_per_command();
  ModelCases cases("run", 3 * target);  // more than needed: cases with too much work are skipped
  Rng rng(fnv1a("run options") ^ base_seed());
  const std::string model_path = (dir / "case.tflite").string();
  const std::string stream_path = (dir / "stream.bin").string();
  const std::string output_path = (dir / "out" / "outputs.bin").string();
  for (int i = 0; i < cases.count() && tally.cases() < target; ++i) {
    const ModelCase c = cases.next(i);
    const Screening s = screen(c.bytes);
    if (s.loads && s.work > kRunWorkLimit) {
      tally.skip();
      continue;
    }
    write_file(model_path, c.bytes);
    std::vector<std::string> args = {"run", model_path};
    // Mostly --fill; some --stream of 1 to 3 chunks (sometimes not a whole number of them).
    const bool stream = s.loads && s.num_inputs == 1 && s.input_bytes > 0 && rng.chance(20);
    if (stream) {
      const size_t chunks = 1 + rng.below(3);
      std::vector<uint8_t> data(chunks * s.input_bytes + (rng.chance(15) ? 1 : 0));
      for (auto& b : data) b = rng.byte();
      write_file(stream_path, data);
      args.insert(args.end(), {"--stream", stream_path});
    } else {
      args.insert(args.end(), {"--fill", "lcg:" + std::to_string(rng.below(100000))});
      if (rng.chance(10)) args.insert(args.end(), {"--runs", "2"});
    }
    const bool output = rng.chance(40);
    if (output) args.insert(args.end(), {"--output", output_path});
    const bool json = rng.chance(50);
    if (json) args.push_back("--json");
    start_case("run", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "run", json ? OutputKind::kJson : OutputKind::kText);
    const auto left = files_in(dir / "out");
    if (problem.empty() && result.exit_code != 0 && !left.empty())
      problem = "failed, but left " + left.front() + " behind";
    if (problem.empty() && result.exit_code == 0 && output && left != std::vector<std::string>{"outputs.bin"})
      problem = "succeeded, but --output is not the only file";
    for (const auto& file : left) fs::remove(dir / "out" / file);
    tally.add(c.description, result, problem);
  }
  EXPECT_GE(tally.cases(), std::min(2000, target));
  tally.finish(seconds_since(start));
}

// ---- compare (two models) ---------------------------------------------------------------------------------

// The malformed model against itself (mostly) or against a valid one with other sizes, on two --fill samples:
// four invokes per case, plus per-tensor copies with --per-layer.
TEST(CliRobustness, CompareTwoModelsEndsCleanlyOnMalformedModels) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("compare");
  StdoutCapture capture;
  Tally tally("compare");
  const auto start = std::chrono::steady_clock::now();
  const int target = cases_per_command();
  ModelCases cases("compare", 3 * target);  // more than needed: cases with too much work are skipped
  Rng rng(fnv1a("compare options") ^ base_seed());
  const std::string model_path = (dir / "case.tflite").string();
  const std::string other_path = (dir / "other.tflite").string();
  write_file(other_path, robustness::named_model());
  for (int i = 0; i < cases.count() && tally.cases() < target; ++i) {
    const ModelCase c = cases.next(i);
    const Screening s = screen(c.bytes);
    if (s.loads && s.work > kRunWorkLimit / 4) {
      tally.skip();
      continue;
    }
    write_file(model_path, c.bytes);
    const bool against_other = rng.chance(20);
    std::vector<std::string> args = {"compare",
                                     model_path,
                                     against_other ? other_path : model_path,
                                     "--fill",
                                     "lcg:" + std::to_string(rng.below(100000)),
                                     "--samples",
                                     "2"};
    if (rng.chance(30)) args.push_back("--per-layer");
    if (rng.chance(10)) args.insert(args.end(), {"--range", "-2,3"});
    const bool json = rng.chance(50);
    if (json) args.push_back("--json");
    start_case("compare", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    tally.add(c.description, result,
              check_result(result, "compare", json ? OutputKind::kJson : OutputKind::kText));
  }
  EXPECT_GE(tally.cases(), std::min(2000, target));
  EXPECT_GT(tally.successes(), 0);
  tally.finish(seconds_since(start));
}

// Checks what a command writing one model (quantize, train, prune) left in `out`: nothing on failure, and on
// success exactly `name`, a model that loads again.
std::string check_written_model(const CliResult& result, const fs::path& out, const std::string& name) {
  const std::vector<std::string> left = files_in(out);
  if (result.exit_code != 0) return left.empty() ? "" : "failed, but left " + left.front() + " behind";
  if (left != std::vector<std::string>{name}) return "succeeded, but wrote no model";
  const auto written = testing::read_bytes(out / name);
  robustness::ExactBuffer copy(written.size());
  std::memcpy(copy.data(), written.data(), written.size());
  Model model;
  if (!Model::from_bytes(copy.data(), written.size(), &model).is_ok())
    return "wrote a model that does not load";
  return "";
}

// ---- quantize ---------------------------------------------------------------------------------------------

TEST(CliRobustness, QuantizeEndsCleanlyAndLeavesNoFileOnFailure) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("quantize");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("quantize");
  const auto start = std::chrono::steady_clock::now();
  const int target = cases_per_command();
  ModelCases cases("quantize", 3 * target);  // more than needed: cases with too much work are skipped
  Rng rng(fnv1a("quantize options") ^ base_seed());
  const std::string model_path = (dir / "case.tflite").string();
  const fs::path out = dir / "out";
  const std::string out_path = (out / "q.tflite").string();
  static const char* const kModes[] = {"int8", "int16x8", "dynamic", "float16"};
  static const char* const kMethods[] = {"minmax", "percentile", "mse", "kl"};
  for (int i = 0; i < cases.count() && tally.cases() < target; ++i) {
    const ModelCase c = cases.next(i);
    const Screening s = screen(c.bytes);
    if (s.loads && s.work > kRunWorkLimit / 4) {
      tally.skip();
      continue;
    }
    write_file(model_path, c.bytes);
    const std::string mode = kModes[rng.below(4)];
    std::vector<std::string> args = {"quantize", model_path, "-o", out_path, "--mode", mode};
    if (mode == "int8" || mode == "int16x8") {
      args.insert(args.end(), {"--calibration", "lcg:" + std::to_string(rng.below(100000)), "--samples", "2",
                               "--method", kMethods[rng.below(4)]});
      if (rng.chance(30)) args.insert(args.end(), {"--io", "float"});
    }
    if (rng.chance(20)) args.insert(args.end(), {"--eval", "lcg:5"});
    const bool json = rng.chance(50);
    if (json) args.push_back("--json");
    start_case("quantize", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "quantize", json ? OutputKind::kJson : OutputKind::kText);
    if (problem.empty()) problem = check_written_model(result, out, "q.tflite");
    for (const auto& file : files_in(out)) fs::remove_all(out / file);
    tally.add(c.description, result, problem);
  }
  EXPECT_GE(tally.cases(), std::min(2000, target));
  EXPECT_GT(tally.successes(), 0);
  tally.finish(seconds_since(start));
}

// ---- export -----------------------------------------------------------------------------------------------

TEST(CliRobustness, ExportEndsCleanlyAndLeavesNoFileOnFailure) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("export");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("export");
  const auto start = std::chrono::steady_clock::now();
  ModelCases cases("export", cases_per_command());
  Rng rng(fnv1a("export options") ^ base_seed());
  const std::string model_path = (dir / "case.tflite").string();
  const fs::path out = dir / "out";
  for (int i = 0; i < cases.count(); ++i) {
    const ModelCase c = cases.next(i);
    write_file(model_path, c.bytes);
    // Mostly good destinations; sometimes one that cannot be written (a missing directory, or an existing
    // directory in the way of the rename), so the other file must not be left behind either.
    const bool header = rng.chance(50);
    std::string source_path = (out / "model_data.cc").string();
    std::string header_path = (out / "model_data.h").string();
    const uint64_t trouble = rng.below(100);
    if (trouble < 4) source_path = (out / "missing" / "model_data.cc").string();
    if (trouble >= 4 && trouble < 8) header_path = (out / "missing" / "model_data.h").string();
    if (trouble >= 8 && trouble < 11) fs::create_directory(out / "model_data.cc");
    std::vector<std::string> args = {"export", model_path, "-o", source_path};
    if (header) args.insert(args.end(), {"--header", header_path});
    if (rng.chance(30)) args.insert(args.end(), {"--name", "g_model", "--section", ".model"});
    start_case("export", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "export", OutputKind::kText);
    std::vector<std::string> left = files_in(out);
    if (trouble >= 8 && trouble < 11) {
      std::erase(left, "model_data.cc");  // the directory put in the way
      fs::remove(out / "model_data.cc");
    }
    if (problem.empty()) {
      if (result.exit_code != 0 && !left.empty()) {
        problem = "failed, but left " + left.front() + " behind";
      } else if (result.exit_code == 0) {
        std::vector<std::string> expected = {"model_data.cc"};
        if (header) expected.push_back("model_data.h");
        if (left != expected)
          problem = "succeeded, but the files in the output directory are not as expected";
        if (problem.empty() && !c.description.ends_with(" unmodified") &&
            fs::file_size(out / "model_data.cc") < 6 * c.bytes.size())
          problem = "exported source too short";
      } else if (c.description.ends_with(" unmodified") && trouble >= 11) {
        problem = "a valid model was not exported: " + result.error;
      }
    }
    for (const auto& file : files_in(out)) fs::remove_all(out / file);
    tally.add(c.description, result, problem);
  }
  EXPECT_EQ(tally.cases(), cases.count());
  EXPECT_GE(tally.cases(), std::min(2000, cases_per_command()));
  tally.finish(seconds_since(start));
}

// ---- size -------------------------------------------------------------------------------------------------

// A GNU ld map as tests/firmware's firmware writes it (see tools/edgeinfer/size_test.cc), with every kind of
// line the parser handles.
constexpr const char* kMap = R"(Archive member included to satisfy reference by file (symbol)

libedgeinfer_runtime.a(model.cc.obj)
                              CMakeFiles/model.elf.dir/model_main.cc.obj (edgeinfer::Model::from_bytes)

Discarded input sections

 .text          0x00000000        0x0 libedgeinfer_runtime.a(model.cc.obj)

Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x00000000         0x00400000         xr
RAM              0x20000000         0x00400000         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

LOAD CMakeFiles/model.elf.dir/model_main.cc.obj
LOAD libedgeinfer_runtime.a
START GROUP
LOAD /usr/lib/picolibc/arm-none-eabi/lib/release/thumb/v7e-m+fp/hard/libc.a
END GROUP
                0x00004000                        __stack_size = DEFINED (__stack_size)?__stack_size:0x4000

.vectors        0x00000000       0x40
 *(.vectors)
 .vectors       0x00000000       0x40 CMakeFiles/ei_cortex_m_platform.dir/platform/cortex_m/startup.S.obj
                0x00000000                ei_vector_table

.text           0x00000040      0x200
 *(.text .text.*)
 .text._ZN9edgeinfer5Model10from_bytesEPKvjPS0_
                0x00000040      0x100 libedgeinfer_runtime.a(model.cc.obj)
                0x00000040                edgeinfer::Model::from_bytes(void const*, unsigned int, edgeinfer::Model*)
 *fill*         0x00000140        0x4 
 .text.conv     0x00000144       0x7c libedgeinfer_kernels.a(conv.cc.obj)
 .text.main     0x000001c0       0x40 CMakeFiles/model.elf.dir/model_main.cc.obj
                0x000001c0                main
 .text          0x00000200       0x30 /usr/lib/picolibc/arm-none-eabi/lib/release/thumb/v7e-m+fp/hard/libc.a(memcpy.S.o)
 .text          0x00000230        0x8 /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v7e-m+fp/hard/libgcc.a(_udivmoddi4.o)
 .glue_7t       0x00000238        0x0 linker stubs
 FILL mask 0x00
                0x00000240                        . = ALIGN (0x4)

.model          0x00000240       0x50
                0x00000240                        . = ALIGN (0x10)
 *(.model .model.*)
 .model         0x00000240       0x50 CMakeFiles/model.elf.dir/model/hello_data.cc.obj
                0x00000240                ei_model_data

.ARM.extab
 *(.ARM.extab* .gnu.linkonce.armextab.*)

.a_section_with_a_long_name
                0x00000290        0x4
 .a_section_with_a_long_name
                0x00000290        0x4 CMakeFiles/model.elf.dir/model_main.cc.obj

.stack          0x20000000     0x4000
                0x20000000                        __stack_limit = .
 *fill*         0x20000000     0x4000 

.data           0x20004000        0x8 load address 0x00000294
 *(.data .data.*)
 .data._ZN9edgeinfer8cortex_m12_GLOBAL__N_110g_overheadE
                0x20004000        0x8 CMakeFiles/ei_cortex_m_platform.dir/platform/cortex_m/icount.cc.obj

.bss            0x20004008       0x74 load address 0x0000029c
 .bss._ZZ4mainE11interpreter
                0x20004008       0x74 CMakeFiles/model.elf.dir/model_main.cc.obj

.arena          0x20004080     0x1000 load address 0x0000029c
 *(.arena .arena.*)
 .arena         0x20004080     0x1000 CMakeFiles/model.elf.dir/model_main.cc.obj

/DISCARD/
 *(.note.GNU-stack)

.comment        0x00000000       0x26
 .comment       0x00000000       0x26 CMakeFiles/model.elf.dir/model_main.cc.obj
.debug_info     0x00000000     0x9999
 .debug_info    0x00000000     0x9999 libedgeinfer_runtime.a(model.cc.obj)
OUTPUT(model.elf elf32-littlearm)

Cross Reference Table

Symbol                                            File
main                                              CMakeFiles/model.elf.dir/model_main.cc.obj
)";

constexpr const char* kRunLog =
    R"(EI firmware board=mps2-an386 libc=picolibc model=hello_world_int8 kernels=optimized seed=12345 model_bytes=80
EI verify instructions=13905
EI allocate instructions=36350 arena_used_bytes=544 arena_reserved_bytes=768
EI invoke run=first ticks=1900 instructions=9500 stack_bytes=960
EI invoke run=second ticks=1000 instructions=5000 stack_bytes=948
EI ram data_bytes=8 bss_bytes=120 stack_reserved_bytes=16384 stack_peak_bytes=2300
EI result=ok
)";

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// One malformed variant of a text file: byte edits, line edits, numbers replaced, truncation, random bytes.
std::string mutate_text(const std::string& original, Rng& rng, std::string* what) {
  std::string text = original;
  const uint64_t kind = rng.below(100);
  static const char* const kNumbers[] = {"0x0",       "0xffffffffffffffff",   "0x10000000000000000",  "0x",
                                         "0xq",       "18446744073709551615", "99999999999999999999", "-1",
                                         "0x7fffffff"};
  if (kind < 10) {
    text.resize(rng.below(text.size()));
    *what = "truncated to " + std::to_string(text.size()) + " bytes";
  } else if (kind < 40) {
    const int count = 1 + static_cast<int>(rng.below(4));
    for (int i = 0; i < count; ++i) {
      static const char kCharacters[] = " \t\n\r0x.*()=:/\\\x00\x7f\x80\xff\xc3\xe2\x1b";
      text[rng.below(text.size())] =
          rng.chance(50) ? static_cast<char>(rng.byte()) : kCharacters[rng.below(sizeof(kCharacters) - 1)];
    }
    *what = std::to_string(count) + " bytes changed";
  } else if (kind < 70) {
    std::vector<std::string> lines = split_lines(text);
    const size_t line = rng.below(lines.size());
    const uint64_t how = rng.below(4);
    if (how == 0) {
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line));
    } else if (how == 1) {
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(line), lines[rng.below(lines.size())]);
    } else if (how == 2) {
      std::swap(lines[line], lines[rng.below(lines.size())]);
    } else {
      // A word of the line replaced by a hostile number.
      std::string& target = lines[line];
      const size_t at = target.find("0x") != std::string::npos && rng.chance(70)
                            ? target.find("0x")
                            : rng.below(target.size() + 1);
      const size_t end = std::min(target.find(' ', at), target.size());
      target.replace(at, end - at, kNumbers[rng.below(std::size(kNumbers))]);
    }
    text.clear();
    for (const auto& l : lines) text += l + "\n";
    *what = "line " + std::to_string(line + 1) + " edited (" + std::to_string(how) + ")";
  } else if (kind < 85) {
    // A hex number somewhere replaced.
    size_t at = text.find("0x", rng.below(text.size()));
    if (at == std::string::npos) at = text.find("0x");
    if (at == std::string::npos) at = rng.below(text.size());  // no number: insert one
    const size_t end = text.find_first_of(" \n", at);
    text.replace(at, (end == std::string::npos ? text.size() : end) - at,
                 kNumbers[rng.below(std::size(kNumbers))]);
    *what = "number at " + std::to_string(at) + " replaced";
  } else if (kind < 92) {
    // Invalid UTF-8 and controls in names (objects, models, boards).
    static const char* const kNames[] = {"\xff\xfe", "\x1b[2J", "a\\b", "\xc2\x9b", "\xe2\x80\xae", "\t\r"};
    size_t at = text.find_first_of("._(", rng.below(text.size()));
    if (at == std::string::npos) at = 0;
    text.insert(at, kNames[rng.below(std::size(kNames))]);
    *what = "name bytes inserted at " + std::to_string(at);
  } else {
    text.resize(rng.below(4096));
    for (char& ch : text) ch = static_cast<char>(rng.chance(80) ? 0x20 + rng.below(95) : rng.byte());
    *what = "random text of " + std::to_string(text.size()) + " bytes";
  }
  return text;
}

TEST(CliRobustness, SizeEndsCleanlyOnMalformedMapsElfsAndRunLogs) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("size");
  StdoutCapture capture;
  Tally tally("size");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("size") ^ base_seed());
  const std::string elf = (dir / "firmware.elf").string();
  const std::string map = elf + ".map";
  const std::string log = (dir / "run.log").string();
  const std::string reference_log = (dir / "reference.log").string();
  const std::string elf_header = std::string(
      "\x7f"
      "ELF\x01\x01\x01\0\0\0\0\0\0\0\0\0",
      16);
  const int count = cases_per_command();
  for (int i = 0; i < count; ++i) {
    std::string what = "valid inputs";
    std::string map_text = kMap, elf_text = elf_header, log_text = kRunLog;
    const uint64_t target = i == 0 ? 100 : rng.below(100);  // case 0: everything valid
    if (target < 65) {
      map_text = mutate_text(kMap, rng, &what);
      what = "map " + what;
    } else if (target < 72) {
      elf_text = rng.chance(50) ? elf_header.substr(0, rng.below(5)) : mutate_text(elf_header, rng, &what);
      what = "ELF header mutated";
    } else if (target < 97) {
      log_text = mutate_text(kRunLog, rng, &what);
      what = "run log " + what;
    }
    write_file(elf, elf_text);
    write_file(map, map_text);
    write_file(log, log_text);
    write_file(reference_log, std::string(kRunLog));
    std::vector<std::string> args = {"size", elf};
    const bool with_log = target >= 72 || rng.chance(50);
    if (with_log) args.insert(args.end(), {"--run-log", log});
    if (with_log && rng.chance(30)) args.insert(args.end(), {"--reference-run-log", reference_log});
    if (rng.chance(10)) args.insert(args.end(), {"--map", map});
    const uint64_t format = rng.below(3);
    if (format == 1) args.push_back("--json");
    if (format == 2) args.push_back("--markdown");
    if (rng.chance(40)) args.push_back("--objects");
    start_case("size", i, what, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "size", format == 1 ? OutputKind::kJson : OutputKind::kText);
    if (problem.empty() && i == 0 && result.exit_code != 0) problem = "valid inputs failed: " + result.error;
    tally.add(what, result, problem);
  }
  EXPECT_EQ(tally.cases(), count);
  EXPECT_GT(tally.successes(), 0);
  tally.finish(seconds_since(start));
}

// ---- train and prune --------------------------------------------------------------------------------------

constexpr const char* kTrainSpec =
    "# a small classifier\n"
    "input 8\n"
    "dense 6 relu\n"
    "dropout 0.1\n"
    "dense 3 softmax\n";
constexpr const char* kTrainImageSpec =
    "input 4x4x1\n"
    "conv2d 2 3x3 same relu\n"
    "maxpool 2x2\n"
    "flatten\n"
    "dense 3 softmax\n";

// 24 samples of 8 values (label first), labels 0..2: a CSV training set.
std::string train_csv(int samples = 24) {
  std::string text;
  for (int i = 0; i < samples; ++i) {
    text += std::to_string(i % 3);
    for (int v = 0; v < 8; ++v) text += "," + std::to_string(((i * 7 + v * 3) % 11) / 10.0);
    text += "\n";
  }
  return text;
}

// Screening a SPEC before training on it: parses, and its parameters and per-layer outputs stay small enough
// for a case to take milliseconds (the parser itself refuses only sizes that would exhaust memory).
bool spec_is_light(const std::string& text) {
  try {
    const compiler::train::NetworkSpec spec = compiler::train::parse_spec(text);
    if (spec.parameter_count() > 20000) return false;
    for (const auto& layer : spec.layers)
      if (layer.out.size() > 20000) return false;
    return true;
  } catch (const std::exception&) {
    return true;  // refused by the parser: fast
  }
}

TEST(CliRobustness, TrainEndsCleanlyOnMalformedSpecsAndDatasets) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("train");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("train");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("train") ^ base_seed());
  const fs::path out = dir / "out";
  const std::string spec_path = (dir / "net.spec").string(), data_path = (dir / "data.csv").string();
  const std::string npy_path = (dir / "data.npy").string(), labels_path = (dir / "data_labels.npy").string();
  // A valid .npy pair (24 x 8 float32, int32 labels) to mutate as bytes.
  std::vector<uint8_t> npy, labels;
  {
    const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 8), }";
    std::string h = header + std::string(128 - 10 - header.size() - 1, ' ') + "\n";
    npy = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(h.size()), 0};
    npy.insert(npy.end(), h.begin(), h.end());
    for (int i = 0; i < 24 * 8; ++i) {
      const float v = static_cast<float>(i % 13) / 13.0f;
      const auto* b = reinterpret_cast<const uint8_t*>(&v);
      npy.insert(npy.end(), b, b + 4);
    }
    const std::string lheader = "{'descr': '<i4', 'fortran_order': False, 'shape': (24,), }";
    std::string lh = lheader + std::string(128 - 10 - lheader.size() - 1, ' ') + "\n";
    labels = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(lh.size()), 0};
    labels.insert(labels.end(), lh.begin(), lh.end());
    for (int i = 0; i < 24; ++i) {
      const int32_t v = i % 3;
      const auto* b = reinterpret_cast<const uint8_t*>(&v);
      labels.insert(labels.end(), b, b + 4);
    }
  }
  const int target = std::max(1, cases_per_command() / 4);
  for (int i = 0; i < target; ++i) {
    std::string what = "valid inputs";
    const bool image = rng.chance(20);
    std::string spec = image ? kTrainImageSpec : kTrainSpec;
    std::string csv = image ? "" : train_csv();
    if (image)  // 4x4x1 images as CSV rows of 16 values
      for (int s = 0; s < 12; ++s) {
        csv += std::to_string(s % 3);
        for (int v = 0; v < 16; ++v) csv += "," + std::to_string((s + v) % 5 / 4.0);
        csv += "\n";
      }
    bool use_npy = !image && rng.chance(25);
    std::vector<uint8_t> npy_case = npy, labels_case = labels;
    const uint64_t kind = i == 0 ? 100 : rng.below(100);  // case 0: everything valid
    if (kind < 45) {
      spec = mutate_text(spec, rng, &what);
      what = "SPEC " + what;
    } else if (kind < 80 && !use_npy) {
      csv = mutate_text(csv, rng, &what);
      what = "CSV " + what;
    } else if (kind < 80) {
      auto& bytes = rng.chance(70) ? npy_case : labels_case;
      if (rng.chance(30)) {
        bytes.resize(rng.below(bytes.size()));
      } else {
        for (int k = 0; k < 1 + static_cast<int>(rng.below(3)); ++k)
          bytes[rng.below(bytes.size())] = rng.byte();
      }
      what = "npy bytes changed";
    }
    if (!spec_is_light(spec)) {
      tally.skip();
      continue;
    }
    write_file(spec_path, spec);
    write_file(data_path, csv);
    write_file(npy_path, npy_case);
    write_file(labels_path, labels_case);
    std::vector<std::string> args = {"train",
                                     "--arch",
                                     spec_path,
                                     "--data",
                                     use_npy ? npy_path : data_path,
                                     "-o",
                                     (out / "m.tflite").string(),
                                     "--epochs",
                                     "1",
                                     "--threads",
                                     rng.chance(50) ? "1" : "2"};
    if (kind >= 80 && kind < 95) {  // hostile option values
      static const char* const kValues[] = {"0", "-1", "1", "3", "24", "25", "1000000", "2147483647"};
      static const char* const kFractions[] = {"0", "0.5", "0.99", "1", "-0.1", "nan", "inf", "1e308"};
      const uint64_t option = rng.below(4);
      if (option == 0) args.insert(args.end(), {"--batch", kValues[rng.below(std::size(kValues))]});
      if (option == 1) args.insert(args.end(), {"--limit", kValues[rng.below(std::size(kValues))]});
      if (option == 2) args.insert(args.end(), {"--val-split", kFractions[rng.below(std::size(kFractions))]});
      if (option == 3) args.insert(args.end(), {"--lr", kFractions[rng.below(std::size(kFractions))]});
      what = "option " + args[args.size() - 2] + " " + args.back();
    }
    if (rng.chance(15)) args.push_back("--autoencoder");
    const bool json = rng.chance(50);
    if (json) args.push_back("--json");
    start_case("train", i, what, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "train", json ? OutputKind::kJson : OutputKind::kText);
    if (problem.empty()) problem = check_written_model(result, out, "m.tflite");
    if (problem.empty() && i == 0 && result.exit_code != 0) problem = "valid inputs failed: " + result.error;
    for (const auto& file : files_in(out)) fs::remove_all(out / file);
    tally.add(what, result, problem);
  }
  EXPECT_GT(tally.successes(), 0);
  EXPECT_GE(tally.cases(), target * 9 / 10);
  tally.finish(seconds_since(start));
}

TEST(CliRobustness, PruneEndsCleanlyAndLeavesNoFileOnFailure) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("prune");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("prune");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("prune options") ^ base_seed());
  const fs::path out = dir / "out";
  const std::string data_path = (dir / "data.csv").string(), model_path = (dir / "case.tflite").string();
  write_file(data_path, train_csv());
  write_file(dir / "net.spec", std::string(kTrainSpec));
  // A float model trained on the data: the valid starting point whose mutations the cases use.
  const CliResult trained = run_cli({"train", "--arch", (dir / "net.spec").string(), "--data", data_path,
                                     "-o", (dir / "trained.tflite").string(), "--epochs", "1"},
                                    capture);
  ASSERT_EQ(trained.exit_code, 0) << trained.error;
  SourceModel source{"trained 8-6-3", testing::read_bytes(dir / "trained.tflite"), true, {}};
  source.strings = string_ranges(source.bytes);
  ModelCases others("prune", 0);
  const int target = std::max(1, cases_per_command() / 4);
  for (int i = 0; i < target; ++i) {
    // Mostly the trained model mutated (it fits the data), sometimes any of the corpus's models.
    ModelCase c = i == 0           ? ModelCase{source.bytes, "trained model unmodified"}
                  : rng.chance(75) ? mutate_model(source, rng)
                                   : others.next(static_cast<int>(rng.below(others.count())));
    const Screening s = screen(c.bytes);
    if (s.loads && s.work > kRunWorkLimit / 8) {
      tally.skip();
      continue;
    }
    write_file(model_path, c.bytes);
    static const char* const kSparsities[] = {"0", "0.5", "0.9", "0.999", "1", "-0.5", "nan"};
    std::vector<std::string> args = {"prune",
                                     model_path,
                                     "-o",
                                     (out / "p.tflite").string(),
                                     "--data",
                                     data_path,
                                     "--final-sparsity",
                                     kSparsities[rng.below(std::size(kSparsities))],
                                     "--epochs",
                                     "1"};
    if (rng.chance(20)) args.insert(args.end(), {"--structured", "channels"});
    if (rng.chance(20)) args.insert(args.end(), {"--block", rng.chance(50) ? "1" : "0"});
    if (rng.chance(20)) args.insert(args.end(), {"--frequency", rng.chance(50) ? "1" : "-5"});
    if (rng.chance(20)) args.insert(args.end(), {"--min-weights", "0"});
    const bool json = rng.chance(50);
    if (json) args.push_back("--json");
    start_case("prune", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "prune", json ? OutputKind::kJson : OutputKind::kText);
    if (problem.empty()) problem = check_written_model(result, out, "p.tflite");
    for (const auto& file : files_in(out)) fs::remove_all(out / file);
    tally.add(c.description, result, problem);
  }
  EXPECT_GT(tally.successes(), 0);
  EXPECT_GE(tally.cases(), target * 8 / 10);
  tally.finish(seconds_since(start));
}

// ---- ota --------------------------------------------------------------------------------------------------

// One malformed variant of a signed package: truncated, bytes changed in the header, the payload or the
// signature, or a tail appended.
ModelCase mutate_package(const std::vector<uint8_t>& package, Rng& rng) {
  ModelCase c{package, ""};
  const uint64_t kind = rng.below(100);
  if (kind < 25) {
    c.bytes.resize(rng.chance(40) ? rng.below(std::min<size_t>(package.size(), ota::kHeaderBytes + 8))
                                  : rng.below(package.size()));
    c.description = "package truncated to " + std::to_string(c.bytes.size()) + " bytes";
  } else if (kind < 30) {
    const size_t extra = 1 + rng.below(64);
    for (size_t k = 0; k < extra; ++k) c.bytes.push_back(rng.byte());
    c.description = "package with " + std::to_string(extra) + " bytes appended";
  } else {
    // Where: the header (magic, versions, sizes, target, hash), the payload, or the signature at the end.
    const uint64_t where = rng.below(3);
    const size_t begin = where == 0 ? 0 : where == 1 ? ota::kHeaderBytes : package.size() - 64;
    const size_t end = where == 0 ? ota::kHeaderBytes : where == 1 ? package.size() - 64 : package.size();
    const int count = rng.chance(70) ? 1 : 2 + static_cast<int>(rng.below(3));
    std::string positions;
    for (int k = 0; k < count; ++k) {
      const size_t at = begin + rng.below(end - begin);
      uint8_t value = rng.chance(50) ? rng.byte() : static_cast<uint8_t>(c.bytes[at] ^ (1u << rng.below(8)));
      if (value == c.bytes[at]) value ^= 0x01;
      c.bytes[at] = value;
      positions += (positions.empty() ? "" : ",") + std::to_string(at);
    }
    c.description = std::string("package ") +
                    (where == 0   ? "header"
                     : where == 1 ? "payload"
                                  : "signature") +
                    " byte(s) " + positions + " changed";
  }
  return c;
}

// Writes a key pair as `edgeinfer ota keygen` does (DIR/ota.key, DIR/ota.pub); returns the two paths.
std::pair<std::string, std::string> write_keys(const WorkDir& dir, const ota::testing::Keys& keys) {
  const std::string key = (dir / "ota.key").string(), pub = (dir / "ota.pub").string();
  write_file(key, std::vector<uint8_t>(keys.secret.begin(), keys.secret.end()));
  write_file(pub, std::vector<uint8_t>(keys.pub.begin(), keys.pub.end()));
  return {key, pub};
}

TEST(CliRobustness, OtaEndsCleanlyOnMalformedPackagesKeysAndDeviceState) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("ota");
  StdoutCapture capture;
  Tally tally("ota");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("ota") ^ base_seed());
  const ota::testing::Keys keys = ota::testing::make_keys();
  const auto [key, pub] = write_keys(dir, keys);
  const auto v1 = ota::testing::make_test_package(ota::testing::fc_model(1.0f), 1, "robust", keys);
  const auto v2 = ota::testing::make_test_package(ota::testing::fc_model(2.0f), 2, "robust", keys);
  const fs::path device = dir / "device", pristine = dir / "pristine", package = dir / "case.eiota";
  write_file(package, v1);
  const CliResult first = run_cli(
      {"ota", "install", package.string(), "--device", pristine.string(), "--pub", pub, "--target", "robust"},
      capture);
  ASSERT_EQ(first.exit_code, 0) << first.error;
  const auto running_model = testing::read_bytes(pristine / "slot_a" / "model.tflite");
  auto reset_device = [&] {
    fs::remove_all(device);
    fs::copy(pristine, device, fs::copy_options::recursive);
  };
  reset_device();
  const int target = std::max(1, cases_per_command() / 4);
  for (int i = 0; i < target; ++i) {
    const uint64_t action = i == 0 ? 0 : rng.below(100);
    ModelCase c = i == 0 ? ModelCase{v2, "version 2 unmodified"} : mutate_package(v2, rng);
    if (i > 0 && rng.chance(5)) {
      c.bytes.resize(rng.below(600));
      for (auto& b : c.bytes) b = rng.byte();
      c.description = "random buffer of " + std::to_string(c.bytes.size()) + " bytes";
    }
    write_file(package, c.bytes);
    std::vector<std::string> args;
    std::string command_key_pub = pub;
    bool mutated_state = false;
    if (action >= 85 && action < 93) {  // a public key of the wrong size or another key
      const size_t size = rng.chance(50) ? 32 : rng.below(80);
      std::vector<uint8_t> bad(size);
      for (auto& b : bad) b = rng.byte();
      command_key_pub = (dir / "bad.pub").string();
      write_file(command_key_pub, bad);
      c.description += ", public key of " + std::to_string(size) + " random bytes";
    }
    if (action >= 93) {  // the device's own files damaged: state copies, target, slot metadata
      static const char* const kFiles[] = {"state.0", "state.1", "target", "slot_a/package.meta",
                                           "slot_a/model.tflite"};
      const fs::path file = device / kFiles[rng.below(std::size(kFiles))];
      auto bytes = testing::read_bytes(file);
      if (bytes.empty() || rng.chance(30)) {
        bytes.resize(bytes.empty() ? 0 : rng.below(bytes.size()));
      } else {
        bytes[rng.below(bytes.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
      }
      write_file(file, bytes);
      mutated_state = true;
      c.description += ", device file " + file.filename().string() + " damaged";
    }
    const bool json = rng.chance(50);
    if (action < 45 || mutated_state) {
      args = {"ota", "install", package.string(), "--device", device.string(), "--pub", command_key_pub};
    } else if (action < 90) {
      args = {"ota", "verify", package.string(), "--pub", command_key_pub};
    } else {
      args = {"ota", "status", "--device", device.string()};
    }
    if (json) args.push_back("--json");
    start_case("ota", i, c.description, args);
    CliResult result = run_cli(args, capture);
    g_case.active = false;
    // `install --json` and `verify --json` report a refusal too: a whole JSON object with "ok": false on
    // stdout, then the one-line error. That report is checked here and the rest as for every command.
    if (json && result.exit_code == 1 && args[1] != "status" && !result.output.empty()) {
      const auto report = nlohmann::json::parse(result.output, nullptr, /*allow_exceptions=*/false);
      if (report.is_object() && report.value("ok", true) == false && report.contains("reason"))
        result.output.clear();
    }
    std::string problem = check_result(result, "ota", json ? OutputKind::kJson : OutputKind::kText);
    const bool valid = c.bytes == v2 && command_key_pub == pub;
    if (problem.empty() && args[1] != "status" && !mutated_state && (result.exit_code == 0) != valid)
      problem = valid ? "the valid package was refused: " + result.error : "a damaged package was accepted";
    // A refused install leaves the device running version 1, byte for byte.
    if (problem.empty() && args[1] == "install" && result.exit_code != 0 && !mutated_state) {
      std::string error;
      const auto status = ota::device_status(device.string(), &error);
      if (!status || status->version != 1 || testing::read_bytes(status->model_path) != running_model)
        problem = "a refused install changed the running model";
    }
    if (result.exit_code == 0 || mutated_state) reset_device();
    tally.add(c.description, result, problem);
  }
  EXPECT_EQ(tally.cases(), target);
  EXPECT_GT(tally.successes(), 0);
  tally.finish(seconds_since(start));
}

TEST(CliRobustness, OtaPackEndsCleanlyAndLeavesNoFileOnFailure) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("ota_pack");
  fs::create_directories(dir / "out");
  StdoutCapture capture;
  Tally tally("ota pack");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("ota pack options") ^ base_seed());
  const ota::testing::Keys keys = ota::testing::make_keys();
  const auto [key, pub] = write_keys(dir, keys);
  const fs::path out = dir / "out";
  const std::string model_path = (dir / "case.tflite").string(), output = (out / "p.eiota").string();
  const int target = std::max(1, cases_per_command() / 4);
  ModelCases cases("ota pack", 3 * target);
  static const char* const kVersions[] = {"1", "0", "-1", "4294967295", "4294967296", "7"};
  static const char* const kTargets[] = {"gw", "", "a b", "x/../y", "0123456789012345678901234567890123",
                                         "é"};
  for (int i = 0; i < cases.count() && tally.cases() < target; ++i) {
    const ModelCase c = cases.next(i);
    const Screening s = screen(c.bytes);
    if (s.loads && s.work > kRunWorkLimit / 4) {
      tally.skip();
      continue;
    }
    write_file(model_path, c.bytes);
    std::vector<std::string> args = {"ota",
                                     "pack",
                                     model_path,
                                     "--key",
                                     key,
                                     "--version",
                                     rng.chance(70) ? "3" : kVersions[rng.below(std::size(kVersions))],
                                     "--target",
                                     rng.chance(70) ? "gw" : kTargets[rng.below(std::size(kTargets))],
                                     "-o",
                                     output};
    if (rng.chance(20)) args.insert(args.end(), {"--fill", rng.chance(50) ? "lcg:7" : "lcg:x"});
    start_case("ota pack", i, c.description, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "ota", OutputKind::kText);
    const std::vector<std::string> left = files_in(out);
    if (problem.empty() && result.exit_code != 0 && !left.empty())
      problem = "failed, but left " + left.front();
    if (problem.empty() && result.exit_code == 0) {  // what pack wrote must verify
      const CliResult verified = run_cli({"ota", "verify", output, "--pub", pub}, capture);
      if (verified.exit_code != 0) problem = "wrote a package that does not verify: " + verified.error;
    }
    for (const auto& file : files_in(out)) fs::remove_all(out / file);
    tally.add(c.description, result, problem);
  }
  EXPECT_GT(tally.successes(), 0);
  EXPECT_GE(tally.cases(), std::min(400, target));
  tally.finish(seconds_since(start));
}

// ---- demo vibration ---------------------------------------------------------------------------------------

// Hostile option values: each ends at once with one line, or (a few valid combinations, kept tiny) runs.
TEST(CliRobustness, DemoVibrationEndsCleanlyOnHostileOptions) {
  install_crash_reporter();
  Watchdog watchdog("CLI");
  WorkDir dir("demo");
  StdoutCapture capture;
  Tally tally("demo vibration");
  const auto start = std::chrono::steady_clock::now();
  Rng rng(fnv1a("demo vibration") ^ base_seed());
  // Values for the floating-point options, and for --epochs (an integer option: only integers parse).
  static const char* const kNumbers[] = {"0",      "-1",   "nan",  "inf", "-inf", "1e308",
                                         "4e-320", "0.05", "1e-9", "336", "337",  "1000000"};
  static const char* const kIntegers[] = {"0", "-1", "1", "2", "1000", "1001", "2147483647"};
  static const char* const kOptions[] = {"--hours", "--speed", "--train-hours", "--report-every",
                                         "--flush-timeout"};
  static const char* const kBrokers[] = {"",        ":",
                                         "h:",      ":1",
                                         "[::1]",   "[::1]:0",
                                         "a:b:c",   "127.0.0.1:65536",
                                         "host:-1", "x:18446744073709551617"};
  static const char* const kDevices[] = {
      "",
      "a/b",
      "#",
      "+",
      "é",
      "x y",
      "0123456789012345678901234567890123456789012345678901234567890123456789"};
  // Valid values that would make a case run for minutes: --hours 336 (two simulated weeks), a --speed that
  // paces the run in real time, or 1000 epochs.
  static const std::set<std::string> kSlow = {"--hours 336",    "--speed 0.05",  "--speed 1e-9",
                                              "--speed 4e-320", "--epochs 1000", "--epochs 2147483647"};
  // A 30 -> 30 float autoencoder stand-in: FULLY_CONNECTED with 0.9 on the diagonal.
  const std::string ae_path = (dir / "ae.tflite").string();
  std::vector<float> diagonal(30 * 30, 0.0f);
  for (int k = 0; k < 30; ++k) diagonal[k * 30 + k] = 0.9f;
  write_file(ae_path, testing::float_fc_model(30, 30, diagonal));
  const int target = 120;
  for (int i = 0; i < target; ++i) {
    // A tiny valid run to start from: 0.02 simulated hours, 0.1 h of normal data, offline, and a model given
    // (--model: the demo would otherwise train one by running its own executable, which here is this test).
    std::vector<std::string> args = {"demo",    "vibration", "--hours",  "0.02", "--train-hours", "0.1",
                                     "--model", ae_path,     "--epochs", "1",    "--offline",     "--json"};
    std::string what;
    const uint64_t kind = i == 0 ? 100 : rng.below(100);
    // Sets an option, replacing its value when the base run has it (options parse once).
    auto set = [&args](const std::string& option, const std::string& value) {
      const auto at = std::find(args.begin(), args.end(), option);
      if (at != args.end()) args.erase(at, at + 2);
      args.insert(args.end(), {option, value});
    };
    if (kind < 40) {
      set(kOptions[rng.below(std::size(kOptions))], kNumbers[rng.below(std::size(kNumbers))]);
    } else if (kind < 50) {
      set("--epochs", kIntegers[rng.below(std::size(kIntegers))]);
    } else if (kind < 75) {
      args.erase(std::find(args.begin(), args.end(), "--offline"));
      args.insert(args.end(), {"--broker", kBrokers[rng.below(std::size(kBrokers))]});
    } else if (kind < 90) {
      args.insert(args.end(), {"--device", kDevices[rng.below(std::size(kDevices))]});
    } else if (kind < 95) {
      set("--model", (dir / "missing.tflite").string());
    }
    what = kind >= 95   ? "valid tiny run"
           : kind >= 90 ? "--model missing"
                        : args[args.size() - 2] + " " + args.back();
    if (kSlow.count(what)) {
      tally.skip();
      continue;
    }
    start_case("demo vibration", i, what, args);
    const CliResult result = run_cli(args, capture);
    g_case.active = false;
    std::string problem = check_result(result, "demo", OutputKind::kJson);
    if (problem.empty() && i == 0 && result.exit_code != 0)
      problem = "the valid tiny run failed: " + result.error;
    tally.add(what, result, problem);
  }
  EXPECT_GT(tally.successes(), 0);
  tally.finish(seconds_since(start));
}

}  // namespace
}  // namespace edgeinfer
