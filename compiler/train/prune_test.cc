// Magnitude pruning: the PolynomialDecay schedule against its formula, block and channel masks, masks kept
// through training, and channel shrinking that leaves the outputs unchanged.
#include "compiler/train/prune.h"

#include <gtest/gtest.h>

#include <cmath>

#include "compiler/train/random.h"
#include "compiler/train/trainer.h"

namespace edgeinfer::compiler::train {
namespace {

TEST(PolynomialDecayTest, MatchesTheFormulaAndTfMotsPruningSteps) {
  PolynomialDecay s;
  s.initial_sparsity = 0.1;
  s.final_sparsity = 0.75;
  s.begin_step = 200;
  s.end_step = 1200;
  s.power = 3;
  s.frequency = 100;
  // sparsity = 0.75 + (0.1 - 0.75) * (1 - (step - 200) / 1000)^3, computed by hand.
  EXPECT_DOUBLE_EQ(s.sparsity(0), 0.1);                         // before begin: p clamped to 0
  EXPECT_DOUBLE_EQ(s.sparsity(200), 0.1);                       // p = 0
  EXPECT_DOUBLE_EQ(s.sparsity(700), 0.66875);                   // p = 0.5: 0.75 - 0.65 * 0.125
  EXPECT_NEAR(s.sparsity(450), 0.75 - 0.65 * 0.421875, 1e-15);  // p = 0.25: 0.75^3
  EXPECT_NEAR(s.sparsity(1100), 0.75 - 0.65 * 0.001, 1e-15);    // p = 0.9: 0.1^3
  EXPECT_DOUBLE_EQ(s.sparsity(1200), 0.75);
  EXPECT_DOUBLE_EQ(s.sparsity(5000), 0.75);  // after end: p clamped to 1
  for (int64_t step : {200, 300, 1100, 1200}) EXPECT_TRUE(s.should_prune(step)) << step;
  for (int64_t step : {0, 199, 250, 1199, 1300}) EXPECT_FALSE(s.should_prune(step)) << step;
  s.power = 1;
  EXPECT_DOUBLE_EQ(s.sparsity(700), 0.425);  // linear: halfway
  s.begin_step = s.end_step = 50;            // a single pruning step at the final sparsity
  EXPECT_DOUBLE_EQ(s.sparsity(50), 0.75);
  EXPECT_TRUE(s.should_prune(50));
  EXPECT_FALSE(s.should_prune(150));
}

TEST(PolynomialDecayTest, RefusesWhatTfMotRefuses) {
  auto refused = [](auto change) {
    PolynomialDecay s;
    change(s);
    EXPECT_THROW(s.validate(), std::invalid_argument);
  };
  refused([](PolynomialDecay& s) { s.final_sparsity = 1.0; });
  refused([](PolynomialDecay& s) { s.final_sparsity = -0.1; });
  refused([](PolynomialDecay& s) { s.initial_sparsity = 1.5; });
  refused([](PolynomialDecay& s) { s.final_sparsity = std::nan(""); });
  refused([](PolynomialDecay& s) { s.begin_step = -1; });
  refused([](PolynomialDecay& s) { s.end_step = s.begin_step - 1; });
  refused([](PolynomialDecay& s) { s.frequency = 0; });
  PolynomialDecay ok;
  EXPECT_NO_THROW(ok.validate());
}

Network small_network(uint64_t seed) {
  return Network(
      parse_spec("input 6x6x8\nconv2d 8 3x3 relu\nmaxpool 2x2\nflatten\ndense 12 relu\ndense 3 softmax"),
      seed);
}

PruneOptions at_once(double sparsity, PruneGranularity granularity = PruneGranularity::kBlocks) {
  PruneOptions o;
  o.schedule.initial_sparsity = o.schedule.final_sparsity = sparsity;
  o.schedule.begin_step = o.schedule.end_step = 0;
  o.granularity = granularity;
  o.min_weights = 0;
  return o;
}

TEST(PrunerTest, BlockMasksZeroTheWeakestBlocksOfEachWeightTensorAndNeverBiases) {
  Network net = small_network(3);
  for (Parameter<float>& p : net.parameters()) {
    if (p.shape.size() == 1) std::fill(p.value.begin(), p.value.end(), 0.5f);  // biases stay
  }
  Pruner pruner(net, at_once(0.75));
  pruner.before_step(0);
  EXPECT_EQ(pruner.mask_updates(), 1);
  EXPECT_DOUBLE_EQ(pruner.current_sparsity(), 0.75);
  for (const Parameter<float>& p : net.parameters()) {
    if (p.shape.size() == 1) {
      for (float v : p.value) EXPECT_EQ(v, 0.5f) << p.name;
      continue;
    }
    // Rows of the innermost dimension in blocks of 4 (the last one shorter): each block all zero or all
    // kept, and 25% of the blocks kept (rounded).
    const int64_t row = p.shape.back(), rows = static_cast<int64_t>(p.value.size()) / row;
    const int64_t per_row = (row + 3) / 4;
    int64_t kept = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t b = 0; b < per_row; ++b) {
        int64_t nonzero = 0, size = 0;
        for (int64_t j = b * 4; j < std::min(row, b * 4 + 4); ++j, ++size)
          nonzero += p.value[r * row + j] != 0;
        EXPECT_TRUE(nonzero == 0 || nonzero == size) << p.name;
        kept += nonzero > 0;
      }
    }
    EXPECT_EQ(kept, std::llround(rows * per_row * 0.25)) << p.name;
  }
  // The dense 12 layer's weights [12, 72]: 216 blocks, 54 kept.
  const std::vector<LayerSparsity> report = pruner.report();
  ASSERT_EQ(report.size(), 3u);
  EXPECT_EQ(report[1].name, "dense_1/weights");
  EXPECT_EQ(report[1].weights, 12 * 72);
  EXPECT_EQ(report[1].zeros, 12 * 72 - 54 * 4);
}

TEST(PrunerTest, SmallTensorsStayDenseAndTheOthersMakeUpForThem) {
  // conv2d [8,3,3,8]: 576 weights, dense_1 [12,72]: 864, dense_2 [3,12]: 36.
  Network net = small_network(3);
  PruneOptions o = at_once(0.5);
  o.min_weights = 500;
  Pruner pruner(net, o);
  pruner.before_step(0);
  const std::vector<LayerSparsity> r = pruner.report();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2].zeros, 0);
  // Each pruned tensor at 0.5 x 1476 / 1440 = 0.5125 of its blocks: round(144 x 0.4875) = 70 of 144 blocks
  // kept in the conv, round(216 x 0.4875) = 105 of 216 in dense_1.
  EXPECT_EQ(r[0].zeros, (144 - 70) * 4);
  EXPECT_EQ(r[1].zeros, (216 - 105) * 4);
  EXPECT_NEAR(static_cast<double>(r[0].zeros + r[1].zeros) / 1476.0, 0.5, 0.01);
  o.min_weights = 100000;
  EXPECT_THROW(Pruner(net, o), std::invalid_argument);
}

TEST(PrunerTest, KeepsTheLargestBlocksByMeanMagnitude) {
  Network net(parse_spec("input 8\ndense 2"), 1);
  Parameter<float>& w = net.parameters()[0];                          // [2, 8]: 4 blocks of 4... two per row
  w.value = {0.1f,  -0.1f, 0.1f, 0.1f, /**/ 5.0f, 0.0f, 0.0f,  0.0f,  //
             -0.3f, 0.3f,  0.3f, 0.3f, /**/ 0.2f, 0.2f, -0.2f, 0.2f};
  Pruner pruner(net, at_once(0.5));
  pruner.before_step(0);
  // Means: 0.1, 1.25, 0.3, 0.2: the blocks of mean 1.25 and 0.3 stay.
  EXPECT_EQ(w.value, (std::vector<float>{0, 0, 0, 0, 5, 0, 0, 0, -0.3f, 0.3f, 0.3f, 0.3f, 0, 0, 0, 0}));
}

TEST(PrunerTest, MasksFollowTheScheduleAndSurviveTraining) {
  Rng rng(5);
  std::vector<float> samples(200 * 6 * 6 * 8);
  std::vector<int32_t> labels(200);
  for (float& v : samples) v = static_cast<float>(rng.uniform());
  for (int32_t& l : labels) l = static_cast<int32_t>(rng.below(3));
  Network net = small_network(7);
  PruneOptions o;
  o.min_weights = 0;
  o.schedule.initial_sparsity = 0;
  o.schedule.final_sparsity = 0.8;
  o.schedule.begin_step = 2;
  o.schedule.end_step = 22;
  o.schedule.frequency = 5;
  Pruner pruner(net, o);
  TrainOptions t;
  t.epochs = 3;
  t.batch_size = 20;  // 10 steps per epoch: steps 0..29
  std::vector<double> sparsity_at_step;
  t.before_step = [&](int64_t step) {
    pruner.before_step(step);
    sparsity_at_step.push_back(pruner.current_sparsity());
  };
  train(net, {200, 6 * 6 * 8, samples, labels, {}}, t);
  pruner.apply_masks();
  ASSERT_EQ(sparsity_at_step.size(), 30u);
  EXPECT_EQ(pruner.mask_updates(), 5);  // steps 2, 7, 12, 17, 22
  EXPECT_DOUBLE_EQ(sparsity_at_step[1], 0);
  EXPECT_DOUBLE_EQ(sparsity_at_step[2], o.schedule.sparsity(2));
  EXPECT_DOUBLE_EQ(sparsity_at_step[8], o.schedule.sparsity(7));
  EXPECT_DOUBLE_EQ(sparsity_at_step[29], 0.8);
  // After training and the final masking each weight tensor is 80% zero (to the block rounding).
  for (const LayerSparsity& s : pruner.report()) EXPECT_NEAR(s.sparsity(), 0.8, 0.03) << s.name;
}

TEST(PrunerTest, ChannelPruningZeroesWholeChannelsAndShrinkingKeepsTheOutputs) {
  for (const char* text :
       {"input 6x6x3\nconv2d 8 3x3 relu\ndepthwise 3x3 relu6\nmaxpool 2x2\nflatten\ndense 10 relu\ndense 3 "
        "softmax",
        "input 6x6x3\nconv2d 8 3x3\nconv2d 6 3x3 valid relu\nglobalavgpool\ndense 5\ndense 4",
        "input 12\ndense 16 relu\ndropout 0.2\ndense 12 relu6\ndense 12",
        "input 6x6x3\nconv2d 8 3x3\nbatchnorm relu\nmaxpool 2x2\nflatten\ndense 6\nbatchnorm relu6\ndense "
        "3"}) {
    Network net(parse_spec(text), 11);
    Rng rng(2);
    for (Parameter<float>& p : net.parameters()) {
      for (float& v : p.value) v = static_cast<float>(rng.symmetric(0.5));  // non-zero biases too
    }
    for (Parameter<float>& s : net.state()) {  // batch norm's moving mean and (positive) variance
      for (float& v : s.value) v = static_cast<float>(0.5 + rng.symmetric(0.4));
    }
    Pruner pruner(net, at_once(0.5, PruneGranularity::kChannels));
    pruner.before_step(0);
    const std::vector<LayerSparsity> report = pruner.report();
    // Every source layer (all conv2d/dense but the last) lost half its channels.
    int sources = 0;
    for (const LayerSparsity& s : report) {
      if (s.name.rfind("depthwise", 0) == 0) continue;
      if (&s == &report.back()) {
        EXPECT_EQ(s.zero_channels, 0) << text;
      } else {
        EXPECT_EQ(s.zero_channels, s.channels / 2) << text << " " << s.name;
        ++sources;
      }
    }
    EXPECT_GE(sources, 2) << text;

    Network small = shrink_channels(net, 1);
    EXPECT_LT(small.spec().parameter_count(), net.spec().parameter_count() * 0.6) << text;
    std::vector<float> input(net.input_size() * 3);
    for (float& v : input) v = static_cast<float>(rng.uniform());
    const std::span<const float> a = net.forward(input, 3, false);
    const std::vector<float> expected(a.begin(), a.end());
    const std::span<const float> b = small.forward(input, 3, false);
    ASSERT_EQ(b.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(b[i], expected[i], 1e-5) << text << " " << i;
  }
}

TEST(PrunerTest, RefusesBadOptions) {
  Network net = small_network(1);
  PruneOptions o = at_once(0.5);
  o.block_size = 0;
  EXPECT_THROW(Pruner(net, o), std::invalid_argument);
  o = at_once(1.0);
  EXPECT_THROW(Pruner(net, o), std::invalid_argument);
  Network single(parse_spec("input 4\ndense 2"), 1);
  EXPECT_THROW(Pruner(single, at_once(0.5, PruneGranularity::kChannels)), std::invalid_argument);
}

}  // namespace
}  // namespace edgeinfer::compiler::train
