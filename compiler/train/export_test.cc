#include "compiler/train/export.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "compiler/train/random.h"
#include "edgeinfer/kernels.h"

namespace edgeinfer::compiler::train {
namespace {

std::vector<float> random_floats(uint64_t seed, size_t count, double limit) {
  Rng rng(seed);
  std::vector<float> v(count);
  for (float& x : v) x = static_cast<float>(rng.symmetric(limit));
  return v;
}

// Runs `model` in our runtime on `input`; returns the output.
std::vector<float> run_model(const std::vector<uint8_t>& model, const std::vector<float>& input) {
  host::LoadedModel loaded;
  const Status load = loaded.load_bytes(model.data(), model.size());
  EXPECT_TRUE(load.is_ok()) << load.message();
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  const Status init = runner.init(loaded.model(), resolver);
  EXPECT_TRUE(init.is_ok()) << init.message();
  if (!init.is_ok()) return {};
  Tensor in = runner.interpreter().input(0);
  EXPECT_EQ(in.num_elements(), static_cast<int64_t>(input.size()));
  std::memcpy(in.data_as<float>(), input.data(), input.size() * sizeof(float));
  EXPECT_TRUE(runner.interpreter().invoke().is_ok());
  const Tensor out = runner.interpreter().output(0);
  return std::vector<float>(out.data_as<float>(), out.data_as<float>() + out.num_elements());
}

// Random biases as well, so that exporting them is checked.
Network trained_looking(const char* spec, uint64_t seed) {
  Network net(parse_spec(spec), seed);
  for (auto& p : net.parameters()) {
    if (p.name.ends_with("/bias")) p.value = random_floats(seed + p.value.size(), p.value.size(), 0.3);
  }
  return net;
}

// The runtime's outputs equal the trainer's forward pass within 1e-5 relative, for a few inputs.
void expect_runtime_matches(Network& net, const std::vector<uint8_t>& model) {
  for (uint64_t sample = 0; sample < 3; ++sample) {
    const std::vector<float> x = random_floats(100 + sample, net.input_size(), 1.0);
    const auto expected = net.forward(x, 1, false);
    const std::vector<float> got = run_model(model, x);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected[i], 1e-5 * std::abs(expected[i]) + 1e-7)
          << "sample " << sample << " [" << i << "]";
    }
  }
}

const char* kEveryLayer =
    "input 11x10x3\n"
    "conv2d 6 3x3 relu\n"
    "depthwise 3x3 stride 2 relu6\n"
    "maxpool 2x2 stride 1 same\n"
    "conv2d 5 2x2 stride 2 valid\n"
    "avgpool 2x2 stride 1 same\n"
    "globalavgpool\n"
    "dropout 0.5\n"
    "dense 8 relu6\n"
    "dense 4 softmax\n";

TEST(ExportTest, RuntimeRunsTheExportedModelLikeTheTrainer) {
  Network net = trained_looking(kEveryLayer, 3);
  const std::vector<uint8_t> model = export_tflite(net);
  expect_runtime_matches(net, model);
  // The ops TensorFlow Lite's converter writes, dropout gone.
  const Graph g = Graph::read(model);
  std::vector<std::string> ops;
  for (const GraphOp& op : g.ops) ops.push_back(op.name());
  EXPECT_EQ(ops, (std::vector<std::string>{"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "CONV_2D",
                                           "AVERAGE_POOL_2D", "MEAN", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                           "SOFTMAX"}));
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (std::vector<int32_t>{1, 11, 10, 3}));
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (std::vector<int32_t>{1, 4}));
  EXPECT_EQ(g.tensor(g.outputs[0]).name, "dense_2");
  EXPECT_EQ(g.tensor(g.ops[0].inputs[1]).name, "conv2d_1/weights");
}

TEST(ExportTest, FlattenAndFlatInputs) {
  Network cnn = trained_looking("input 6x6x2\nconv2d 3 3x3 valid relu\nflatten\ndense 5 relu\ndense 3", 4);
  const auto model = export_tflite(cnn);
  expect_runtime_matches(cnn, model);
  EXPECT_EQ(Graph::read(model).ops[1].name(), "RESHAPE");
  Network autoencoder = trained_looking("input 20\ndense 6 relu\ndropout 0.2\ndense 20", 5);
  expect_runtime_matches(autoencoder, export_tflite(autoencoder));
}

TEST(ExportTest, ImportGivesBackTheSameNetwork) {
  Network net = trained_looking(kEveryLayer, 6);
  const auto model = export_tflite(net);
  Network back = import_tflite(model, 0);
  // Dropout is not in the model; everything else is.
  EXPECT_EQ(back.spec().layers.size(), net.spec().layers.size() - 1);
  ASSERT_EQ(back.parameters().size(), net.parameters().size());
  for (size_t i = 0; i < net.parameters().size(); ++i) {
    EXPECT_EQ(back.parameters()[i].value, net.parameters()[i].value) << net.parameters()[i].name;
  }
  const std::vector<float> x = random_floats(9, net.input_size(), 1.0);
  const std::vector<float> a(net.forward(x, 1, false).begin(), net.forward(x, 1, false).end());
  const auto b = back.forward(x, 1, false);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
  EXPECT_EQ(export_tflite(back), model);
  // Flatten and flat inputs too.
  Network flat = trained_looking("input 6x6x2\nconv2d 3 3x3 relu\nmaxpool 2x2\nflatten\ndense 3 softmax", 7);
  EXPECT_EQ(export_tflite(import_tflite(export_tflite(flat), 0)), export_tflite(flat));
}

TEST(ExportTest, LoadParametersIntoASpecWithDropout) {
  Network source = trained_looking(kEveryLayer, 8);
  Network target(parse_spec(kEveryLayer), 9);
  load_parameters(export_tflite(source), &target);
  for (size_t i = 0; i < source.parameters().size(); ++i) {
    EXPECT_EQ(target.parameters()[i].value, source.parameters()[i].value);
  }
  Network other(parse_spec("input 11x10x3\nconv2d 6 3x3 relu\nglobalavgpool\ndense 4 softmax"), 1);
  EXPECT_THROW(load_parameters(export_tflite(source), &other), std::invalid_argument);
  Network wrong(parse_spec("input 11x10x3\nconv2d 6 3x3\ndepthwise 3x3\nconv2d 4 2x2\nglobalavgpool\n"
                           "dense 8\ndense 4 softmax"),
                1);
  try {
    load_parameters(export_tflite(source), &wrong);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("conv2d_2/weights: weight shapes differ"), std::string::npos)
        << e.what();
  }
}

TEST(ExportTest, ImportRefusesOpsWithoutATrainerLayer) {
  // An ADD between two conv layers is not a chain the trainer can express.
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "in");
  const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "out");
  b.add_op(BuiltinOp::kAdd, {in, in}, {out}, tflite::BuiltinOptions::AddOptions);
  b.set_inputs({in});
  b.set_outputs({out});
  try {
    import_tflite(b.finish(), 0);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("op 0 (ADD): no trainer layer does this"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace edgeinfer::compiler::train
