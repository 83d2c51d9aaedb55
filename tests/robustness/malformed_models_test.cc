// Malformed models must end in a clean error (a Status with a code and a message) or a clean run, never in a
// crash, a sanitizer report or a hang. TFLM crashed or hung in 213 of 660 such runs (it does not verify the
// flatbuffer); we run thousands per model.
//
// For every model in ../shared/models and a few builder-made models (so the suite means something without
// ../shared): truncations, random bytes after a valid prefix, and seeded single-byte mutations (uniform, and
// biased toward the flatbuffer structure rather than weight data). Each case is loaded, allocated in a
// bounded arena and, when cheap enough, invoked with LCG-filled inputs. Further tests cover random buffers
// and hand-made semantic errors (indices, shapes, sizes) written by ModelBuilder with its checks off.
//
// Everything is deterministic (fixed-seed PRNG). Environment:
//   EDGEINFER_MUTATIONS=N         mutations per model (default kDefaultMutations); invoke budgets scale along
//   EDGEINFER_ROBUSTNESS_SEED=S   another seed, to explore further
//   EDGEINFER_CASE_TIMEOUT=SEC    a case running longer is reported as a hang (default 60)
// A crashing or hanging case prints its description and writes its bytes to
// $TMPDIR/edgeinfer_robustness_crash_MODEL.tflite (replay it with the fuzzer binary or `edgeinfer run`).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/robustness/builder_models.h"
#include "tests/robustness/case_guard.h"
#include "tests/robustness/untrusted_model_runner.h"
#include "tests/support/shared_data.h"

// UBSan findings: a stack trace, and abort() so that the SIGABRT handler below names the case (GCC's UBSan
// runtime does not run AddressSanitizer's death callback).
extern "C" const char* __ubsan_default_options() {
  return "print_stacktrace=1:abort_on_error=1";
}

namespace edgeinfer {
namespace {

using robustness::base_seed;
using robustness::env_int;
using robustness::fnv1a;
using robustness::g_case;
using robustness::Rng;
using robustness::RunLimits;
using robustness::RunResult;
using robustness::Stage;
using robustness::Watchdog;
using robustness::write_stderr;

// ---- Settings ---------------------------------------------------------------------------------------------

// Sized so the whole suite stays within about 3 minutes in an ASan+UBSan build on 2 cores: measured 44 s of
// CPU, 98 s wall with `ctest -L robustness -j2` on a 2-core machine shared with other builds (about 125,000
// cases). The summary lines give counts and times per model.
constexpr int kDefaultMutations = 3000;
constexpr int kRandomTruncations = 30;
constexpr int kRandomTails = 16;
constexpr int kRandomBuffers = 3000;
// Constants up to this size are parameters (shapes, paddings, axes, perms) whose values steer kernels:
// mutations there count as structure. Larger constants are weights.
constexpr size_t kSmallConstantBytes = 64;
// Arenas up to 16 MiB: more than any real model here needs, so valid models are not refused for want of room.
constexpr RunLimits kLimits{64 << 10, 16 << 20};
// Invoke budgets, in estimate_work() units (about one per multiply-accumulate or element touched).
constexpr int64_t kCheapInvokeWork = 1'000'000;         // such models are invoked even for weight mutations
constexpr int64_t kStructureInvokeBudget = 60'000'000;  // per model, for mutations outside weight data
constexpr int64_t kWeightInvokeBudget = 10'000'000;     // per model, for weight mutations of cheap models

int mutations_per_model() {
  return env_int("EDGEINFER_MUTATIONS", kDefaultMutations);
}
double budget_scale() {
  return static_cast<double>(mutations_per_model()) / kDefaultMutations;
}

// ---- Crash and hang reporting -----------------------------------------------------------------------------

char g_crash_path[256] = "/tmp/edgeinfer_robustness_crash.tflite";  // set per test

void report_current_case() {
  if (!g_case.active.load()) return;
  write_stderr("\n*** malformed-model case in flight: ");
  write_stderr(g_case.description);
  write_stderr("\n");
  const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    size_t done = 0;
    while (done < g_case.size) {
      const ssize_t n = write(fd, g_case.bytes + done, g_case.size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
    write_stderr("*** its bytes are in ");
    write_stderr(g_crash_path);
    write_stderr("\n");
  }
}

// `name` names the file the crashing case's bytes go to (tests may run in parallel processes).
void install_crash_reporter(const std::string& name) {
  std::string file = name;
  for (char& c : file)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  const char* tmp = std::getenv("TMPDIR");
  snprintf(g_crash_path, sizeof(g_crash_path), "%s/edgeinfer_robustness_crash_%s.tflite",
           tmp && *tmp ? tmp : "/tmp", file.c_str());
  robustness::install_crash_reporter(report_current_case);
}

// ---- Models -----------------------------------------------------------------------------------------------

using compiler::ModelBuilder;
using compiler::QuantParams;

struct NamedModel {
  std::string name;
  std::filesystem::path path;  // empty for builder-made models
  std::vector<uint8_t> (*build)() = nullptr;
};

// Names the parameter in test listings (ctest shows it).
void PrintTo(const NamedModel& model, std::ostream* out) {
  *out << model.name;
}

std::vector<NamedModel> all_models() {
  std::vector<NamedModel> models;
  for (const auto& [name, build] : robustness::builder_models()) models.push_back({name, {}, build});
  const auto shared = testing::shared_models();
  if (shared.empty()) models.push_back({"shared_data_absent", {}, nullptr});
  for (const auto& path : shared) models.push_back({path.stem().string(), path, nullptr});
  return models;
}

// ---- Counting outcomes ------------------------------------------------------------------------------------

struct Counts {
  int64_t cases = 0;
  int64_t load_errors = 0;
  int64_t allocate_errors = 0;
  int64_t invoke_errors = 0;
  int64_t runs_invoked = 0;     // allocated and invoked cleanly
  int64_t invokes_skipped = 0;  // allocated cleanly; invoke skipped (work budget, or an input type LCG lacks)
  double seconds = 0;

  int64_t clean_errors() const { return load_errors + allocate_errors + invoke_errors; }
  int64_t clean_runs() const { return runs_invoked + invokes_skipped; }
  void add(const Counts& other) {
    cases += other.cases;
    load_errors += other.load_errors;
    allocate_errors += other.allocate_errors;
    invoke_errors += other.invoke_errors;
    runs_invoked += other.runs_invoked;
    invokes_skipped += other.invokes_skipped;
    seconds += other.seconds;
  }
  std::string summary() const {
    char text[320];
    snprintf(text, sizeof(text),
             "%" PRId64 " cases: %" PRId64 " clean errors (load %" PRId64 ", allocate %" PRId64
             ", invoke %" PRId64 "), %" PRId64 " clean runs (%" PRId64 " invoked, %" PRId64
             " invokes skipped), %.1f s",
             cases, clean_errors(), load_errors, allocate_errors, invoke_errors, clean_runs(), runs_invoked,
             invokes_skipped, seconds);
    return text;
  }
};

// Totals over the tests run in this process, printed at the end.
Counts g_totals;
class TotalsPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_totals.cases > 0) std::printf("[ robustness ] total: %s\n", g_totals.summary().c_str());
  }
};
const auto* const g_totals_printer = ::testing::AddGlobalTestEnvironment(new TotalsPrinter);

// Runs cases, counts outcomes, and collects (a bounded number of) failure descriptions.
class CaseRunner {
 public:
  explicit CaseRunner(std::string model_name)
      : model_name_(std::move(model_name)),
        structure_budget_left_(static_cast<int64_t>(kStructureInvokeBudget * budget_scale())),
        weight_budget_left_(static_cast<int64_t>(kWeightInvokeBudget * budget_scale())) {
    install_crash_reporter(model_name_);
  }

  // Runs a copy of `bytes` in memory of exactly its size.
  RunResult run(const std::string& description, const uint8_t* bytes, size_t size) {
    robustness::ExactBuffer copy(size);
    if (size > 0) std::memcpy(copy.data(), bytes, size);
    bool wrote_model_bytes;
    return run_in_place(description, copy.data(), size, false, &wrote_model_bytes);
  }
  RunResult run(const std::string& description, const std::vector<uint8_t>& bytes) {
    return run(description, bytes.data(), bytes.size());
  }

  // Runs the model in `bytes` (16-byte aligned) without copying it. `in_weights`: the case differs from a
  // valid model only in weight data, so the structure is unchanged. `wrote_model_bytes`: an input was a
  // constant tensor and received the LCG values, so the bytes changed.
  RunResult run_in_place(const std::string& description, uint8_t* bytes, size_t size, bool in_weights,
                         bool* wrote_model_bytes) {
    snprintf(g_case.description, sizeof(g_case.description), "model %s, %s (%zu bytes)", model_name_.c_str(),
             description.c_str(), size);
    g_case.bytes = bytes;
    g_case.size = size;
    g_case.serial.fetch_add(1);
    g_case.active = true;

    // Structure mutations may change what the model computes: invoke them within a budget. Weight mutations
    // only change numbers: invoke them only for cheap models.
    auto policy = [&](const Model&, int64_t work) {
      if (!in_weights && work <= structure_budget_left_) {
        structure_budget_left_ -= work;
        return true;
      }
      if (work <= kCheapInvokeWork && work <= weight_budget_left_) {
        weight_budget_left_ -= work;
        return true;
      }
      return false;
    };
    const RunResult result =
        robustness::run_model_bytes(bytes, size, resolver(), kLimits, policy, &arenas_, wrote_model_bytes);
    g_case.active = false;

    ++counts_.cases;
    if (result.contract_violation) {
      fail(description, std::string("runtime contract broken: ") + result.status.message());
    } else if (result.stage != Stage::kDone) {
      if (!robustness::is_clean_error(result.status))
        fail(description,
             std::string(robustness::stage_name(result.stage)) + " failed without a proper code and message");
      switch (result.stage) {
        case Stage::kLoad: ++counts_.load_errors; break;
        case Stage::kAllocate: ++counts_.allocate_errors; break;
        default: ++counts_.invoke_errors; break;
      }
    } else if (result.invoked) {
      ++counts_.runs_invoked;
    } else {
      ++counts_.invokes_skipped;
    }
    return result;
  }

  void fail(const std::string& description, const std::string& what) {
    ++failures_;
    if (failure_text_.size() < 10) failure_text_.push_back(description + ": " + what);
  }

  // Records the counts as test properties, prints the summary line and checks that nothing failed.
  void finish(double seconds) {
    counts_.seconds = seconds;
    g_totals.add(counts_);
    ::testing::Test::RecordProperty("cases", static_cast<int>(counts_.cases));
    ::testing::Test::RecordProperty("clean_errors", static_cast<int>(counts_.clean_errors()));
    ::testing::Test::RecordProperty("clean_runs", static_cast<int>(counts_.clean_runs()));
    ::testing::Test::RecordProperty("invoked", static_cast<int>(counts_.runs_invoked));
    ::testing::Test::RecordProperty("invokes_skipped", static_cast<int>(counts_.invokes_skipped));
    std::printf("[ robustness ] %s: %s\n", model_name_.c_str(), counts_.summary().c_str());
    std::string listing;
    for (const std::string& text : failure_text_) listing += "\n  " + text;
    EXPECT_EQ(failures_, 0) << failures_ << " cases did not end cleanly; the first:" << listing;
  }

  const Counts& counts() const { return counts_; }

 private:
  static const OpResolver& resolver() {
    static const AllOpsResolver* const kResolver = new AllOpsResolver();
    return *kResolver;
  }

  std::string model_name_;
  Counts counts_;
  int64_t failures_ = 0;
  std::vector<std::string> failure_text_;
  int64_t structure_budget_left_;
  int64_t weight_budget_left_;
  robustness::ArenaPool arenas_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Byte ranges of weight data (constants larger than kSmallConstantBytes) in a loaded model, sorted, merged.
std::vector<std::pair<size_t, size_t>> weight_ranges(const Model& model) {
  std::vector<std::pair<size_t, size_t>> ranges;
  for (int t = 0; t < model.num_tensors(); ++t) {
    const Tensor tensor = model.tensor(t);
    if (!tensor.is_constant || tensor.bytes <= kSmallConstantBytes) continue;
    const size_t start = static_cast<size_t>(static_cast<const uint8_t*>(tensor.data) - model.bytes());
    ranges.push_back({start, start + tensor.bytes});
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, range.second);
    else
      merged.push_back(range);
  }
  return merged;
}

// Picks uniformly among the bytes outside `weights` (the flatbuffer structure and small parameters).
class StructurePositions {
 public:
  StructurePositions(size_t size, const std::vector<std::pair<size_t, size_t>>& weights) {
    size_t cursor = 0;
    for (const auto& range : weights) {
      if (range.first > cursor) add(cursor, range.first);
      cursor = std::max(cursor, range.second);
    }
    if (size > cursor) add(cursor, size);
  }
  size_t count() const { return total_; }
  size_t pick(Rng& rng) const {
    size_t k = rng.below(total_);
    for (const auto& [start, length] : spans_) {
      if (k < length) return start + k;
      k -= length;
    }
    return 0;
  }

 private:
  void add(size_t begin, size_t end) {
    spans_.push_back({begin, end - begin});
    total_ += end - begin;
  }
  std::vector<std::pair<size_t, size_t>> spans_;
  size_t total_ = 0;
};

bool inside(const std::vector<std::pair<size_t, size_t>>& ranges, size_t position) {
  for (const auto& [begin, end] : ranges)
    if (position >= begin && position < end) return true;
  return false;
}

// ---- Per-model test ---------------------------------------------------------------------------------------

class MalformedModelTest : public ::testing::TestWithParam<NamedModel> {};

TEST_P(MalformedModelTest, TruncationsRandomTailsAndMutationsEndCleanly) {
  const NamedModel& param = GetParam();
  std::vector<uint8_t> original;
  if (param.build) {
    original = param.build();
  } else {
    EI_REQUIRE_SHARED_DIR(shared);
    original = testing::read_bytes(param.path);
    ASSERT_FALSE(original.empty()) << "cannot read " << param.path;
  }
  Watchdog watchdog("malformed-model");
  const auto start = std::chrono::steady_clock::now();
  CaseRunner runner(param.name);
  const size_t size = original.size();

  // The unmodified model must load: otherwise the mutations below would test nothing but the verifier's first
  // check. Its allocate may fail cleanly (kernels still missing).
  robustness::ExactBuffer pristine(size);
  std::memcpy(pristine.data(), original.data(), size);
  Model model;
  const Status loaded = Model::from_bytes(pristine.data(), size, &model);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  const auto weights = weight_ranges(model);
  const StructurePositions structure(size, weights);
  // A valid model must run, or be refused only as unsupported (an op without a kernel yet, custom ops,
  // hybrid models): anything else means the harness or the runtime rejects valid models.
  const RunResult unmodified = runner.run("unmodified", original);
  EXPECT_TRUE(unmodified.stage == Stage::kDone || unmodified.status.code() == StatusCode::kUnsupported)
      << "unmodified model: " << robustness::stage_name(unmodified.stage) << ": "
      << unmodified.status.message();
  std::printf("[ robustness ] %s unmodified: %s\n", param.name.c_str(),
              unmodified.stage == Stage::kDone ? (unmodified.invoked ? "ran" : "allocated (invoke skipped)")
                                               : unmodified.status.message());

  Rng rng(fnv1a(param.name) ^ base_seed());
  char description[160];

  // (a) Truncations: fixed lengths, then seeded random ones.
  std::vector<size_t> lengths = {0, 1, 4, 7, 8, 16, 100, size / 2, size - 1};
  for (int i = 0; i < kRandomTruncations; ++i) lengths.push_back(rng.below(size));
  for (size_t length : lengths) {
    if (length >= size) continue;
    snprintf(description, sizeof(description), "truncated to %zu", length);
    const RunResult result = runner.run(description, original.data(), length);
    if (length < 8) EXPECT_EQ(result.stage, Stage::kLoad) << description << " loaded";
  }

  // Cases (b) and (c) modify a copy in place (copying megabytes per case would dominate the time) and
  // restore it after each case.
  robustness::ExactBuffer working(size);
  std::memcpy(working.data(), original.data(), size);
  bool wrote_model_bytes;

  // (b) A valid prefix followed by random bytes.
  for (int i = 0; i < kRandomTails; ++i) {
    const size_t prefix = 8 + rng.below(std::min<size_t>(size - 8, 512));
    for (size_t b = prefix; b < size; ++b) working.data()[b] = rng.byte();
    snprintf(description, sizeof(description), "random bytes after the first %zu", prefix);
    runner.run_in_place(description, working.data(), size, false, &wrote_model_bytes);
    std::memcpy(working.data(), original.data(), size);
  }

  // (c) Single-byte mutations: 40% anywhere, 60% in the structure (everything but weight data); new values
  // random, one flipped bit, or boundary values.
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x02, 0x04, 0x10, 0x40, 0x7F, 0x80, 0xFE, 0xFF};
  const int mutations = mutations_per_model();
  for (int i = 0; i < mutations; ++i) {
    const bool anywhere = rng.below(10) < 4 || structure.count() == 0;
    const size_t position = anywhere ? rng.below(size) : structure.pick(rng);
    const uint8_t old_value = original[position];
    uint8_t value;
    const uint64_t kind = rng.below(20);
    if (kind < 10) {
      value = rng.byte();
    } else if (kind < 13) {
      value = old_value ^ static_cast<uint8_t>(1u << rng.below(8));
    } else if (kind < 15) {
      value = static_cast<uint8_t>(old_value + (rng.below(2) ? 1 : -1));
    } else {
      value = kInteresting[rng.below(sizeof(kInteresting))];
    }
    if (value == old_value) value = static_cast<uint8_t>(old_value ^ 0x80);
    working.data()[position] = value;
    snprintf(description, sizeof(description), "mutation %d (seed %" PRIu64 "): byte %zu 0x%02x -> 0x%02x", i,
             base_seed(), position, old_value, value);
    const RunResult result =
        runner.run_in_place(description, working.data(), size, inside(weights, position), &wrote_model_bytes);
    // The file identifier "TFL3" is checked exactly.
    if (position >= 4 && position < 8) EXPECT_EQ(result.stage, Stage::kLoad) << description << " loaded";
    working.data()[position] = old_value;
    if (wrote_model_bytes) std::memcpy(working.data(), original.data(), size);
  }

  EXPECT_EQ(runner.counts().cases,
            1 +
                static_cast<int64_t>(
                    std::count_if(lengths.begin(), lengths.end(), [&](size_t l) { return l < size; })) +
                kRandomTails + mutations);
  runner.finish(seconds_since(start));
}

INSTANTIATE_TEST_SUITE_P(Models, MalformedModelTest, ::testing::ValuesIn(all_models()),
                         [](const auto& info) { return info.param.name; });

// ---- Random buffers ---------------------------------------------------------------------------------------

TEST(MalformedModels, RandomBuffersEndCleanly) {
  Watchdog watchdog("malformed-model");
  const auto start = std::chrono::steady_clock::now();
  CaseRunner runner("random buffers");
  Rng rng(0x52414E44ull ^ base_seed());
  const int count = static_cast<int>(kRandomBuffers * budget_scale());
  char description[160];
  for (int i = 0; i < count; ++i) {
    const size_t size = rng.below(8) == 0 ? rng.below(65536) : rng.below(2048);
    std::vector<uint8_t> bytes(size);
    // Bytes biased toward small values in the structured variants, so that offsets and lengths often land
    // inside the buffer.
    const uint64_t kind = rng.below(3);
    for (auto& b : bytes)
      b = kind == 2 && rng.below(4) != 0 ? static_cast<uint8_t>(rng.below(16)) : rng.byte();
    const bool identified = kind != 0 && size >= 8;
    if (identified) {
      std::memcpy(bytes.data() + 4, "TFL3", 4);
      const uint32_t root = static_cast<uint32_t>(4 * rng.below(std::max<size_t>(size / 4, 1)));
      for (int b = 0; b < 4; ++b) bytes[b] = static_cast<uint8_t>(root >> (8 * b));
    }
    snprintf(description, sizeof(description), "random buffer %d (seed %" PRIu64 ", kind %d)", i, base_seed(),
             static_cast<int>(kind));
    const RunResult result = runner.run(description, bytes);
    const bool has_identifier = size >= 8 && std::memcmp(bytes.data() + 4, "TFL3", 4) == 0;
    if (!has_identifier) EXPECT_EQ(result.stage, Stage::kLoad) << description << " loaded";
  }
  EXPECT_EQ(runner.counts().cases, count);
  runner.finish(seconds_since(start));
}

// ---- Hand-made semantic errors ----------------------------------------------------------------------------

// One malformed model per entry, written by ModelBuilder with its checks off; `must_fail`: the runtime must
// report an error (at any stage) rather than run it.
struct MalformedCase {
  const char* name;
  bool must_fail;
  void (*describe)(ModelBuilder& b);
};

// A PAD graph (a kernel that is registered) with a hook to break one thing.
void pad_graph(ModelBuilder& b, std::vector<int32_t> in_shape, std::vector<int32_t> out_shape,
               std::vector<int32_t> paddings = {0, 0, 1, 1, 1, 1, 0, 0}) {
  const int in = b.add_tensor(DataType::kFloat32, std::move(in_shape));
  const int pads =
      b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(paddings.size() / 2), 2}, paddings);
  const int out = b.add_tensor(DataType::kFloat32, std::move(out_shape));
  b.add_op(BuiltinOp::kPad, {in, pads}, {out}, tflite::BuiltinOptions::PadOptions);
  b.set_inputs({in});
  b.set_outputs({out});
}

const MalformedCase kMalformedCases[] = {
    {"op input index past the tensor table", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       const int out = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(BuiltinOp::kRelu, {in + 7}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"op input index -2", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       const int out = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(BuiltinOp::kRelu, {-2}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"op output index past the tensor table", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(BuiltinOp::kRelu, {in}, {5});
       b.set_inputs({in});
       b.set_outputs({in});
     }},
    {"model input index past the tensor table", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 5, 5, 1});
       b.set_inputs({100});
     }},
    {"model output index negative", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 5, 5, 1});
       b.set_outputs({-1});
     }},
    {"constant data shorter than its shape", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       const int w = b.add_constant<float>(DataType::kFloat32, {3, 4}, {1, 2, 3});
       const int out = b.add_tensor(DataType::kFloat32, {1, 3});
       b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out},
                tflite::BuiltinOptions::FullyConnectedOptions);
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"negative dimension", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, -3, 3, 1}, {1, 5, 5, 1});
     }},
    {"rank 7", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 1, 1, 1, 1, 3, 3}, {1, 5, 5, 1});
     }},
    {"tensor larger than 2 GiB", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 65536, 65536, 1}, {1, 65538, 65538, 1});
     }},
    // A zero dimension makes the byte size 0 whatever the other dimensions are, but kernels multiply the
    // other dimensions (strides, inner sizes): the loader bounds their product too.
    {"zero dimension before huge ones", true,
     [](ModelBuilder& b) {
       pad_graph(b, {0, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF}, {0, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF},
                 {0, 0, 0, 0, 0, 0, 0, 0});
     }},
    {"zero dimension with huge padding", true,
     [](ModelBuilder& b) {
       pad_graph(b, {0, 0, 3, 1}, {0, 0x40000000, 5, 1}, {0, 0, 0x20000000, 0x20000000, 1, 1, 0, 0});
     }},
    {"per-channel scale count differs from the dimension", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.1f, 0));
       const int w = b.add_constant<int8_t>(DataType::kInt8, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8},
                                            QuantParams::per_channel({0.1f, 0.2f, 0.3f}, {0, 0, 0}, 0));
       const int out = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0));
       b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out},
                tflite::BuiltinOptions::FullyConnectedOptions);
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"quantized dimension outside the rank", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.1f, 0));
       const int w = b.add_constant<int8_t>(DataType::kInt8, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8},
                                            QuantParams::per_channel({0.1f, 0.2f}, {0, 0}, 5));
       const int out = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0));
       b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out},
                tflite::BuiltinOptions::FullyConnectedOptions);
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"zero point count differs from scale count", true,
     [](ModelBuilder& b) {
       QuantParams quant = QuantParams::per_tensor(0.1f, 0);
       quant.zero_points = {0, 1};
       const int in = b.add_tensor(DataType::kInt8, {1, 4}, quant);
       const int out = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.1f, 0));
       b.add_op(BuiltinOp::kRelu, {in}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    // Kernels compute (q - zero_point) * ... in int32: a zero point outside the type would overflow it.
    {"int8 zero point outside int8", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.1f, 1000));
       const int out = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.1f, 0));
       b.add_op(BuiltinOp::kRelu, {in}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"int16 zero point outside int16", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kInt16, {1, 4}, QuantParams::per_tensor(0.1f, 0));
       const int out = b.add_tensor(DataType::kInt16, {1, 4}, QuantParams::per_tensor(0.1f, -40000));
       b.add_op(BuiltinOp::kRelu, {in}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"op without outputs", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(BuiltinOp::kRelu, {in}, {});
       b.set_inputs({in});
       b.set_outputs({in});
     }},
    {"op writes a constant", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int pads = b.add_constant<int32_t>(DataType::kInt32, {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
       b.add_op(BuiltinOp::kPad, {in, pads}, {pads}, tflite::BuiltinOptions::PadOptions);
       b.set_inputs({in});
       b.set_outputs({pads});
     }},
    {"unknown builtin code", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       const int out = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(static_cast<BuiltinOp>(4000), {in}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"custom op without a name", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 4});
       const int out = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_custom_op("", {in}, {out});
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"op reads a tensor nothing writes", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int orphan = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int pads = b.add_constant<int32_t>(DataType::kInt32, {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
       const int out = b.add_tensor(DataType::kFloat32, {1, 5, 5, 1});
       b.add_op(BuiltinOp::kPad, {orphan, pads}, {out}, tflite::BuiltinOptions::PadOptions);
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"ops in a cycle", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int a = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int c = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
       const int pads = b.add_constant<int32_t>(DataType::kInt32, {4, 2}, {0, 0, 0, 0, 0, 0, 0, 0});
       b.add_op(BuiltinOp::kPad, {c, pads}, {a}, tflite::BuiltinOptions::PadOptions);
       b.add_op(BuiltinOp::kPad, {a, pads}, {c}, tflite::BuiltinOptions::PadOptions);
       b.set_inputs({in});
       b.set_outputs({c});
     }},
    {"model output nothing writes", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 5, 5, 1});
       b.add_tensor(DataType::kFloat32, {1, 2});
       b.set_outputs({3});
     }},
    {"pad output shape disagrees with paddings", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 4, 5, 1});
     }},
    {"paddings for the wrong rank", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 5, 5, 1}, {1, 1, 1, 1, 0, 0});
     }},
    {"negative padding", true,
     [](ModelBuilder& b) {
       pad_graph(b, {1, 3, 3, 1}, {1, 1, 5, 1}, {0, 0, -1, -1, 1, 1, 0, 0});
     }},
    {"fully connected weights disagree with the input", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 5});
       const int w = b.add_constant<float>(DataType::kFloat32, {3, 4}, std::vector<float>(12, 1.0f));
       const int out = b.add_tensor(DataType::kFloat32, {1, 3});
       b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out},
                tflite::BuiltinOptions::FullyConnectedOptions);
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"conv filter deeper than the input", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 5, 5, 2});
       const int w = b.add_constant<float>(DataType::kFloat32, {4, 3, 3, 3}, std::vector<float>(108, 0.5f));
       const int out = b.add_tensor(DataType::kFloat32, {1, 3, 3, 4});
       b.add_op(BuiltinOp::kConv2D, {in, w, -1}, {out}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
         return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
       });
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"conv stride 0", true,
     [](ModelBuilder& b) {
       const int in = b.add_tensor(DataType::kFloat32, {1, 5, 5, 2});
       const int w = b.add_constant<float>(DataType::kFloat32, {4, 3, 3, 2}, std::vector<float>(72, 0.5f));
       const int out = b.add_tensor(DataType::kFloat32, {1, 3, 3, 4});
       b.add_op(BuiltinOp::kConv2D, {in, w, -1}, {out}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
         return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 0, 0).Union();
       });
       b.set_inputs({in});
       b.set_outputs({out});
     }},
    {"add with mismatched shapes that do not broadcast", true,
     [](ModelBuilder& b) {
       const int a = b.add_tensor(DataType::kFloat32, {1, 3});
       const int c = b.add_tensor(DataType::kFloat32, {1, 4});
       const int out = b.add_tensor(DataType::kFloat32, {1, 4});
       b.add_op(BuiltinOp::kAdd, {a, c}, {out}, tflite::BuiltinOptions::AddOptions);
       b.set_inputs({a, c});
       b.set_outputs({out});
     }},
};

TEST(MalformedModels, HandMadeSemanticErrorsEndCleanly) {
  Watchdog watchdog("malformed-model");
  CaseRunner runner("hand-made");
  const auto start = std::chrono::steady_clock::now();
  for (const MalformedCase& c : kMalformedCases) {
    ModelBuilder b;
    b.set_checks(false);
    c.describe(b);
    const RunResult result = runner.run(c.name, b.finish());
    if (c.must_fail) EXPECT_NE(result.stage, Stage::kDone) << c.name << ": ran as if valid";
  }
  runner.finish(seconds_since(start));
}

}  // namespace
}  // namespace edgeinfer
