// `edgeinfer eval`: accuracy and confusion matrix of a hand-made classifier on small IDX, .npy and CSV sets
// (computed by hand), reconstruction MSE of an autoencoder-shaped model, integer inputs, and bad input: one
// line, exit 1. Also quantize --calibration with an IDX directory, and Debian's Fashion-MNIST when installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/data/dataset.h"
#include "compiler/model_builder.h"
#include "compiler/npy.h"
#include "tests/support/shared_data.h"
#include "tests/support/temp_dir.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using testing::idx_bytes;
using testing::run_command;

// 2x2 images whose brightest pixel is known, with labels that make 4 of 7 right.
//   image  pixels            brightest (predicted)  label
//   0      200  10  10  10   0                      0
//   1       0  255   3   4   1                      1
//   2       1   2  90  80    2                      3  (wrong)
//   3       5   6   7  99    3                      3
//   4     100   0  50  50    0                      2  (wrong)
//   5      20  30 250  40    2                      2
//   6       7   7   7   7    0 (first maximum)      1  (wrong)
const Bytes kPixels = {200, 10, 10,  10, 0,  255, 3,  4,  1,   2,  90, 80, 5, 6,
                       7,   99, 100, 0,  50, 50,  20, 30, 250, 40, 7,  7,  7, 7};
const Bytes kLabels = {0, 1, 3, 3, 2, 2, 1};
// confusion[true][predicted]
const std::vector<std::vector<int64_t>> kConfusion = {{1, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0}, {0, 0, 1, 1}};

class EvalCliTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    // The test split gzipped, the train split plain (the same images).
    write_gz("idx/t10k-images-idx3-ubyte.gz", idx_bytes({7, 2, 2}, kPixels));
    write_gz("idx/t10k-labels-idx1-ubyte.gz", idx_bytes({7}, kLabels));
    write("idx/train-images-idx3-ubyte", idx_bytes({7, 2, 2}, kPixels));
    write("idx/train-labels-idx1-ubyte", idx_bytes({7}, kLabels));
  }
  std::string write_gz(const std::string& name, const Bytes& bytes) {
    return write(name, testing::gzip_bytes(bytes));
  }

  // [1,2,2,1] -> FULLY_CONNECTED with the identity -> [1,4]: the scores are the pixels, so the prediction is
  // the brightest pixel. `int8_input`: an int8 input (scale 1/255, zero point -128) and a DEQUANTIZE first.
  static Bytes brightest_pixel_model(bool int8_input = false, int classes = 4) {
    compiler::ModelBuilder b;
    int in = b.add_tensor(
        int8_input ? DataType::kInt8 : DataType::kFloat32, {1, 2, 2, 1},
        int8_input ? compiler::QuantParams::per_tensor(1.0f / 255, -128) : compiler::QuantParams{}, "image");
    const int model_input = in;
    if (int8_input) {
      const int real = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1}, {}, "real");
      b.add_op(BuiltinOp::kDequantize, {in}, {real});
      in = real;
    }
    std::vector<float> weights(static_cast<size_t>(classes) * 4, 0.0f);
    for (int c = 0; c < std::min(classes, 4); ++c) weights[c * 4 + c] = 1.0f;
    const int w = b.add_constant<float>(DataType::kFloat32, {classes, 4}, weights, {}, "w");
    const int out = b.add_tensor(DataType::kFloat32, {1, classes}, {}, "scores");
    b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
             [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
    b.set_inputs({model_input});
    b.set_outputs({out});
    return b.finish();
  }
  // [1,2,2,1] -> MUL by 0.5 -> [1,2,2,1]: reconstruction error (x/2 - x)^2 = x^2/4 per value.
  static Bytes halving_model() {
    compiler::ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1}, {}, "in");
    const int half = b.add_constant<float>(DataType::kFloat32, {1}, {0.5f}, {}, "half");
    const int out = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1}, {}, "out");
    b.add_op(BuiltinOp::kMul, {in, half}, {out}, tflite::BuiltinOptions::MulOptions,
             [](auto& fbb) { return tflite::CreateMulOptions(fbb).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    return b.finish();
  }
  // The MSE of halving_model on kPixels: mean over all values of (x/2 - x)^2, x = p / 255, as floats.
  static double halving_mse() {
    double sum = 0;
    for (uint8_t p : kPixels) {
      const float x = static_cast<float>(p) / 255.0f;
      const double error = static_cast<double>(0.5f * x) - x;
      sum += error * error;
    }
    return sum / static_cast<double>(kPixels.size());
  }

  testing::CommandResult eval(const std::string& args) {
    return run_command(testing::edgeinfer_cli().string() + " eval " + args + " 2>&1");
  }
  nlohmann::json eval_json(const std::string& args) {
    const auto result = eval(args + " --json");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.exit_code == 0 ? nlohmann::json::parse(result.output) : nlohmann::json();
  }
  // Exit 1 and exactly one line naming `text`.
  void expect_error(const std::string& args, const std::string& text) {
    const auto result = eval(args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_EQ(result.output.rfind("edgeinfer eval: error: ", 0), 0u) << result.output;
    EXPECT_NE(result.output.find(text), std::string::npos)
        << "expected '" << text << "' in: " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  }
};

TEST_F(EvalCliTest, ClassifierOnIdxGivesAccuracyAndConfusionMatrix) {
  const std::string model = write("classifier.tflite", brightest_pixel_model());
  const auto json = eval_json(model + " --data " + path("idx"));
  EXPECT_EQ(json["task"], "classifier");
  EXPECT_EQ(json["split"], "test");
  EXPECT_EQ(json["format"], "idx");
  EXPECT_EQ(json["samples"], 7);
  EXPECT_EQ(json["classes"], 4);
  EXPECT_EQ(json["correct"], 4);
  EXPECT_DOUBLE_EQ(json["accuracy"].get<double>(), 4.0 / 7.0);
  EXPECT_EQ(json["confusion"].get<std::vector<std::vector<int64_t>>>(), kConfusion);
  EXPECT_EQ(json["output"]["name"], "scores");

  // The train split and --limit: the first 4 images, 3 right.
  const auto limited = eval_json(model + " --data " + path("idx") + " --split train --limit 4");
  EXPECT_EQ(limited["split"], "train");
  EXPECT_EQ(limited["samples"], 4);
  EXPECT_DOUBLE_EQ(limited["accuracy"].get<double>(), 0.75);

  // The text report: accuracy, and the matrix with each row's recall.
  const auto text = eval(model + " --data " + path("idx"));
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("(test split): 7 samples"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("accuracy: 0.5714 (4 of 7 correct, 4 classes)"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("confusion matrix (rows: true label, columns: predicted class):\n"
                             "          0    1    2    3  recall\n"
                             "     0    1    0    0    0  1.0000\n"
                             "     1    1    1    0    0  0.5000\n"
                             "     2    1    0    1    0  0.5000\n"
                             "     3    0    0    1    1  0.5000\n"),
            std::string::npos)
      << text.output;
}

TEST_F(EvalCliTest, IntegerInputsAreQuantizedWithTheInputsParameters) {
  const std::string model = write("int8.tflite", brightest_pixel_model(/*int8_input=*/true));
  const auto json = eval_json(model + " --data " + path("idx"));
  EXPECT_EQ(json["input_type"], "int8");
  EXPECT_EQ(json["confusion"].get<std::vector<std::vector<int64_t>>>(), kConfusion);
  const auto text = eval(model + " --data " + path("idx"));
  EXPECT_NE(text.output.find("inputs quantized to int8 (scale 0.00392157, zero point -128)"),
            std::string::npos)
      << text.output;
}

TEST_F(EvalCliTest, NpyAndCsvData) {
  const std::string model = write("classifier.tflite", brightest_pixel_model());
  // .npy samples [7,2,2,1] with labels beside them (x_labels.npy, int64), and flat CSV rows.
  host::NpyArray x{{7, 2, 2, 1}, {}};
  std::string csv = "label,p0,p1,p2,p3\n";
  for (size_t i = 0; i < kPixels.size(); ++i) x.values.push_back(static_cast<float>(kPixels[i]) / 255.0f);
  std::string error;
  ASSERT_TRUE(host::write_npy(path("x.npy"), x, &error)) << error;
  Bytes labels = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  labels.push_back(static_cast<uint8_t>(header.size()));
  labels.push_back(0);
  labels.insert(labels.end(), header.begin(), header.end());
  for (uint8_t label : kLabels) {
    labels.push_back(label);
    labels.insert(labels.end(), 7, 0);
  }
  write("x_labels.npy", labels);
  auto json = eval_json(model + " --data " + path("x.npy"));
  EXPECT_EQ(json["format"], "npy");
  EXPECT_EQ(json["confusion"].get<std::vector<std::vector<int64_t>>>(), kConfusion);
  EXPECT_FALSE(json.contains("split"));

  for (size_t s = 0; s < kLabels.size(); ++s) {
    csv += std::to_string(kLabels[s]);
    for (int p = 0; p < 4; ++p) csv += "," + std::to_string(kPixels[s * 4 + p]);
    csv += "\n";
  }
  write("d.csv", csv);
  json = eval_json(model + " --data " + path("d.csv"));
  EXPECT_EQ(json["format"], "csv");
  EXPECT_EQ(json["confusion"].get<std::vector<std::vector<int64_t>>>(), kConfusion);  // values as written
}

TEST_F(EvalCliTest, AutoencoderGivesTheReconstructionMse) {
  const std::string model = write("halving.tflite", halving_model());
  // The output is shaped like the input: reconstruction, labels or not.
  auto json = eval_json(model + " --data " + path("idx"));
  EXPECT_EQ(json["task"], "autoencoder");
  EXPECT_EQ(json["samples"], 7);
  EXPECT_EQ(json["values_per_sample"], 4);
  EXPECT_NEAR(json["mse"].get<double>(), halving_mse(), 1e-15);
  EXPECT_FALSE(json.contains("accuracy"));
  const auto text = eval(model + " --data " + path("idx") + " --limit 2");
  EXPECT_NE(text.output.find("mse: "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("over 2 samples x 4 values"), std::string::npos) << text.output;

  // --autoencoder: an output of another size is refused (4 classes would pass: as many values as the input).
  const std::string classifier = write("classifier.tflite", brightest_pixel_model(false, 3));
  expect_error(
      classifier + " --data " + path("idx") + " --autoencoder",
      "output 0 of " + classifier + " (float32 [1,3]) is not shaped like input 0 (float32 [1,2,2,1])");
}

TEST_F(EvalCliTest, BadInputGivesOneLineAndExitOne) {
  const std::string model = write("classifier.tflite", brightest_pixel_model());
  const std::string data = " --data " + path("idx");
  expect_error(model + " --data " + path("absent"), path("absent") + ": no such file or directory");
  expect_error(model + data + " --split dev", "--split dev: expected test or train");
  expect_error(model + data + " --limit 0", "--limit must be at least 1, got 0");
  expect_error(path("absent.tflite") + data, "absent.tflite");
  // Labels beyond the model's classes.
  const std::string three = write("three.tflite", brightest_pixel_model(false, 3));
  expect_error(three + data, "t10k-labels-idx1-ubyte.gz: sample 2: label 3 is outside the 3 classes 0..2");
  // Images that do not fit the input.
  write_gz("big/t10k-images-idx3-ubyte.gz", idx_bytes({1, 3, 3}, Bytes(9, 1)));
  expect_error(model + " --data " + path("big"),
               "arrays of shape [N,3,3,1] do not fit input 0 of " + model + " [1,2,2,1]");
  // Truncated and mismatched IDX files.
  write("cut/t10k-images-idx3-ubyte", idx_bytes({7, 2, 2}, Bytes(kPixels.begin(), kPixels.end() - 1)));
  expect_error(model + " --data " + path("cut"), "needs 28 bytes of data, the file has 27");
  write("cut/t10k-images-idx3-ubyte", idx_bytes({7, 2, 2}, kPixels));
  write("cut/t10k-labels-idx1-ubyte", idx_bytes({6}, Bytes(6, 0)));
  expect_error(model + " --data " + path("cut"), "6 labels for 7 images");
  // Unlabelled data for a classifier; --split for other data; NaN in a CSV.
  host::NpyArray x{{1, 2, 2, 1}, {0, 1, 2, 3}};
  std::string error;
  ASSERT_TRUE(host::write_npy(path("x.npy"), x, &error)) << error;
  expect_error(three + " --data " + path("x.npy"), "has no labels, and output 0 of");
  expect_error(model + " --data " + path("x.npy") + " --split train", "--split applies to IDX directories");
  write("nan.csv", "0,1,2,3,4\n1,1,nan,3,4\n");
  expect_error(model + " --data " + path("nan.csv"), "nan.csv line 2: column 3 is NaN");
  write("short.csv", "0,1,2,3\n");
  expect_error(model + " --data " + path("short.csv"), "rows of 3 values do not fit input 0");
  // One output value is no classifier.
  const std::string one = write("one.tflite", brightest_pixel_model(false, 1));
  expect_error(one + data, "has one value: top-1 accuracy needs a score per class");
}

TEST_F(EvalCliTest, QuantizeCalibratesOnAnIdxDirectory) {
  const std::string model = write("classifier.tflite", brightest_pixel_model());
  const auto result = run_command(testing::edgeinfer_cli().string() + " quantize " + model + " -o " +
                                  path("int8.tflite") + " --calibration " + path("idx") + " --json 2>&1");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["calibration"]["samples"], 7);
  // The input's range is the pixels' [0, 1] (train split).
  for (const auto& r : json["ranges"])
    if (r["name"] == "image") {
      EXPECT_EQ(r["min"].get<double>(), 0.0);
      EXPECT_EQ(r["max"].get<double>(), 1.0);
    }
  // The quantized model classifies the same.
  const auto eval_int8 = eval_json(path("int8.tflite") + " --data " + path("idx"));
  EXPECT_EQ(eval_int8["confusion"].get<std::vector<std::vector<int64_t>>>(), kConfusion);
}

// EDGEINFER_FASHION_MNIST_DIR overrides the directory (e.g. the package unpacked with dpkg -x, without root).
TEST_F(EvalCliTest, FashionMnistLoadsAndEvaluatesTheDebianTestSplit) {
  const char* override_dir = std::getenv("EDGEINFER_FASHION_MNIST_DIR");
  const fs::path dir = override_dir ? override_dir : "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir / "t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " not found (Debian package dataset-fashion-mnist): skipping";
  std::string error;
  const auto set = compiler::data::load_dataset(dir.string(), {.split = "test", .num_classes = 10}, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->samples.num_samples, 10000);
  EXPECT_EQ(set->samples.sample_shape, (std::vector<int64_t>{28, 28, 1}));
  EXPECT_EQ(set->num_classes(), 10);
  std::vector<int> per_class(10, 0);
  for (int32_t label : set->labels) ++per_class.at(label);
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));  // Fashion-MNIST's test split is balanced
  const auto [low, high] = std::minmax_element(set->samples.values.begin(), set->samples.values.end());
  EXPECT_EQ(*low, 0.0f);
  EXPECT_EQ(*high, 1.0f);

  // A classifier with zero weights predicts class 0 for every image: its accuracy is the share of label 0.
  compiler::ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 28, 28, 1}, {}, "image");
  const int w = b.add_constant<float>(DataType::kFloat32, {10, 784}, std::vector<float>(7840, 0.0f), {}, "w");
  const int out = b.add_tensor(DataType::kFloat32, {1, 10}, {}, "scores");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  const std::string model = write("zero.tflite", b.finish());
  const auto json = eval_json(model + " --data " + dir.string() + " --limit 200");
  EXPECT_EQ(json["samples"], 200);
  EXPECT_EQ(json["correct"], std::count(set->labels.begin(), set->labels.begin() + 200, 0));
}

}  // namespace
}  // namespace edgeinfer
