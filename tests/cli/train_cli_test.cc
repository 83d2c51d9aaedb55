// `edgeinfer train` and `edgeinfer prune`: a classifier learnt from CSV and IDX data, byte-identical models
// for one seed, an autoencoder from .npy, fine-tuning with --init, block and channel pruning with the
// per-layer report, and bad input (one line, exit 1, nothing written). With Debian's Fashion-MNIST installed,
// a short train -> quantize -> prune -> quantize pipeline with accuracy bounds (the full one is
// bench/fashion_mnist_pipeline.sh).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/npy.h"
#include "tests/support/shared_data.h"
#include "tests/support/temp_dir.h"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;
using testing::run_command;

// 8x8 images: dim noise plus a bright 3x3 square in the left (label 0) or right (label 1) half; with
// `classes` 3, label 2 puts it in the middle rows' centre.
struct Images {
  std::vector<float> pixels;  // count x 64
  std::vector<int> labels;
};
Images squares(uint32_t seed, int count, int classes = 2) {
  std::mt19937 rng(seed);
  Images d;
  for (int n = 0; n < count; ++n) {
    const int label = static_cast<int>(rng() % classes);
    std::vector<float> image(64);
    for (float& v : image) v = static_cast<float>(rng() % 77) / 255.0f;
    const int y = label == 2 ? 2 + static_cast<int>(rng() % 2) : static_cast<int>(rng() % 6);
    const int x =
        label == 2 ? 2 + static_cast<int>(rng() % 2) : static_cast<int>(rng() % 2) + (label ? 5 : 0);
    for (int dy = 0; dy < 3; ++dy)
      for (int dx = 0; dx < 3 && x + dx < 8; ++dx) image[(y + dy) * 8 + x + dx] = 1.0f;
    d.pixels.insert(d.pixels.end(), image.begin(), image.end());
    d.labels.push_back(label);
  }
  return d;
}

constexpr const char* kSpec =
    "# squares\ninput 8x8x1\nconv2d 8 3x3 relu\nmaxpool 2x2\nconv2d 8 3x3 relu   # 4x4x8\nflatten\n"
    "dropout 0.1\ndense 16 relu\ndense 3 softmax\n";

class TrainCliTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    write("net.spec", kSpec);
    write_csv("train.csv", squares(1, 600, 3));
    write_csv("test.csv", squares(2, 300, 3));
  }
  void write_csv(const std::string& name, const Images& d) {
    std::string text = "label,pixels...\n";
    for (size_t n = 0; n < d.labels.size(); ++n) {
      text += std::to_string(d.labels[n]);
      for (int i = 0; i < 64; ++i) text += "," + std::to_string(d.pixels[n * 64 + i]);
      text += "\n";
    }
    write(name, text);
  }
  testing::CommandResult cli(const std::string& args) const {
    return run_command(testing::edgeinfer_cli().string() + " " + args + " 2>&1");
  }
  nlohmann::json cli_json(const std::string& args) const {
    const auto r = run_command(testing::edgeinfer_cli().string() + " " + args + " --json 2>/dev/null");
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    return nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  }
};

TEST_F(TrainCliTest, LearnsAClassifierFromCsvAndTheSameSeedGivesTheSameBytes) {
  const std::string args = "train --arch " + path("net.spec") + " --data " + path("train.csv") +
                           " --epochs 6 --batch 16 --lr 0.01 --seed 3 --val-split 0.2";
  const nlohmann::json j = cli_json(args + " -o " + path("a.tflite"));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["task"], "classifier");
  EXPECT_EQ(j["training_samples"], 480);
  EXPECT_EQ(j["validation_samples"], 120);
  EXPECT_EQ(j["parameters"], 80 + 584 + 2064 + 51);
  ASSERT_EQ(j["epochs"].size(), 6u);
  EXPECT_LT(j["epochs"][5]["loss"].get<double>(), j["epochs"][0]["loss"].get<double>());
  EXPECT_GE(j["val_accuracy"].get<double>(), 0.95);
  // The kept epoch is the one with the best validation accuracy.
  double best = 0;
  for (const auto& e : j["epochs"]) best = std::max(best, e["val_accuracy"].get<double>());
  EXPECT_EQ(j["val_accuracy"].get<double>(), best);
  EXPECT_EQ(j["bytes"].get<size_t>(), read("a.tflite").size());

  // Our runtime runs it: held-out accuracy.
  const nlohmann::json e = cli_json("eval " + path("a.tflite") + " --data " + path("test.csv"));
  EXPECT_GE(e["accuracy"].get<double>(), 0.95);

  // One seed, one model (byte for byte), whatever the thread count; another seed, another model.
  cli_json(args + " --threads 1 -o " + path("b.tflite"));
  EXPECT_EQ(read("a.tflite"), read("b.tflite"));
  cli_json("train --arch " + path("net.spec") + " --data " + path("train.csv") + " --epochs 1 --seed 4 -o " +
           path("c.tflite"));
  EXPECT_NE(read("a.tflite"), read("c.tflite"));
}

TEST_F(TrainCliTest, TextOutputHasTheNetworkEpochLinesAndTheModel) {
  const auto r = cli("train --arch " + path("net.spec") + " --data " + path("train.csv") + " --epochs 2 -o " +
                     path("m.tflite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("conv2d 8 3x3 stride 1 same relu  -> 8x8x8  80 params"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("epoch 1/2  loss "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch 2/2  loss "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wrote " + path("m.tflite")), std::string::npos) << r.output;
}

TEST_F(TrainCliTest, AutoencoderFromNpyAndFineTuningWithInit) {
  // Samples on a 2-d subspace of 16 values: an 16-4-16 autoencoder reconstructs them well.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  host::NpyArray a{{400, 16}, {}};
  for (int n = 0; n < 400; ++n) {
    const float s = u(rng), t = u(rng);
    for (int i = 0; i < 16; ++i) a.values.push_back(s * std::sin(0.4f * i) + t * std::cos(0.3f * i));
  }
  std::string error;
  ASSERT_TRUE(host::write_npy(path("x.npy"), a, &error)) << error;
  write("ae.spec", "input 16\ndense 8 relu\ndense 4\ndense 8 relu\ndense 16\n");
  const nlohmann::json j = cli_json("train --arch " + path("ae.spec") + " --data " + path("x.npy") +
                                    " --autoencoder --epochs 30 --lr 0.01 -o " + path("ae.tflite"));
  EXPECT_EQ(j["task"], "autoencoder");
  EXPECT_FALSE(j.contains("accuracy"));
  const double first = j["epochs"][0]["loss"].get<double>(), last = j["loss"].get<double>();
  EXPECT_LT(last, first / 5) << first << " -> " << last;
  const nlohmann::json e = cli_json("eval " + path("ae.tflite") + " --data " + path("x.npy"));
  EXPECT_EQ(e["task"], "autoencoder");
  EXPECT_LT(e["mse"].get<double>(), first / 5);

  // --init without --arch continues from the model (its architecture): it starts where the last run ended.
  const nlohmann::json more = cli_json("train --init " + path("ae.tflite") + " --data " + path("x.npy") +
                                       " --autoencoder --epochs 1 --lr 0.001 -o " + path("ae2.tflite"));
  EXPECT_LT(more["epochs"][0]["loss"].get<double>(), first / 4);
}

TEST_F(TrainCliTest, PruneReachesTheSparsityInBlocksOrRemovesChannels) {
  cli_json("train --arch " + path("net.spec") + " --data " + path("train.csv") + " --epochs 5 --lr 0.01 -o " +
           path("float.tflite"));
  const nlohmann::json p =
      cli_json("prune " + path("float.tflite") + " --data " + path("train.csv") +
               " --final-sparsity 0.75 --epochs 3 --frequency 10 --lr 0.002 --min-weights 0 -o " +
               path("pruned.tflite"));
  EXPECT_EQ(p["granularity"], "blocks");
  // 600 samples in batches of 32: 19 steps per epoch; the final sparsity at step 30 (the last multiple of 10
  // before the last epoch's first step, 38).
  EXPECT_EQ(p["schedule"]["end_step"], 30);
  EXPECT_EQ(p["mask_updates"], 4);
  ASSERT_EQ(p["layers"].size(), 4u);
  for (const auto& layer : p["layers"]) EXPECT_NEAR(layer["sparsity"].get<double>(), 0.75, 0.03) << layer;
  // The written model: those zeros, in whole blocks of 4 along each row.
  const compiler::Graph g = compiler::Graph::read(read("pruned.tflite"));
  int weight_tensors = 0;
  for (const auto& op : g.ops) {
    if (op.inputs.size() < 2 || op.inputs[1] < 0 || g.tensors[op.inputs[1]].shape.size() < 2) continue;
    const auto& t = g.tensors[op.inputs[1]];
    const std::vector<float> w = t.float_values();
    const size_t row = t.shape.back();
    size_t zeros = 0;
    for (size_t i = 0; i < w.size(); i += 4) {
      const size_t end = std::min(i - i % row + row, i + 4);
      const size_t z = std::count(w.begin() + i, w.begin() + end, 0.0f);
      EXPECT_TRUE(z == 0 || z == end - i) << t.name << " block " << i;
      zeros += z;
      if (end != i + 4) i = end - 4;  // the row's last block was short
    }
    EXPECT_NEAR(static_cast<double>(zeros) / w.size(), 0.75, 0.03) << t.name;
    ++weight_tensors;
  }
  EXPECT_EQ(weight_tensors, 4);
  EXPECT_GE(
      cli_json("eval " + path("pruned.tflite") + " --data " + path("test.csv"))["accuracy"].get<double>(),
      0.85);

  const nlohmann::json c = cli_json(
      "prune " + path("float.tflite") + " --data " + path("train.csv") +
      " --final-sparsity 0.5 --structured channels --epochs 2 --frequency 5 -o " + path("narrow.tflite"));
  EXPECT_EQ(c["granularity"], "channels");
  EXPECT_EQ(c["parameters_before"], 80 + 584 + 2064 + 51);
  // conv 8 -> 4, conv 8 -> 4, dense 16 -> 8: 40 + 148 + 520 + 27.
  EXPECT_EQ(c["parameters"], 40 + 148 + 520 + 27);
  EXPECT_LT(read("narrow.tflite").size(), read("float.tflite").size() * 0.5);
  EXPECT_GE(
      cli_json("eval " + path("narrow.tflite") + " --data " + path("test.csv"))["accuracy"].get<double>(),
      0.8);
}

TEST_F(TrainCliTest, BadInputGivesOneLineAndWritesNothing) {
  write("bad.spec", "input 8x8x1\nconv2d 8 3x3 relu\nconv2d eight 3x3\ndense 3 softmax\n");
  write("labels_too_big.csv", "0,1,2,3\n7,3,4,5\n");
  write("nan.csv", "0,1,2,3\n1,nan,2,3\n");
  write("flat.spec", "input 3\ndense 2 softmax\n");
  write("flat3.spec", "input 3\ndense 3 softmax\n");
  host::NpyArray x{{3, 64}, std::vector<float>(192, 0.5f)};
  std::string error;
  host::write_npy(path("x.npy"), x, &error);
  write("x_labels.npy", "not an npy");
  cli_json("train --arch " + path("net.spec") + " --data " + path("train.csv") + " --epochs 1 -o " +
           path("ok.tflite"));
  const std::string out = " -o " + path("out.tflite");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"train --arch " + path("bad.spec") + " --data " + path("train.csv") + out, "line 3:"},
      {"train --arch " + path("missing.spec") + " --data " + path("train.csv") + out, "cannot open"},
      {"train --arch " + path("net.spec") + " --data " + path("missing.csv") + out, "missing.csv"},
      {"train --arch " + path("flat.spec") + " --data " + path("labels_too_big.csv") + out, "label 7"},
      {"train --arch " + path("flat.spec") + " --data " + path("nan.csv") + out, "line 2"},
      {"train --arch " + path("net.spec") + " --data " + path("x.npy") + out, "x_labels.npy"},
      {"train --arch " + path("flat3.spec") + " --data " + path("train.csv") + out, "64 values"},
      {"train --arch " + path("net.spec") + " --data " + path("train.csv") + " --val-split 1.5" + out,
       "--val-split"},
      {"train --arch " + path("net.spec") + " --data " + path("train.csv") + " --optimizer rmsprop" + out,
       "rmsprop"},
      {"train --data " + path("train.csv") + out, "--arch"},
      {"train --init " + path("net.spec") + " --data " + path("train.csv") + out, "--init"},
      {"prune " + path("ok.tflite") + " --data " + path("train.csv") + " --final-sparsity 1" + out,
       "final sparsity must be in [0, 1)"},
      {"prune " + path("ok.tflite") + " --data " + path("train.csv") + " --final-sparsity -0.5" + out,
       "final sparsity"},
      {"prune " + path("ok.tflite") + " --data " + path("train.csv") + " --final-sparsity 0.5 --frequency 0" +
           out,
       "frequency"},
      {"prune " + path("ok.tflite") + " --data " + path("train.csv") +
           " --final-sparsity 0.5 --begin-step 50 --end-step 10" + out,
       "end step"},
      {"prune " + path("missing.tflite") + " --data " + path("train.csv") + " --final-sparsity 0.5" + out,
       "cannot open"},
      {"prune " + path("ok.tflite") + " --data " + path("train.csv") +
           " --final-sparsity 0.5 --structured rows" + out,
       "--structured rows"},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = cli(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << args << "\n" << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(path("out.tflite"))) << args;
  }
  // Nothing else left in the directory (no temporary files).
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

// Debian's dataset-fashion-mnist (EDGEINFER_FASHION_MNIST_DIR overrides the directory): the pipeline on a
// slice of it, with bounds that a working pipeline meets with room and a broken step does not.
TEST_F(TrainCliTest, FashionMnistShortPipeline) {
  const char* override_dir = std::getenv("EDGEINFER_FASHION_MNIST_DIR");
  const std::string data = override_dir ? override_dir : "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(fs::path(data) / "t10k-labels-idx1-ubyte.gz") &&
      !fs::exists(fs::path(data) / "t10k-labels-idx1-ubyte"))
    GTEST_SKIP() << data << " not found (Debian package dataset-fashion-mnist): skipping";
  write("small.spec",
        "input 28x28x1\nconv2d 8 3x3 relu\nmaxpool 2x2\nconv2d 16 3x3 relu\nmaxpool 2x2\nflatten\n"
        "dense 32 relu\ndense 10 softmax\n");
  const std::string d = " --data " + data;
  cli_json("train --arch " + path("small.spec") + d + " --limit 6000 --epochs 3 -o " + path("float.tflite"));
  cli_json("quantize " + path("float.tflite") + " -o " + path("int8.tflite") + " --mode int8 --calibration " +
           data + " --samples 200");
  cli_json("prune " + path("float.tflite") + d +
           " --limit 6000 --final-sparsity 0.75 --epochs 2 --frequency 20 -o " + path("pruned.tflite"));
  cli_json("quantize " + path("pruned.tflite") + " -o " + path("pruned_int8.tflite") +
           " --mode int8 --calibration " + data + " --samples 200");
  auto accuracy = [&](const std::string& model) {
    return cli_json("eval " + path(model) + d + " --limit 2000")["accuracy"].get<double>();
  };
  const double f = accuracy("float.tflite"), q = accuracy("int8.tflite"), p = accuracy("pruned_int8.tflite");
  std::printf("Fashion-MNIST slice: float %.4f, int8 %.4f, pruned int8 %.4f\n", f, q, p);
  EXPECT_GE(f, 0.80);
  EXPECT_GE(q, f - 0.01);
  EXPECT_GE(p, f - 0.02);
  // The pruned int8 model needs no more arena than the dense one.
  auto arena = [&](const std::string& model) {
    return cli_json("inspect " + path(model))["arena_bytes"].get<int64_t>();
  };
  EXPECT_LE(arena("pruned_int8.tflite"), arena("int8.tflite"));
  // Its second convolution and first dense layer run block-sparse; it compresses to well under the dense one.
  auto sparse_ops = [&](const std::string& model) {
    return cli_json("run " + path(model) + " --fill lcg:1")["block_sparse_ops"].get<int>();
  };
  EXPECT_EQ(sparse_ops("pruned_int8.tflite"), 2);
  EXPECT_EQ(sparse_ops("int8.tflite"), 0);
  const double gzip_ratio = static_cast<double>(testing::gzip_bytes(read("pruned_int8.tflite")).size()) /
                            static_cast<double>(testing::gzip_bytes(read("int8.tflite")).size());
  std::printf("pruned int8 / int8 gzip size: %.3f\n", gzip_ratio);
  EXPECT_LE(gzip_ratio, 0.55);
}

}  // namespace
}  // namespace edgeinfer
