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

// Batchnorm scales around 1, offsets and moving statistics away from their initial values.
void randomize_batch_norms(Network& net, uint64_t seed) {
  for (auto& p : net.parameters()) {
    if (p.name.ends_with("/gamma")) {
      p.value = random_floats(seed + 1, p.value.size(), 0.5);
      for (float& v : p.value) v += 1.0f;
    }
    if (p.name.ends_with("/beta")) p.value = random_floats(seed + 2, p.value.size(), 0.3);
  }
  for (auto& p : net.state()) {
    p.value = random_floats(seed + 3, p.value.size(), 0.3);
    if (p.name.ends_with("/moving_variance")) {
      for (float& v : p.value) v = 0.2f + v * v * 10;
    }
  }
}

// The runtime's outputs equal the trainer's forward pass within `tolerance` relative, for a few inputs.
void expect_runtime_matches(Network& net, const std::vector<uint8_t>& model, double tolerance = 1e-5) {
  for (uint64_t sample = 0; sample < 3; ++sample) {
    const std::vector<float> x = random_floats(100 + sample, net.input_size(), 1.0);
    const auto expected = net.forward(x, 1, false);
    const std::vector<float> got = run_model(model, x);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected[i], tolerance * std::abs(expected[i]) + 1e-7)
          << "sample " << sample << " [" << i << "]";
    }
  }
}

std::vector<std::string> op_names(const Graph& g) {
  std::vector<std::string> ops;
  for (const GraphOp& op : g.ops) ops.push_back(op.name());
  return ops;
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
  // MUL has no trainer layer; an ADD of a constant is not a residual connection.
  auto refused = [](BuiltinOp op, bool constant, const char* message) {
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "in");
    const int other =
        constant ? b.add_constant<float>(DataType::kFloat32, {1, 4}, {1, 2, 3, 4}, {}, "c") : in;
    const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "out");
    b.add_op(op, {in, other}, {out},
             op == BuiltinOp::kAdd ? tflite::BuiltinOptions::AddOptions : tflite::BuiltinOptions::MulOptions);
    b.set_inputs({in});
    b.set_outputs({out});
    try {
      import_tflite(b.finish(), 0);
      ADD_FAILURE() << "no error for " << message;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  refused(BuiltinOp::kMul, false, "op 0 (MUL): no trainer layer does this");
  refused(BuiltinOp::kAdd, true, "op 0 (ADD): only an ADD of the current output and an earlier one");
}

const char* kBatchNorms =
    "input 9x8x3\n"
    "conv2d 6 3x3 stride 2\n"
    "batchnorm relu\n"
    "depthwise 3x3\n"
    "batchnorm relu6\n"
    "conv2d 4 1x1\n"
    "batchnorm\n"
    "globalavgpool\n"
    "dense 5\n"
    "batchnorm relu\n"
    "dense 3 softmax\n";

TEST(ExportTest, BatchNormFoldsIntoThePreviousOpAndImportsWithoutIt) {
  Network net = trained_looking(kBatchNorms, 10);
  randomize_batch_norms(net, 10);
  const std::vector<uint8_t> model = export_tflite(net);
  const Graph g = Graph::read(model);
  EXPECT_EQ(op_names(g), (std::vector<std::string>{"CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "MEAN",
                                                   "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"}));
  using tflite_ir::ActivationFunctionType;
  EXPECT_EQ(g.ops[0].fused_activation(), ActivationFunctionType::RELU);  // the batchnorm's
  EXPECT_EQ(g.ops[1].fused_activation(), ActivationFunctionType::RELU6);
  EXPECT_EQ(g.ops[2].fused_activation(), ActivationFunctionType::NONE);
  EXPECT_EQ(g.ops[4].fused_activation(), ActivationFunctionType::RELU);
  EXPECT_EQ(g.tensor(g.ops[0].outputs[0]).name, "conv2d_1");
  // The folded weights: conv2d_1's first output channel scaled by gamma / sqrt(var + eps).
  const auto& gamma = net.parameters()[2].value;
  const auto& var = net.state()[1].value;
  const std::vector<float> w = g.tensor(g.ops[0].inputs[1]).float_values();
  const float scale = gamma[0] / std::sqrt(var[0] + 1e-3f);
  EXPECT_NEAR(w[5], net.parameters()[0].value[5] * scale, 1e-6 * std::abs(w[5]) + 1e-8);
  // The runtime gives the trainer's inference outputs within float rounding of the folding.
  expect_runtime_matches(net, model, 1e-4);
  // Imported: the same layers without batchnorm, and the same inference outputs.
  Network back = import_tflite(model, 0);
  for (const LayerSpec& l : back.spec().layers) EXPECT_NE(l.kind, LayerKind::kBatchNorm);
  EXPECT_EQ(back.spec().layers.size(), net.spec().layers.size() - 4);
  EXPECT_TRUE(back.state().empty());
  EXPECT_EQ(back.spec().layers[0].activation, Activation::kRelu);
  for (uint64_t sample = 0; sample < 3; ++sample) {
    const std::vector<float> x = random_floats(200 + sample, net.input_size(), 1.0);
    const std::vector<float> a(net.forward(x, 1, false).begin(), net.forward(x, 1, false).end());
    const auto b = back.forward(x, 1, false);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-4 * std::abs(a[i]) + 1e-7);
  }
  EXPECT_EQ(export_tflite(back), model);
  // Loaded into the spec with batchnorm, the folded weights and identity batchnorms give the same
  // inference outputs too.
  Network target(parse_spec(kBatchNorms), 11);
  load_parameters(model, &target);
  EXPECT_EQ(target.parameters()[0].value, g.tensor(g.ops[0].inputs[1]).float_values());
  EXPECT_EQ(target.parameters()[2].value, std::vector<float>(6, 1.0f));
  const std::vector<float> x = random_floats(300, net.input_size(), 1.0);
  const std::vector<float> a(back.forward(x, 1, false).begin(), back.forward(x, 1, false).end());
  const auto b = target.forward(x, 1, false);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-5 * std::abs(a[i]) + 1e-7);
}

const char* kResidual =
    "x: input 8x8x4\n"
    "conv2d 4 3x3 relu\n"
    "add x\n"  // the input
    "b: conv2d 8 3x3 stride 2 relu\n"
    "conv2d 8 3x3\n"
    "bn: batchnorm\n"
    "add b relu\n"
    "dropout 0.2\n"
    "d: depthwise 3x3 relu6\n"
    "add d relu6\n"  // the line just before: twice its output
    "conv2d 8 1x1\n"
    "add bn\n"  // a folded batchnorm's output
    "globalavgpool\n"
    "f: dense 8\n"
    "dense 8 relu\n"
    "add f\n"
    "dense 3 softmax\n";

TEST(ExportTest, ResidualAddsRunInTheRuntimeAndImportBack) {
  Network net = trained_looking(kResidual, 12);
  randomize_batch_norms(net, 12);
  const std::vector<uint8_t> model = export_tflite(net);
  const Graph g = Graph::read(model);
  EXPECT_EQ(op_names(g),
            (std::vector<std::string>{"CONV_2D", "ADD", "CONV_2D", "CONV_2D", "ADD", "DEPTHWISE_CONV_2D",
                                      "ADD", "CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "FULLY_CONNECTED",
                                      "ADD", "FULLY_CONNECTED", "SOFTMAX"}));
  EXPECT_EQ(g.ops[1].inputs[1], g.inputs[0]);
  EXPECT_EQ(g.ops[4].inputs[1], g.ops[2].outputs[0]);
  EXPECT_EQ(g.ops[4].fused_activation(), tflite_ir::ActivationFunctionType::RELU);
  EXPECT_EQ(g.ops[6].inputs[0], g.ops[6].inputs[1]);
  EXPECT_EQ(g.ops[6].fused_activation(), tflite_ir::ActivationFunctionType::RELU6);
  EXPECT_EQ(g.ops[8].inputs[1], g.ops[3].outputs[0]);
  EXPECT_EQ(g.tensor(g.ops[8].inputs[1]).name, "conv2d_3");  // batchnorm_1 folded into it
  EXPECT_EQ(g.tensor(g.ops[1].outputs[0]).name, "add_1");
  expect_runtime_matches(net, model, 1e-4);
  // Import: labels r1, r2, ... on the lines the adds read, the same parameters and outputs.
  Network back = import_tflite(model, 0);
  const NetworkSpec& spec = back.spec();
  EXPECT_EQ(spec.input_label, "r1");
  ASSERT_EQ(spec.layers.size(), 14u);  // no dropout, batchnorm folded
  EXPECT_EQ(spec.layers[1].kind, LayerKind::kAdd);
  EXPECT_EQ(spec.layers[1].residual, -1);
  EXPECT_EQ(spec.layers[2].label, "r2");
  EXPECT_EQ(spec.layers[4].residual, 2);
  EXPECT_EQ(spec.layers[6].residual, 5);
  EXPECT_EQ(spec.layers[8].residual, 3);
  EXPECT_EQ(spec.layers[12].residual, 10);
  EXPECT_EQ(spec.layers[12].line, 14);
  const std::vector<float> x = random_floats(400, net.input_size(), 1.0);
  const std::vector<float> a(net.forward(x, 1, false).begin(), net.forward(x, 1, false).end());
  const auto b = back.forward(x, 1, false);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-4 * std::abs(a[i]) + 1e-7);
  expect_runtime_matches(back, model);
  EXPECT_EQ(export_tflite(back), model);
  // A flat model whose add reads the input.
  Network flat = trained_looking("x: input 6\ndense 6 relu\nadd x relu\ndense 2", 13);
  const auto flat_model = export_tflite(flat);
  expect_runtime_matches(flat, flat_model);
  EXPECT_EQ(export_tflite(import_tflite(flat_model, 0)), flat_model);
}

}  // namespace
}  // namespace edgeinfer::compiler::train
