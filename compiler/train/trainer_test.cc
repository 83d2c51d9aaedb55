// Mini-batch training end to end: a learnable problem, determinism, an autoencoder, refused data.
#include "compiler/train/trainer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "compiler/train/random.h"

namespace edgeinfer::compiler::train {
namespace {

// Samples and labels held by the test, and the trainer's view of them.
struct Owned {
  int64_t sample_size = 0;
  std::vector<float> samples;
  std::vector<int32_t> labels;
  TrainingData view() const {
    return {static_cast<int64_t>(samples.size()) / sample_size, sample_size, samples, labels, {}};
  }
};

// 8x8 images, dark noise plus a bright 3x3 square in the left (class 0) or right (class 1) half.
Owned squares(uint64_t seed, int count) {
  Rng rng(seed);
  Owned d;
  d.sample_size = 64;
  d.samples.resize(count * 64);
  for (int n = 0; n < count; ++n) {
    const int label = static_cast<int>(rng.below(2));
    float* image = &d.samples[n * 64];
    for (int i = 0; i < 64; ++i) image[i] = static_cast<float>(0.3 * rng.uniform());
    const int y = static_cast<int>(rng.below(6)), x = static_cast<int>(rng.below(2)) + (label ? 5 : 0);
    for (int dy = 0; dy < 3; ++dy) {
      for (int dx = 0; dx < 3 && x + dx < 8; ++dx) image[(y + dy) * 8 + x + dx] = 1.0f;
    }
    d.labels.push_back(label);
  }
  return d;
}

const char* kSquaresSpec =
    "input 8x8x1\nconv2d 4 3x3 relu\nmaxpool 2x2\nflatten\ndropout 0.1\ndense 2 softmax";

TEST(TrainerTest, LearnsBrightSquareLeftOrRightQuickly) {
  const auto start = std::chrono::steady_clock::now();
  Network net(parse_spec(kSquaresSpec), 1);
  TrainOptions options;
  options.epochs = 4;
  options.batch_size = 16;
  options.optimizer.learning_rate = 0.01;
  std::vector<int> epochs_seen;
  const auto results = train(net, squares(1, 512).view(), options,
                             [&](const EpochResult& r) { epochs_seen.push_back(r.epoch); });
  const Evaluation eval = evaluate(net, squares(2, 400).view(), Loss::kCrossEntropy);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(epochs_seen, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_LT(results.back().loss, results.front().loss);
  EXPECT_GE(eval.accuracy, 0.95);
  EXPECT_LT(seconds, 1.0);
  ASSERT_EQ(eval.confusion.size(), 4u);
  EXPECT_EQ(eval.confusion[0] + eval.confusion[1] + eval.confusion[2] + eval.confusion[3], 400);
  std::printf("squares: held-out accuracy %.3f, loss %.4f, %.3f s\n", eval.accuracy, eval.loss, seconds);
}

TEST(TrainerTest, SameSeedSameParametersBitForBitWithOneOrTwoThreads) {
  auto run = [](uint64_t seed, OptimizerKind kind, int threads = 1) {
    Network net(parse_spec(kSquaresSpec), seed);
    TrainOptions options;
    options.epochs = 2;
    options.batch_size = 10;  // 300 samples: a short last batch
    options.seed = seed;
    options.optimizer = OptimizerOptions::defaults(kind);
    options.threads = threads;
    train(net, squares(3, 300).view(), options);
    std::vector<float> all;
    for (const auto& p : net.parameters()) all.insert(all.end(), p.value.begin(), p.value.end());
    return all;
  };
  for (OptimizerKind kind : {OptimizerKind::kAdam, OptimizerKind::kSgd}) {
    const auto a = run(7, kind), b = run(7, kind, 2), c = run(8, kind);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);  // 1 or 2 threads alike
    EXPECT_NE(a, c);
  }
}

TEST(TrainerTest, AutoencoderLowersTheReconstructionError) {
  Network net(parse_spec("input 16\ndense 6 relu\ndense 16"), 2);
  Owned owned;
  owned.sample_size = 16;
  Rng rng(5);
  for (int n = 0; n < 256; ++n) {  // two-dimensional data in 16 values
    const double a = rng.uniform(), b = rng.uniform();
    for (int i = 0; i < 16; ++i)
      owned.samples.push_back(static_cast<float>(a * std::sin(i * 0.4) + b * (i % 3)));
  }
  const TrainingData d = owned.view();
  TrainOptions options;
  options.loss = Loss::kMeanSquaredError;
  options.epochs = 40;
  options.optimizer.learning_rate = 0.01;
  const double before = evaluate(net, d, Loss::kMeanSquaredError).loss;
  train(net, d, options);
  const Evaluation after = evaluate(net, d, Loss::kMeanSquaredError);
  EXPECT_LT(after.loss, 0.001 * before);
  EXPECT_EQ(after.accuracy, -1);
}

TEST(TrainerTest, DataThatDoesNotFitIsRefused) {
  Network net(parse_spec(kSquaresSpec), 1);
  TrainOptions options;
  auto refused = [&](const Owned& d, const char* message) {
    try {
      train(net, d.view(), options);
      ADD_FAILURE() << "no error for " << message;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  Owned d = squares(1, 10);
  d.labels[3] = 2;
  refused(d, "label 2 of sample 3 is outside [0, 2)");
  d = squares(1, 10);
  d.labels.pop_back();
  refused(d, "9 labels for 10 samples");
  d = squares(1, 10);
  d.samples[70] = std::nanf("");
  refused(d, "sample 1 has a NaN or infinite value");
  d = squares(1, 10);
  d.sample_size = 32;
  refused(d, "samples have 32 values, the network's input 8x8x1 takes 64");
  options.loss = Loss::kMeanSquaredError;
  refused(squares(1, 10), "an autoencoder's output 2 must have the input's size 8x8x1");
  options.loss = Loss::kCrossEntropy;
  options.optimizer.learning_rate = 0;
  refused(squares(1, 10), "the learning rate must be > 0");
  Network regression(parse_spec("input 8x8x1\nflatten\ndense 2"), 1);
  EXPECT_THROW(evaluate(regression, squares(1, 10).view(), Loss::kCrossEntropy), std::invalid_argument);
}

}  // namespace
}  // namespace edgeinfer::compiler::train
