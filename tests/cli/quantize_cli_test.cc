// `edgeinfer quantize`: modes, calibration data forms (.npy file, directory, lcg:SEED), the report (text and
// JSON), and bad input: a one-line error, exit 1 and no output file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
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

class QuantizeCliTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    model_ = write_model("float.tflite", float_model());
  }

  // float [1,16] -> FULLY_CONNECTED (RELU) 16->8 -> FULLY_CONNECTED 8->4 -> SOFTMAX
  static std::vector<uint8_t> float_model() {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> d(-0.5f, 0.5f);
    auto weights = [&](int n) {
      std::vector<float> w(n);
      for (float& x : w) x = d(rng);
      return w;
    };
    compiler::ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, {1, 16}, {}, "in");
    const int w1 = b.add_constant<float>(DataType::kFloat32, {8, 16}, weights(128), {}, "w1");
    const int h = b.add_tensor(DataType::kFloat32, {1, 8}, {}, "hidden");
    b.add_op(BuiltinOp::kFullyConnected, {in, w1, -1}, {h}, tflite::BuiltinOptions::FullyConnectedOptions,
             [](auto& fbb) {
               return tflite::CreateFullyConnectedOptions(fbb, tflite::ActivationFunctionType::RELU).Union();
             });
    const int w2 = b.add_constant<float>(DataType::kFloat32, {4, 8}, weights(32), {}, "w2");
    const int logits = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "logits");
    b.add_op(BuiltinOp::kFullyConnected, {h, w2, -1}, {logits}, tflite::BuiltinOptions::FullyConnectedOptions,
             [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
    const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "probs");
    b.add_op(BuiltinOp::kSoftmax, {logits}, {out}, tflite::BuiltinOptions::SoftmaxOptions,
             [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    return b.finish();
  }
  std::string write_model(const std::string& name, const std::vector<uint8_t>& bytes) {
    return write(name, bytes);
  }
  // A .npy of `samples` x `shape` uniform values in [-1, 1).
  std::string write_npy(const std::string& name, std::vector<int64_t> shape, uint32_t seed) {
    host::NpyArray array;
    array.shape = std::move(shape);
    int64_t count = 1;
    for (int64_t d : array.shape) count *= d;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-1, 1);
    for (int64_t i = 0; i < count; ++i) array.values.push_back(d(rng));
    std::string error;
    EXPECT_TRUE(host::write_npy(path(name), array, &error)) << error;
    return path(name);
  }
  testing::CommandResult quantize(const std::string& args) {
    return run_command(testing::edgeinfer_cli().string() + " quantize " + args + " 2>&1");
  }
  // Exit 1, exactly one line naming `text`, and no output file.
  void expect_error(const std::string& args, const std::string& text) {
    const auto result = quantize(args);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(text), std::string::npos) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
    EXPECT_FALSE(fs::exists(path("out.tflite"))) << args;
    for (const auto& entry : fs::directory_iterator(dir_))
      EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << "left " << entry.path();
  }

  std::string model_;
};

TEST_F(QuantizeCliTest, NpyCalibrationAndEvalGiveAnInt8ModelAndAReport) {
  const std::string cal = write_npy("cal.npy", {64, 16}, 1);
  const std::string eval = write_npy("eval.npy", {32, 1, 16}, 2);  // with the batch of 1
  const auto result = quantize(model_ + " -o " + path("out.tflite") + " --calibration " + cal + " --eval " +
                               eval + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["mode"], "int8");
  EXPECT_EQ(json["method"], "mse");
  EXPECT_EQ(json["calibration"]["samples"], 64);
  EXPECT_GT(json["size_bytes"]["before"].get<int>(), json["size_bytes"]["after"].get<int>());
  EXPECT_EQ(json["eval"]["samples"], 32);
  EXPECT_GT(json["eval"]["snr_db"].get<double>(), 25.0);
  EXPECT_EQ(json["eval"]["top1_agreement"].get<double>(), 1.0);
  // Ranges: the input and every op output; the softmax output has TFLite's fixed parameters.
  bool softmax = false;
  for (const auto& r : json["ranges"])
    if (r["name"] == "probs") {
      softmax = true;
      EXPECT_EQ(r["scale"].get<double>(), 1.0 / 256);
      EXPECT_EQ(r["zero_point"], -128);
    }
  EXPECT_TRUE(softmax);
  const auto inspect = run_command(testing::edgeinfer_cli().string() + " inspect " + path("out.tflite"));
  EXPECT_NE(inspect.output.find("int8     [1,16]"), std::string::npos) << inspect.output;
}

TEST_F(QuantizeCliTest, DirectoriesLcgAndEveryMode) {
  fs::create_directories(path("cal"));
  write_npy("cal/b.npy", {10, 16}, 2);
  write_npy("cal/a.npy", {6, 16}, 1);
  auto result = quantize(model_ + " -o " + path("out.tflite") + " --calibration " + path("cal") + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(nlohmann::json::parse(result.output)["calibration"]["samples"], 16);
  for (const std::string mode : {"int16x8", "dynamic", "float16"}) {
    const std::string cal = mode == "int16x8" ? " --calibration lcg:4 --samples 20" : "";
    result = quantize(model_ + " -o " + path(mode + ".tflite") + " --mode " + mode + cal + " --eval lcg:9");
    ASSERT_EQ(result.exit_code, 0) << mode << ": " << result.output;
    EXPECT_NE(result.output.find("overall"), std::string::npos) << result.output;
  }
  result = quantize(model_ + " -o " + path("io.tflite") + " --calibration lcg:1 --io float --method kl");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(QuantizeCliTest, BadInputIsOneLineAndWritesNothing) {
  const std::string out = " -o " + path("out.tflite");
  expect_error(path("missing.tflite") + out + " --calibration lcg:1", "missing.tflite");
  expect_error(model_ + out, "needs calibration data");
  expect_error(model_ + out + " --calibration " + path("none.npy"), "none.npy");
  expect_error(model_ + out + " --calibration " + write_npy("wrong.npy", {4, 15}, 1), "wrong.npy");
  fs::create_directories(path("empty"));
  expect_error(model_ + out + " --calibration " + path("empty"), "empty");
  host::NpyArray nan;
  nan.shape = {2, 16};
  nan.values.assign(32, 0.5f);
  nan.values[20] = NAN;
  std::string error;
  ASSERT_TRUE(host::write_npy(path("nan.npy"), nan, &error));
  expect_error(model_ + out + " --calibration " + path("nan.npy"), "nan.npy");
  expect_error(model_ + out + " --calibration lcg:1 --mode int4", "--mode int4");
  expect_error(model_ + out + " --calibration lcg:1 --method best", "--method best");
  expect_error(model_ + out + " --calibration lcg:1 --calibration lcg:2", "2 --calibration");
  expect_error(model_ + out + " --mode float16 --calibration lcg:1", "takes no --calibration");
  // An int8 model cannot be quantized again.
  ASSERT_EQ(quantize(model_ + " -o " + path("int8.tflite") + " --calibration lcg:1").exit_code, 0);
  expect_error(path("int8.tflite") + out + " --calibration lcg:1",
               "quantize needs a float32 (or hybrid) model");
  // A truncated model.
  auto bytes = float_model();
  bytes.resize(bytes.size() / 2);
  expect_error(write_model("cut.tflite", bytes) + out + " --calibration lcg:1", "cut.tflite");
}

}  // namespace
}  // namespace edgeinfer
