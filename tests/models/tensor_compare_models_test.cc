// `edgeinfer compare` and its library on real models: every intermediate tensor of shared models that match
// TFLM compares equal to TFLM's dump (shared/golden/tflm-tensors), and the subcommand's output and exit codes
// (run in-process, on builder-made models, so these need no shared data).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "compiler/tensor_compare.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tools/edgeinfer/commands.h"

namespace edgeinfer {
namespace {

// ---- Shared models that match TFLM: zero departures, every tensor TFLM dumped compared ----

struct MatchingModel {
  const char* path;  // below shared/models
  int tensors;       // tensors.tsv lines: all of them are compared
  int skipped;       // skipped.tsv lines
};

void PrintTo(const MatchingModel& m, std::ostream* os) {
  *os << m.path;
}

class MatchingSharedModelTest : public ::testing::TestWithParam<MatchingModel> {};

TEST_P(MatchingSharedModelTest, EveryTensorMatchesTflm) {
  EI_REQUIRE_SHARED_DIR(shared);
  const MatchingModel& m = GetParam();
  const std::filesystem::path model_path = shared / "models" / m.path;
  const std::string stem = model_path.stem().string();
  const std::filesystem::path golden = shared / "golden" / "tflm-tensors" / (stem + ".seed12345");
  if (!std::filesystem::is_directory(golden)) GTEST_SKIP() << golden << " absent";
  host::LoadedModel loaded;
  const Status status = loaded.load_file(model_path.string());
  ASSERT_TRUE(status.is_ok()) << status.message();
  AllOpsResolver resolver;
  std::string error;
  const auto report = host::compare_with_golden(loaded.model(), resolver, golden, 12345, &error);
  ASSERT_TRUE(report) << error;
  ASSERT_TRUE(report->matches()) << host::describe_first_departure(*report);
  EXPECT_EQ(report->first_departure(), nullptr);
  EXPECT_EQ(report->tensors_differing, 0);
  EXPECT_EQ(report->ops_departing, 0);
  EXPECT_EQ(report->tensors_compared, m.tensors);
  EXPECT_EQ(report->skipped, m.skipped);
  EXPECT_EQ(report->not_in_golden, 0);
  EXPECT_EQ(report->num_ops, loaded.model().num_ops());
}

// person_detect: 31 int8 ops; hello_world_int8: the smallest; trained_lstm_int8: LSTM state tensors (-2) and
// skipped intermediates; keyword_scrambled: SVDF state, int16 and int32 tensors; vww_96_float: float32;
// audio_preprocessor_int8: custom Signal ops with uint32 and uint64 tensors.
INSTANTIATE_TEST_SUITE_P(Models, MatchingSharedModelTest,
                         ::testing::Values(MatchingModel{"tflm/person_detect.tflite", 32, 0},
                                           MatchingModel{"tflm/hello_world_int8.tflite", 4, 0},
                                           MatchingModel{"tflm/trained_lstm_int8.tflite", 7, 5},
                                           MatchingModel{"tflm/keyword_scrambled.tflite", 23, 0},
                                           MatchingModel{"mlperf_tiny/vww_96_float.tflite", 32, 0},
                                           MatchingModel{"tflm/audio_preprocessor_int8.tflite", 25, 0}),
                         [](const auto& info) {
                           return std::filesystem::path(info.param.path).stem().string();
                         });

// ---- The subcommand, in-process ----

struct CliResult {
  int exit_code = -1;
  std::string out;    // stdout (or help text)
  std::string error;  // the one-line error main() prints: "edgeinfer compare: error: ..."
};

CliResult run_compare(const std::vector<std::string>& args) {
  CLI::App app;
  const cli::Command command = cli::add_compare_command(app);
  std::vector<std::string> all = {"edgeinfer", "compare"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : all) argv.push_back(arg.data());
  CliResult result;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    result.exit_code = app.exit(e, out, err);
    result.out = out.str();
    result.error = err.str();
    return result;
  }
  ::testing::internal::CaptureStdout();
  const cli::ActionOutcome outcome = cli::perform_action(command);  // what main() does
  result.out = ::testing::internal::GetCapturedStdout();
  result.exit_code = outcome.exit_code;
  result.error = outcome.error;
  return result;
}

class CompareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("edgeinfer_compare_cli_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    build("sum");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // int8 ADD then float DEQUANTIZE (one integer and one float op), with our run as its golden dir.
  void build(const std::string& sum_name) {
    compiler::ModelBuilder b;
    const int in = b.add_tensor(DataType::kInt8, {1, 6}, compiler::QuantParams::per_tensor(0.5f, 0), "in");
    const int c = b.add_constant<int8_t>(DataType::kInt8, {1, 6}, {1, 2, 3, -4, -5, 6},
                                         compiler::QuantParams::per_tensor(0.5f, 0), "c");
    const int sum =
        b.add_tensor(DataType::kInt8, {1, 6}, compiler::QuantParams::per_tensor(1.0f, 0), sum_name);
    b.add_op(BuiltinOp::kAdd, {in, c}, {sum}, tflite::BuiltinOptions::AddOptions,
             [](auto& fbb) { return tflite::CreateAddOptions(fbb).Union(); });
    const int out = b.add_tensor(DataType::kFloat32, {1, 6}, {}, "out");
    b.add_op(BuiltinOp::kDequantize, {sum}, {out});
    b.set_inputs({in});
    b.set_outputs({out});
    const std::vector<uint8_t> bytes = b.finish();
    model_ = dir_ / "model.tflite";
    std::ofstream(model_, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ASSERT_TRUE(loaded_.load_bytes(bytes.data(), bytes.size()).is_ok());
    golden_ = dir_ / "golden";
    host::CapturedRun run;
    AllOpsResolver resolver;
    ASSERT_TRUE(host::capture_run(loaded_.model(), resolver, 12345, &run).is_ok());
    std::string error;
    ASSERT_TRUE(host::write_golden_dir(loaded_.model(), run, golden_, &error)) << error;
    sum_ = std::vector<int8_t>(run.tensors.at(2).begin(), run.tensors.at(2).end());
  }

  // Changes `sum` (tensor 2, written by op 0) in the golden at index 4 by 2.
  void alter_golden() {
    std::vector<int8_t> golden = sum_;
    golden[4] = static_cast<int8_t>(golden[4] > 0 ? golden[4] - 2 : golden[4] + 2);
    std::ofstream(golden_ / "t002.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(golden.data()), 6);
    altered_ = golden[4];
  }

  std::filesystem::path dir_, model_, golden_;
  host::LoadedModel loaded_;
  std::vector<int8_t> sum_;
  int altered_ = 0;
};

TEST_F(CompareCliTest, MatchingRunExitsZero) {
  const CliResult result = run_compare({model_.string(), "--golden", golden_.string()});
  EXPECT_EQ(result.exit_code, 0) << result.error;
  EXPECT_EQ(result.out,
            "compared 3 tensors of 2 ops with TFLM's: 0 differ in 0 ops, 0 not in the golden set, 0 skipped\n"
            "all 3 tensors match TFLM's\n");
  EXPECT_EQ(run_compare({model_.string(), "--golden", golden_.string(), "--kernels", "optimized"}).exit_code,
            0);
}

TEST_F(CompareCliTest, DepartingRunNamesTheFirstOpAndExitsOne) {
  alter_golden();
  const CliResult result =
      run_compare({model_.string(), "--golden", golden_.string(), "--fill", "lcg:12345"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.error, "");
  const std::string expected_first =
      "first departs at op 0 (ADD): tensor 2 'sum', 1 of 6 values differ, max |diff| 2, "
      "first at [4]: ours " +
      std::to_string(sum_[4]) + ", TFLM " + std::to_string(altered_) + "\n";
  EXPECT_NE(result.out.find(expected_first), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("DIFFER"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("DEQUANTIZE"), std::string::npos)
      << "only the first departing op: " << result.out;

  const CliResult all = run_compare({model_.string(), "--golden", golden_.string(), "--all"});
  EXPECT_EQ(all.exit_code, 1);
  EXPECT_NE(all.out.find("op  -1 inputs"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("op   1 DEQUANTIZE           tensor 3 'out' float32 [1,6]: match (6 values)"),
            std::string::npos)
      << all.out;
}

TEST_F(CompareCliTest, JsonHasTheFirstDepartureAndEveryOpWithAll) {
  alter_golden();
  const CliResult result = run_compare({model_.string(), "--golden", golden_.string(), "--json"});
  EXPECT_EQ(result.exit_code, 1);
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["matches"], false);
  EXPECT_EQ(json["seed"], 12345);
  EXPECT_EQ(json["tensors_compared"], 3);
  EXPECT_EQ(json["tensors_differing"], 1);
  const auto& first = json["first_departure"];
  EXPECT_EQ(first["op"], 0);
  EXPECT_EQ(first["op_name"], "ADD");
  EXPECT_EQ(first["tensor"], 2);
  EXPECT_EQ(first["name"], "sum");
  EXPECT_EQ(first["type"], "int8");
  EXPECT_EQ(first["values"], 6);
  EXPECT_EQ(first["differing"], 1);
  EXPECT_EQ(first["max_abs_diff"], 2);
  EXPECT_EQ(first["first_index"], 4);
  EXPECT_EQ(first["ours"], sum_[4]);
  EXPECT_EQ(first["tflm"], altered_);
  ASSERT_EQ(json["ops"].size(), 1u);

  const CliResult all = run_compare({model_.string(), "--golden", golden_.string(), "--json", "--all"});
  const auto every = nlohmann::json::parse(all.out);
  ASSERT_EQ(every["ops"].size(), 3u);  // the inputs and two ops
  EXPECT_EQ(every["ops"][2]["op_name"], "DEQUANTIZE");
  EXPECT_EQ(every["ops"][2]["departs"], false);
  EXPECT_EQ(every["ops"][2]["tensors"][0]["outcome"], "match");
}

TEST_F(CompareCliTest, NamesFromTheModelAreEscapedInTextAndValidInJson) {
  build("sum\n\x1b[31m\xff");
  alter_golden();
  const CliResult text = run_compare({model_.string(), "--golden", golden_.string(), "--all"});
  EXPECT_EQ(text.exit_code, 1) << text.error;
  EXPECT_NE(
      text.out.find("first departs at op 0 (ADD): tensor 2 'sum\\n\\x1B[31m\\xFF', 1 of 6 values differ"),
      std::string::npos)
      << text.out << text.error;
  // The summary, the first departure, and one line per tensor (inputs, ADD, DEQUANTIZE).
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 5) << text.out;
  EXPECT_EQ(text.out.find('\x1b'), std::string::npos);

  const CliResult json = run_compare({model_.string(), "--golden", golden_.string(), "--json"});
  EXPECT_EQ(json.exit_code, 1);
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["first_departure"]["name"], "sum\n\x1b[31m\xef\xbf\xbd");  // invalid UTF-8 as U+FFFD
}

TEST_F(CompareCliTest, ErrorsAreOneLineAndExitOne) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{model_.string(), "--golden", (dir_ / "absent").string()}, "absent: no such directory"},
      {{model_.string(), "--golden", golden_.string(), "--fill", "random"}, "--fill must be lcg:SEED"},
      {{model_.string(), "--golden", golden_.string(), "--kernels", "fast"}, "--kernels fast: expected"},
      {{(dir_ / "missing.tflite").string(), "--golden", golden_.string()}, "missing.tflite: cannot open"},
      {{model_.string(), "--golden", model_.string()}, "model.tflite: not a directory"},
  };
  for (const Case& c : cases) {
    const CliResult result = run_compare(c.args);
    EXPECT_EQ(result.exit_code, 1) << c.expected;
    EXPECT_EQ(result.error.rfind("edgeinfer compare: error: ", 0), 0u) << result.error;
    EXPECT_NE(result.error.find(c.expected), std::string::npos) << result.error;
    EXPECT_EQ(result.error.find('\n'), std::string::npos) << result.error;
    EXPECT_EQ(result.out, "");
  }
  std::ofstream(golden_ / "tensors.tsv") << "0\tin\n";
  const CliResult bad = run_compare({model_.string(), "--golden", golden_.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.error.find("tensors.tsv line 1: expected 6 tab-separated fields"), std::string::npos)
      << bad.error;
  // --golden is required.
  EXPECT_NE(run_compare({model_.string()}).exit_code, 0);
}

TEST_F(CompareCliTest, HelpDescribesEveryOption) {
  const CliResult help = run_compare({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option :
       {"MODEL", "--golden", "--fill", "--json", "--all", "--kernels", "first op that departs"})
    EXPECT_NE(help.out.find(option), std::string::npos) << option << "\n" << help.out;
}

}  // namespace
}  // namespace edgeinfer
