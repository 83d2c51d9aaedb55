// `edgeinfer compare A.tflite B.tflite`: two models on the same float inputs (--fill, --input, --dataset),
// the figures in text and JSON, and one-line errors. Real float/int8 twins from ../shared when present.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "compiler/npy.h"
#include "tests/support/shared_data.h"
#include "tests/support/temp_dir.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using testing::run_command;

std::string cli() {
  return testing::edgeinfer_cli().string();
}

class CompareModelsCliTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    model_ = write_model("fc.tflite", fc_model(4, 3));
  }

  // float [1,inputs] -> FULLY_CONNECTED -> float [1,outputs]
  static std::vector<uint8_t> fc_model(int inputs, int outputs) {
    compiler::ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, {1, inputs}, {}, "in");
    std::vector<float> w;
    for (int i = 0; i < inputs * outputs; ++i) w.push_back(static_cast<float>(i % 5) - 2);
    const int wt = b.add_constant<float>(DataType::kFloat32, {outputs, inputs}, w, {}, "w");
    const int out = b.add_tensor(DataType::kFloat32, {1, outputs}, {}, "out");
    b.add_op(BuiltinOp::kFullyConnected, {in, wt, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
             [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    return b.finish();
  }
  std::string write_model(const std::string& name, const std::vector<uint8_t>& bytes) {
    return write(name, bytes);
  }
  std::string write_floats(const std::string& name, const std::vector<float>& values) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(values.data());
    return write(name, std::vector<uint8_t>(bytes, bytes + values.size() * sizeof(float)));
  }
  std::string write_npy(const std::string& name, const host::NpyArray& array) {
    const std::string path = (dir_ / name).string();
    std::string error;
    EXPECT_TRUE(host::write_npy(path, array, &error)) << error;
    return path;
  }
  // Runs the CLI with --json and parses its report.
  nlohmann::json json_of(const std::string& args) {
    const auto result = run_command(cli() + " compare " + args + " --json");
    EXPECT_EQ(result.exit_code, 0) << args << ": " << result.output;
    const auto json = nlohmann::json::parse(result.output, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << result.output;
    return json;
  }

  std::string model_;
};

TEST_F(CompareModelsCliTest, AModelAgainstItselfReachesTheCapAndAgreesFully) {
  const auto json = json_of(model_ + " " + model_ + " --fill lcg:7");
  EXPECT_EQ(json["snr_db"], 200.0);
  EXPECT_EQ(json["snr_cap_db"], 200.0);
  EXPECT_EQ(json["max_abs_error"], 0.0);
  EXPECT_EQ(json["top1_agreement"], 1.0);
  EXPECT_EQ(json["samples"], 16);
  EXPECT_EQ(json["inputs"]["source"], "fill");
  EXPECT_EQ(json["inputs"]["range"], nlohmann::json({-1.0, 1.0}));  // float inputs: the default
  ASSERT_EQ(json["outputs"].size(), 1u);
  EXPECT_EQ(json["outputs"][0]["name"], "out");
  EXPECT_EQ(json["outputs"][0]["values"], 3);
  EXPECT_EQ(json["outputs"][0]["snr_db"], 200.0);
  EXPECT_EQ(json["outputs"][0]["top1_agreement"], 1.0);
  EXPECT_FALSE(json.contains("layers"));

  const auto layers = json_of(model_ + " " + model_ + " --samples 3 --per-layer");
  EXPECT_EQ(layers["samples"], 3);
  ASSERT_EQ(layers["layers"].size(), 2u);  // the input and the FC output
  EXPECT_EQ(layers["layers"][0]["op_name"], "input");
  EXPECT_EQ(layers["layers"][1]["op_name"], "FULLY_CONNECTED");
  EXPECT_EQ(layers["layers"][1]["matched_by"], "name");
  EXPECT_EQ(layers["layers"][1]["snr_db"], 200.0);
  EXPECT_TRUE(layers["error_enters_at"].is_null());

  const auto text = run_command(cli() + " compare " + model_ + " " + model_ + " --per-layer");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  for (const char* expected :
       {"16 samples: --fill lcg:12345, uniform in [-1, 1) (the default)", "overall", "200.00", "1.0000",
        "FULLY_CONNECTED", "error enters at: nowhere", "SNR is capped at +-200 dB"})
    EXPECT_NE(text.output.find(expected), std::string::npos) << expected << "\n" << text.output;
}

TEST_F(CompareModelsCliTest, InputFilesAndDatasetsGiveTheSameSamples) {
  const std::vector<float> values = {0.5f, -1, 2, 0.25f, 3, 1, -0.5f, 0};  // two samples of 4
  const std::string raw = write_floats("in.bin", values);
  const std::string npy = write_npy("in.npy", {{2, 1, 4}, values});
  fs::create_directories(dir_ / "set");
  write_npy("set/b.npy", {{1, 4}, {3, 1, -0.5f, 0}});
  write_npy("set/a.npy", {{1, 4}, {0.5f, -1, 2, 0.25f}});
  const std::string other = write_model("other.tflite", fc_model(4, 3));  // a copy
  for (const std::string& inputs :
       {"--input " + raw, "--dataset " + npy, "--dataset " + (dir_ / "set").string()}) {
    const auto json = json_of(model_ + " " + other + " " + inputs);
    EXPECT_EQ(json["samples"], 2) << inputs;
    EXPECT_EQ(json["snr_db"], 200.0) << inputs;
  }
  const auto first = json_of(model_ + " " + model_ + " --input " + raw + " --samples 1");
  EXPECT_EQ(first["samples"], 1);
}

TEST_F(CompareModelsCliTest, ErrorsAreOneLineAndExitOne) {
  const std::string wider = write_model("wider.tflite", fc_model(5, 3));
  const std::string shorter = write_model("short.tflite", std::vector<uint8_t>{1, 2, 3});
  compiler::ModelBuilder b;  // two inputs
  const int x = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "x");
  const int y = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "y");
  const int sum = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "sum");
  b.add_op(BuiltinOp::kAdd, {x, y}, {sum}, tflite::BuiltinOptions::AddOptions,
           [](auto& fbb) { return tflite::CreateAddOptions(fbb).Union(); });
  b.set_inputs({x, y});
  b.set_outputs({sum});
  const std::string two_inputs = write_model("two.tflite", b.finish());
  const std::string odd = write_floats("odd.bin", {1, 2, 3, 4, 5});
  const std::string nan =
      write_floats("nan.bin", {1, 2, 3, 4, 5, std::numeric_limits<float>::quiet_NaN(), 7, 8});
  const std::string f8_header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }\n";
  const std::string f8_bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(f8_header.size()) +
                               '\0' + f8_header + std::string(32, '\0');
  const std::string f8 = write("f8.npy", f8_bytes);
  const std::string npy_nan =
      write_npy("nan.npy", {{2, 4}, {1, 2, 3, 4, 5, 6, -std::numeric_limits<float>::infinity(), 8}});
  const std::string npy_shape = write_npy("shape.npy", {{2, 2, 2}, std::vector<float>(8)});
  const std::string m = model_ + " " + model_;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {model_ + " " + (dir_ / "absent.tflite").string(), "absent.tflite: cannot open"},
      {model_ + " " + shorter, "short.tflite: model is only 3 bytes"},
      {model_ + " " + two_inputs,
       "the models have different input counts: 1 in " + model_ + ", 2 in " + two_inputs},
      {model_ + " " + wider, "input 0 has 4 values [1,4] in " + model_ + ", 5 [1,5] in " + wider},
      {m + " --range 1,1", "--range must be LO,HI with finite numbers LO < HI"},
      {m + " --range a,b", "got 'a,b'"},
      {m + " --range=-1", "got '-1'"},
      {m + " --input " + odd,
       "odd.bin: 20 bytes is not a whole number of samples of input 0 (float32 [1,4]): 16"},
      {m + " --input " + nan, "nan.bin: sample 1, value 1 is NaN"},
      {m + " --input " + odd + " --input " + odd, "the models have 1 inputs, got 2 --input files"},
      {m + " --dataset " + f8,
       "f8.npy: dtype '<f8' (convert with array.astype(numpy.float32)) is not supported"},
      {m + " --dataset " + npy_nan, "nan.npy sample 1, value 2 is infinite"},
      {m + " --dataset " + npy_shape, "shape.npy: arrays of shape [N,2,2] do not fit input 0 of " + model_},
      {m + " --dataset " + (dir_ / "none").string(), "none: cannot open"},
      {m + " --samples 0", "--samples must be at least 1, got 0"},
      {m + " --fill lcg:1 --input " + odd, "give one of --input, --fill or --dataset"},
      {m + " --input " + odd + " --range 0,1", "--range applies to --fill only"},
      {m + " --fill random", "--fill must be lcg:SEED"},
      {m + " --golden " + dir_.string(), "--golden and --all compare one model"},
      {model_, "give --golden DIR"},
      {m + " " + model_, "give one model (with --golden) or two to compare, got 3"},
      {model_ + " --golden " + dir_.string() + " --per-layer", "compare two models: give two"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + " compare " + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_EQ(result.output.rfind("edgeinfer compare: error: ", 0), 0u) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
}

TEST_F(CompareModelsCliTest, HelpDescribesTheTwoModelMode) {
  const auto help = run_command(cli() + " compare --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* option : {"--input", "--fill", "--dataset", "--samples", "--range", "--per-layer",
                             "--json", "--golden", "[-1, 1)", "(qmin - zp) * scale", "capped", ".npy"})
    EXPECT_NE(help.output.find(option), std::string::npos) << option << "\n" << help.output;
}

// ---- Real float/int8 twins
// ----------------------------------------------------------------------------------

struct Twins {
  const char* reference;
  const char* test;
  double min_snr, max_snr;
};

double compare_twins(const fs::path& shared, const Twins& twins, const std::string& extra = "") {
  const auto result =
      run_command(cli() + " compare " + (shared / "models" / twins.reference).string() + " " +
                  (shared / "models" / twins.test).string() + " --fill lcg:12345 --json" + extra);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output, nullptr, false);
  if (json.is_discarded() || !json["snr_db"].is_number()) {
    ADD_FAILURE() << result.output;
    return 0;
  }
  const double snr = json["snr_db"];
  std::printf(
      "%s vs %s (--fill lcg:12345, %d samples, range [%g, %g)): SNR %.2f dB, max abs error %g, top-1 %s\n",
      twins.reference, twins.test, json["samples"].get<int>(), json["inputs"]["range"][0].get<double>(),
      json["inputs"]["range"][1].get<double>(), snr, json["max_abs_error"].get<double>(),
      json["top1_agreement"].dump().c_str());
  EXPECT_GT(snr, twins.min_snr) << twins.test;
  EXPECT_LT(snr, twins.max_snr) << twins.test;
  return snr;
}

TEST(CompareModelsSharedTest, Ad01FloatVsInt8IsPlausible) {
  EI_REQUIRE_SHARED_DIR(shared);
  compare_twins(shared, {"mlperf_tiny/ad01_fp32.tflite", "mlperf_tiny/ad01_int8.tflite", 10, 60});
}

TEST(CompareModelsSharedTest, KwsAndVwwFloatVsInt8ArePlausible) {
  EI_REQUIRE_SHARED_DIR(shared);
  compare_twins(shared, {"mlperf_tiny/vww_96_float.tflite", "mlperf_tiny/vww_96_int8.tflite", 10, 60});
  // Uniform over all the int8 input represents ([-123.4, 25.7)), the first CONV_2D's outputs reach ~74 where
  // the int8 model's activation holds [0, 20.1]: it saturates and the outputs hardly agree (about 0 dB). On
  // inputs nearer the MFCC features it was calibrated on, the twins agree.
  compare_twins(shared,
                {"mlperf_tiny/kws_ref_model_float32.tflite", "mlperf_tiny/kws_ref_model.tflite", -10, 60});
  compare_twins(shared,
                {"mlperf_tiny/kws_ref_model_float32.tflite", "mlperf_tiny/kws_ref_model.tflite", 5, 60},
                " --range=-10,10");
}

// The MLPerf Tiny sample input of ad01 (640-float windows) as --input and as a .npy dataset: same figures.
TEST(CompareModelsSharedTest, Ad01OnItsSampleDataAsRawAndNpy) {
  EI_REQUIRE_SHARED_DIR(shared);
  const fs::path data = shared / "data/mlperf_tiny/ad01_normal_id_01_00000000_hist_librosa.bin";
  const auto bytes = testing::read_bytes(data);
  ASSERT_EQ(bytes.size() % (640 * 4), 0u);
  const int64_t windows = static_cast<int64_t>(bytes.size() / (640 * 4));
  host::NpyArray array{{windows, 640}, std::vector<float>(bytes.size() / 4)};
  std::memcpy(array.values.data(), bytes.data(), bytes.size());
  const fs::path npy =
      fs::temp_directory_path() / ("edgeinfer_compare_ad01_" + std::to_string(getpid()) + ".npy");
  std::string error;
  ASSERT_TRUE(host::write_npy(npy.string(), array, &error)) << error;
  const std::string models = (shared / "models/mlperf_tiny/ad01_fp32.tflite").string() + " " +
                             (shared / "models/mlperf_tiny/ad01_int8.tflite").string();
  const auto raw = run_command(cli() + " compare " + models + " --input " + data.string() + " --json");
  const auto set = run_command(cli() + " compare " + models + " --dataset " + npy.string() + " --json");
  fs::remove(npy);
  ASSERT_EQ(raw.exit_code, 0) << raw.output;
  ASSERT_EQ(set.exit_code, 0) << set.output;
  const auto a = nlohmann::json::parse(raw.output), b = nlohmann::json::parse(set.output);
  EXPECT_EQ(a["samples"], windows);
  EXPECT_EQ(a["snr_db"], b["snr_db"]);
  EXPECT_EQ(a["max_abs_error"], b["max_abs_error"]);
  std::printf("ad01_fp32 vs ad01_int8 on its %lld sample windows: SNR %.2f dB\n",
              static_cast<long long>(windows), a["snr_db"].get<double>());
  EXPECT_GT(a["snr_db"].get<double>(), 10);
}

TEST(CompareModelsSharedTest, PerLayerNamesWhereTheErrorEnters) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto result = run_command(
      cli() + " compare " + (shared / "models/mlperf_tiny/ad01_fp32.tflite").string() + " " +
      (shared / "models/mlperf_tiny/ad01_int8.tflite").string() + " --samples 4 --per-layer --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  ASSERT_EQ(json["layers"].size(), 11u);  // the input and 10 FULLY_CONNECTED outputs
  int matched = 0;
  for (const auto& layer : json["layers"]) matched += layer["matched_by"].is_string();
  EXPECT_EQ(matched, 11);
  ASSERT_TRUE(json["error_enters_at"].is_object()) << result.output;
  std::printf("ad01 per layer: error enters at op %d (%s), %.2f dB below its inputs'\n",
              json["error_enters_at"]["op"].get<int>(),
              json["error_enters_at"]["op_name"].get<std::string>().c_str(),
              json["error_enters_at"]["drop_db"].get<double>());
  // The last layer's SNR is the output's.
  EXPECT_EQ(json["layers"].back()["snr_db"], json["snr_db"]);
}

}  // namespace
}  // namespace edgeinfer
