#include "compiler/graph/passes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::compiler {
namespace {

using testing::lcg_floats;
using testing::lcg_values;
using Act = tflite::ActivationFunctionType;
using IrAct = tflite_ir::ActivationFunctionType;
using Opt = tflite::BuiltinOptions;
constexpr DataType kF32 = DataType::kFloat32;

// ---- Running models ----

struct ModelRun {
  Status status = Status::ok();
  std::vector<DataType> types;
  std::vector<std::vector<uint8_t>> outputs;
};

// Every input filled from the shared LCG (floats in [-3, 3), integers over their range; seed + input
// index), one invoke with every reference kernel.
ModelRun run(const std::vector<uint8_t>& model, uint32_t seed) {
  ModelRun r;
  host::LoadedModel loaded;
  r.status = loaded.load_bytes(model.data(), model.size());
  if (!r.status.is_ok()) return r;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  r.status = runner.init(loaded.model(), resolver);
  if (!r.status.is_ok()) return r;
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    const Tensor in = interpreter.input(i);
    const size_t n = in.bytes / std::max<size_t>(1, data_type_size(in.type));
    const uint32_t s = seed + static_cast<uint32_t>(i);
    std::vector<uint8_t> bytes;
    switch (in.type) {
      case DataType::kFloat32: bytes = testing::bytes_of(lcg_floats(n, -3.0f, 3.0f, s)); break;
      case DataType::kInt8: bytes = testing::bytes_of(lcg_values<int8_t>(n, s)); break;
      case DataType::kInt16: bytes = testing::bytes_of(lcg_values<int16_t>(n, s)); break;
      case DataType::kInt32: bytes = testing::bytes_of(lcg_values<int32_t>(n, s)); break;
      default: bytes.assign(in.bytes, static_cast<uint8_t>(seed)); break;
    }
    std::memcpy(in.data, bytes.data(), in.bytes);
  }
  r.status = interpreter.invoke();
  if (!r.status.is_ok()) return r;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor out = interpreter.output(i);
    r.types.push_back(out.type);
    const auto* data = static_cast<const uint8_t*>(out.data);
    r.outputs.emplace_back(data, data + out.bytes);
  }
  return r;
}

// `want`'s output values by `got`'s: exactly (bytes) when `relative` is 0, else float outputs within
// `relative` x the output's largest magnitude (reassociated float sums differ by rounding only).
void expect_outputs_match(const ModelRun& got, const ModelRun& want, double relative) {
  ASSERT_TRUE(got.status.is_ok()) << got.status.message();
  ASSERT_TRUE(want.status.is_ok()) << want.status.message();
  ASSERT_EQ(got.outputs.size(), want.outputs.size());
  for (size_t o = 0; o < want.outputs.size(); ++o) {
    ASSERT_EQ(got.types[o], want.types[o]);
    if (relative == 0 || want.types[o] != kF32) {
      EXPECT_EQ(got.outputs[o], want.outputs[o]) << "output " << o;
      continue;
    }
    const auto a = testing::values_of<float>(got.outputs[o]);
    const auto b = testing::values_of<float>(want.outputs[o]);
    ASSERT_EQ(a.size(), b.size());
    const double bound = relative * std::max(1e-30, static_cast<double>(testing::max_abs(b)));
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_LE(std::abs(static_cast<double>(a[i]) - b[i]), bound) << "output " << o << " element " << i;
  }
}

// Runs `before` and `after` on three inputs and compares them (see expect_outputs_match).
void expect_equivalent(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after,
                       double relative = 0) {
  for (uint32_t seed : {1u, 2u, 12345u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_outputs_match(run(after, seed), run(before, seed), relative);
  }
}

// Applies `pass` to the model, expects `rewrites` rewrites and `ops` ops left, and returns the new bytes.
template <class Pass>
std::vector<uint8_t> apply(const std::vector<uint8_t>& model, Pass pass, int rewrites, size_t ops) {
  Graph g = Graph::read(model);
  const std::vector<int> outputs_before = g.outputs;
  std::vector<std::string> names;
  for (int t : g.outputs) names.push_back(g.tensors[t].name);
  EXPECT_EQ(pass(g), rewrites);
  EXPECT_EQ(g.ops.size(), ops);
  // The graph outputs are the same tensors (by name) in the same order.
  EXPECT_EQ(g.outputs.size(), outputs_before.size());
  for (size_t i = 0; i < g.outputs.size() && i < names.size(); ++i)
    EXPECT_EQ(g.tensors[g.outputs[i]].name, names[i]);
  return g.write();
}

int find_tensor(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (g.tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

// ---- Model pieces ----

std::vector<float> ramp(size_t n, float start, float step) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

int conv2d(ModelBuilder& b, int in, int weights, int bias, int out, Act act = Act::NONE) {
  return b.add_op(BuiltinOp::kConv2D, {in, weights, bias}, {out}, Opt::Conv2DOptions, [act](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, act).Union();
  });
}

int depthwise(ModelBuilder& b, int in, int weights, int bias, int out, int multiplier, Act act = Act::NONE) {
  return b.add_op(
      BuiltinOp::kDepthwiseConv2D, {in, weights, bias}, {out}, Opt::DepthwiseConv2DOptions, [=](auto& fbb) {
        return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, multiplier, act)
            .Union();
      });
}

int fully_connected(ModelBuilder& b, int in, int weights, int bias, int out, Act act = Act::NONE) {
  return b.add_op(BuiltinOp::kFullyConnected, {in, weights, bias}, {out}, Opt::FullyConnectedOptions,
                  [act](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb, act).Union(); });
}

int binary(ModelBuilder& b, BuiltinOp op, int x, int y, int out, Act act = Act::NONE) {
  switch (op) {
    case BuiltinOp::kAdd:
      return b.add_op(op, {x, y}, {out}, Opt::AddOptions,
                      [act](auto& fbb) { return tflite::CreateAddOptions(fbb, act).Union(); });
    case BuiltinOp::kSub:
      return b.add_op(op, {x, y}, {out}, Opt::SubOptions,
                      [act](auto& fbb) { return tflite::CreateSubOptions(fbb, act).Union(); });
    default:
      return b.add_op(op, {x, y}, {out}, Opt::MulOptions,
                      [act](auto& fbb) { return tflite::CreateMulOptions(fbb, act).Union(); });
  }
}

int max_pool(ModelBuilder& b, int in, int out, Act act = Act::NONE) {
  return b.add_op(BuiltinOp::kMaxPool2D, {in}, {out}, Opt::Pool2DOptions, [act](auto& fbb) {
    return tflite::CreatePool2DOptions(fbb, tflite::Padding::VALID, 2, 2, 2, 2, act).Union();
  });
}

int reshape(ModelBuilder& b, int in, const std::vector<int32_t>& shape, int out) {
  const int s = b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(shape.size())}, shape);
  return b.add_op(BuiltinOp::kReshape, {in, s}, {out});
}

// ---- Constant folding ----

// FULLY_CONNECTED whose weights are TRANSPOSE(constant) and whose bias is (b0 + b1) * 2: three folds.
std::vector<uint8_t> constant_subgraph_model() {
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 4}, {}, "x");
  const int w = b.add_constant<float>(kF32, {4, 3}, ramp(12, -1.5f, 0.25f), {}, "w_io");
  const int perm = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 0});
  const int wt = b.add_tensor(kF32, {3, 4}, {}, "w_oi");
  const int b0 = b.add_constant<float>(kF32, {3}, {0.5f, -1, 2}, {}, "b0");
  const int b1 = b.add_constant<float>(kF32, {3}, {0.25f, 0.75f, -3}, {}, "b1");
  const int two = b.add_constant<float>(kF32, {}, {2.0f}, {}, "two");
  const int sum = b.add_tensor(kF32, {3}, {}, "b_sum");
  const int bias = b.add_tensor(kF32, {3}, {}, "bias");
  const int y = b.add_tensor(kF32, {1, 3}, {}, "y");
  b.add_op(BuiltinOp::kTranspose, {w, perm}, {wt});
  binary(b, BuiltinOp::kAdd, b0, b1, sum);
  binary(b, BuiltinOp::kMul, sum, two, bias);
  fully_connected(b, x, wt, bias, y);
  b.set_inputs({x});
  b.set_outputs({y});
  return b.finish();
}

TEST(GraphPassConstantFolding, FoldsConstantChainsIntoConstants) {
  const std::vector<uint8_t> model = constant_subgraph_model();
  const std::vector<uint8_t> folded = apply(model, fold_constants, 3, 1);
  const Graph g = Graph::read(folded);
  EXPECT_TRUE(g.ops[0].is(BuiltinOp::kFullyConnected));
  // The folded tensors keep their names and now hold the values the ops computed.
  const int wt = find_tensor(g, "w_oi"), bias = find_tensor(g, "bias");
  ASSERT_GE(wt, 0);
  ASSERT_GE(bias, 0);
  EXPECT_EQ(g.tensors[wt].values<float>(),
            (std::vector<float>{-1.5f, -0.75f, 0, 0.75f, -1.25f, -0.5f, 0.25f, 1, -1, -0.25f, 0.5f, 1.25f}));
  EXPECT_EQ(g.tensors[bias].values<float>(), (std::vector<float>{1.5f, -0.5f, -2}));
  EXPECT_EQ(find_tensor(g, "b0"), -1);  // inputs nothing reads any more are gone
  expect_equivalent(model, folded);     // exact: the same kernels computed the same values
}

TEST(GraphPassConstantFolding, FoldsQuantizedOpsBitExactly) {
  // int8 ADD of two constants (rescaling both) feeding an ADD with the input: the folded constant holds
  // the bytes the int8 kernel computes, so outputs stay identical.
  ModelBuilder b;
  const auto q = QuantParams::per_tensor(0.05f, -3), q2 = QuantParams::per_tensor(0.11f, 4);
  const int x = b.add_tensor(DataType::kInt8, {1, 6}, q, "x");
  const int k1 = b.add_constant<int8_t>(DataType::kInt8, {6}, {-128, -5, 0, 7, 90, 127}, q);
  const int k2 = b.add_constant<int8_t>(DataType::kInt8, {6}, {3, -77, 12, 127, -1, 50}, q2);
  const int k = b.add_tensor(DataType::kInt8, {6}, q2, "k");
  const int y = b.add_tensor(DataType::kInt8, {1, 6}, q2, "y");
  binary(b, BuiltinOp::kAdd, k1, k2, k);
  binary(b, BuiltinOp::kAdd, x, k, y);
  b.set_inputs({x});
  b.set_outputs({y});
  const std::vector<uint8_t> model = b.finish();
  const std::vector<uint8_t> folded = apply(model, fold_constants, 1, 1);
  const Graph g = Graph::read(folded);
  EXPECT_TRUE(g.tensors[find_tensor(g, "k")].is_constant);
  expect_equivalent(model, folded);
}

TEST(GraphPassConstantFolding, LeavesWhatItMustNotFold) {
  // A constant ADD writing a graph output, DEQUANTIZE of int8 weights, an op the runtime has no kernel for
  // (RELU_N1_TO_1), a custom op, an output above 1M elements, and an op reading a graph input.
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 2}, {}, "x");
  const int k1 = b.add_constant<float>(kF32, {2}, {1, 2});
  const int k2 = b.add_constant<float>(kF32, {2}, {3, 4});
  const int c = b.add_tensor(kF32, {2}, {}, "c");
  binary(b, BuiltinOp::kAdd, k1, k2, c);
  const int q =
      b.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, -2, 3, 4}, QuantParams::per_tensor(0.5f, 0));
  const int w = b.add_tensor(kF32, {2, 2}, {}, "w");
  b.add_op(BuiltinOp::kDequantize, {q}, {w});
  const int n = b.add_tensor(kF32, {2}, {}, "n");
  b.add_op(BuiltinOp::kReluN1To1, {k1}, {n});
  const int cu = b.add_tensor(kF32, {2}, {}, "cu");
  b.add_custom_op("MyOp", {k2}, {cu});
  const int big_count = (1 << 20) + 1;
  const int big1 = b.add_constant<float>(kF32, {big_count}, std::vector<float>(big_count, 1.0f));
  const int big = b.add_tensor(kF32, {big_count}, {}, "big");
  binary(b, BuiltinOp::kAdd, big1, big1, big);
  const int y = b.add_tensor(kF32, {1, 2}, {}, "y");
  fully_connected(b, x, w, -1, y);
  const int z = b.add_tensor(kF32, {1, 2}, {}, "z");
  binary(b, BuiltinOp::kAdd, y, n, z);
  const int z2 = b.add_tensor(kF32, {1, 2}, {}, "z2");
  binary(b, BuiltinOp::kAdd, z, cu, z2);
  b.set_inputs({x});
  b.set_outputs({z2, c, big});
  Graph g = Graph::read(b.finish());
  EXPECT_EQ(fold_constants(g), 0);
  EXPECT_EQ(g.ops.size(), 8u);
}

// ---- Activation fusion ----

// input [1,4,4,2] -> PRODUCER -> RELU-like `relu` -> output; `op` picks the producer.
std::vector<uint8_t> producer_relu_model(BuiltinOp op, BuiltinOp relu, Act producer_act = Act::NONE) {
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 4, 4, 2}, {}, "x");
  std::vector<int32_t> shape = {1, 4, 4, 3};
  int mid;
  switch (op) {
    case BuiltinOp::kConv2D: {
      const int w = b.add_constant<float>(kF32, {3, 2, 2, 2}, ramp(24, -1.2f, 0.1f));
      const int bias = b.add_constant<float>(kF32, {3}, {0.1f, -0.2f, 0.3f});
      mid = b.add_tensor(kF32, shape, {}, "mid");
      conv2d(b, x, w, bias, mid, producer_act);
      break;
    }
    case BuiltinOp::kDepthwiseConv2D: {
      shape = {1, 4, 4, 4};
      const int w = b.add_constant<float>(kF32, {1, 3, 3, 4}, ramp(36, -0.9f, 0.05f));
      mid = b.add_tensor(kF32, shape, {}, "mid");
      depthwise(b, x, w, -1, mid, 2, producer_act);
      break;
    }
    case BuiltinOp::kFullyConnected: {
      shape = {1, 3};
      const int w = b.add_constant<float>(kF32, {3, 32}, ramp(96, -2.0f, 0.04f));
      mid = b.add_tensor(kF32, shape, {}, "mid");
      fully_connected(b, x, w, -1, mid, producer_act);
      break;
    }
    case BuiltinOp::kMaxPool2D: {
      shape = {1, 2, 2, 2};
      mid = b.add_tensor(kF32, shape, {}, "mid");
      max_pool(b, x, mid, producer_act);
      break;
    }
    default: {  // ADD / SUB / MUL by a per-channel constant
      shape = {1, 4, 4, 2};
      const int k = b.add_constant<float>(kF32, {2}, {0.5f, -1.5f});
      mid = b.add_tensor(kF32, shape, {}, "mid");
      binary(b, op, x, k, mid, producer_act);
      break;
    }
  }
  const int y = b.add_tensor(kF32, shape, {}, "y");
  b.add_op(relu, {mid}, {y});
  b.set_inputs({x});
  b.set_outputs({y});
  return b.finish();
}

TEST(GraphPassFuseActivation, FusesReluAndRelu6IntoTheirProducers) {
  for (BuiltinOp op : {BuiltinOp::kConv2D, BuiltinOp::kDepthwiseConv2D, BuiltinOp::kFullyConnected,
                       BuiltinOp::kMaxPool2D, BuiltinOp::kAdd, BuiltinOp::kSub, BuiltinOp::kMul}) {
    for (BuiltinOp relu : {BuiltinOp::kRelu, BuiltinOp::kRelu6}) {
      SCOPED_TRACE(std::string(builtin_op_name(static_cast<int32_t>(op))) + " -> " +
                   builtin_op_name(static_cast<int32_t>(relu)));
      const std::vector<uint8_t> model = producer_relu_model(op, relu);
      const std::vector<uint8_t> fused = apply(model, fuse_activations, 1, 1);
      const Graph g = Graph::read(fused);
      EXPECT_EQ(g.ops[0].fused_activation(), relu == BuiltinOp::kRelu ? IrAct::RELU : IrAct::RELU6);
      EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].name, "y");
      expect_equivalent(model, fused);  // exact: the same clamp on the same values
    }
  }
}

TEST(GraphPassFuseActivation, CombinesActivationsOnlyWhenExactlyRepresentable) {
  struct Case {
    Act producer;
    BuiltinOp relu;
    int rewrites;
    IrAct result;
  };
  const Case cases[] = {
      {Act::RELU, BuiltinOp::kRelu6, 1, IrAct::RELU6},     // max(0, x) then [0, 6] = [0, 6]
      {Act::RELU6, BuiltinOp::kRelu, 1, IrAct::RELU6},     // [0, 6] then max(0, .) = [0, 6]
      {Act::RELU, BuiltinOp::kRelu, 1, IrAct::RELU},       // idempotent
      {Act::RELU6, BuiltinOp::kRelu6, 1, IrAct::RELU6},    // idempotent
      {Act::RELU, BuiltinOp::kReluN1To1, 0, IrAct::RELU},  // [0, 1]: no such activation
      {Act::RELU_N1_TO_1, BuiltinOp::kRelu, 0, IrAct::RELU_N1_TO_1},
      {Act::TANH, BuiltinOp::kRelu, 0, IrAct::TANH},  // not a clamp
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.producer));
    const std::vector<uint8_t> model = producer_relu_model(BuiltinOp::kFullyConnected, c.relu, c.producer);
    const std::vector<uint8_t> fused = apply(model, fuse_activations, c.rewrites, 2 - c.rewrites);
    EXPECT_EQ(Graph::read(fused).ops[0].fused_activation(), c.result);
    if (c.rewrites == 1) expect_equivalent(model, fused);
  }
}

TEST(GraphPassFuseActivation, FusesReluN1To1WhichTheRuntimeOnlyRunsFused) {
  const std::vector<uint8_t> model = producer_relu_model(BuiltinOp::kFullyConnected, BuiltinOp::kReluN1To1);
  const std::vector<uint8_t> fused = apply(model, fuse_activations, 1, 1);
  EXPECT_EQ(Graph::read(fused).ops[0].fused_activation(), IrAct::RELU_N1_TO_1);
  // No RELU_N1_TO_1 kernel: compare with the FULLY_CONNECTED alone, clamped here.
  Graph plain = Graph::read(model);
  plain.outputs = {plain.ops[0].outputs[0]};
  plain.remove_op(1);
  for (uint32_t seed : {1u, 2u, 12345u}) {
    const ModelRun want = run(plain.write(), seed), got = run(fused, seed);
    ASSERT_TRUE(want.status.is_ok() && got.status.is_ok());
    std::vector<float> clamped = testing::values_of<float>(want.outputs[0]);
    for (float& v : clamped) v = std::clamp(v, -1.0f, 1.0f);
    EXPECT_EQ(testing::values_of<float>(got.outputs[0]), clamped);
  }
}

TEST(GraphPassFuseActivation, DoesNotFuseSharedOutputsGraphOutputsQuantizedOrConcatenation) {
  {  // The producer's output is also read by another op.
    Graph g = Graph::read(producer_relu_model(BuiltinOp::kAdd, BuiltinOp::kRelu));
    GraphTensor t = g.tensors[g.outputs[0]];
    t.name = "other";
    const int other = g.add_tensor(t);
    GraphOp relu6;
    relu6.code = static_cast<int32_t>(BuiltinOp::kRelu6);
    relu6.inputs = {g.ops[0].outputs[0]};
    relu6.outputs = {other};
    g.insert_op(relu6);
    g.outputs.push_back(other);
    EXPECT_EQ(fuse_activations(g), 0);
  }
  {  // The producer's output is a graph output.
    Graph g = Graph::read(producer_relu_model(BuiltinOp::kConv2D, BuiltinOp::kRelu));
    g.outputs.push_back(g.ops[0].outputs[0]);
    EXPECT_EQ(fuse_activations(g), 0);
  }
  {  // Quantized int8 ADD -> RELU.
    ModelBuilder b;
    const auto q = QuantParams::per_tensor(0.1f, 3);
    const int x = b.add_tensor(DataType::kInt8, {1, 4}, q, "x");
    const int k = b.add_constant<int8_t>(DataType::kInt8, {4}, {1, 2, 3, 4}, q);
    const int mid = b.add_tensor(DataType::kInt8, {1, 4}, q);
    const int y = b.add_tensor(DataType::kInt8, {1, 4}, q, "y");
    binary(b, BuiltinOp::kAdd, x, k, mid);
    b.add_op(BuiltinOp::kRelu, {mid}, {y});
    b.set_inputs({x});
    b.set_outputs({y});
    Graph g = Graph::read(b.finish());
    EXPECT_EQ(fuse_activations(g), 0);
  }
  {  // CONCATENATION has the field, but the runtime runs no fused activation there.
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {1, 2}, {}, "x");
    const int mid = b.add_tensor(kF32, {1, 4});
    const int y = b.add_tensor(kF32, {1, 4}, {}, "y");
    b.add_op(BuiltinOp::kConcatenation, {x, x}, {mid}, Opt::ConcatenationOptions,
             [](auto& fbb) { return tflite::CreateConcatenationOptions(fbb, 1).Union(); });
    b.add_op(BuiltinOp::kRelu, {mid}, {y});
    b.set_inputs({x});
    b.set_outputs({y});
    Graph g = Graph::read(b.finish());
    EXPECT_EQ(fuse_activations(g), 0);
  }
}

// ---- Identity ops ----

TEST(GraphPassIdentity, RemovesIdentityReshapes) {
  // x -> ADD -> a -> RESHAPE [1,4] -> r -> MUL -> y
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 4}, {}, "x");
  const int k = b.add_constant<float>(kF32, {4}, {1, -2, 3, -4});
  const int a = b.add_tensor(kF32, {1, 4}, {}, "a");
  const int r = b.add_tensor(kF32, {1, 4}, {}, "r");
  const int y = b.add_tensor(kF32, {1, 4}, {}, "y");
  binary(b, BuiltinOp::kAdd, x, k, a);
  reshape(b, a, {1, 4}, r);
  binary(b, BuiltinOp::kMul, r, k, y);
  b.set_inputs({x});
  b.set_outputs({y});
  const std::vector<uint8_t> model = b.finish();
  const std::vector<uint8_t> after = apply(model, remove_identity_ops, 1, 2);
  EXPECT_EQ(find_tensor(Graph::read(after), "r"), -1);
  expect_equivalent(model, after);
}

TEST(GraphPassIdentity, IdentityReshapeIntoAGraphOutputKeepsTheOutput) {
  {  // ADD -> a -> RESHAPE -> y (output): the ADD writes y.
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {2, 3}, {}, "x");
    const int a = b.add_tensor(kF32, {2, 3}, {}, "a");
    const int y = b.add_tensor(kF32, {2, 3}, {}, "y");
    binary(b, BuiltinOp::kAdd, x, x, a);
    reshape(b, a, {2, 3}, y);
    b.set_inputs({x});
    b.set_outputs({y});
    const std::vector<uint8_t> model = b.finish();
    const std::vector<uint8_t> after = apply(model, remove_identity_ops, 1, 1);
    const Graph g = Graph::read(after);
    EXPECT_EQ(g.tensors[g.ops[0].outputs[0]].name, "y");
    expect_equivalent(model, after);
  }
  {  // Graph input -> RESHAPE -> graph output: nothing could write the output instead.
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {2, 3}, {}, "x");
    const int y = b.add_tensor(kF32, {2, 3}, {}, "y");
    reshape(b, x, {2, 3}, y);
    b.set_inputs({x});
    b.set_outputs({y});
    apply(b.finish(), remove_identity_ops, 0, 1);
  }
  {  // A real reshape stays.
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {2, 3}, {}, "x");
    const int a = b.add_tensor(kF32, {2, 3});
    const int r = b.add_tensor(kF32, {3, 2});
    const int y = b.add_tensor(kF32, {3, 2}, {}, "y");
    binary(b, BuiltinOp::kAdd, x, x, a);
    reshape(b, a, {3, 2}, r);
    binary(b, BuiltinOp::kAdd, r, r, y);
    b.set_inputs({x});
    b.set_outputs({y});
    apply(b.finish(), remove_identity_ops, 0, 3);
  }
}

// x (int8, `in`) -> DEQUANTIZE -> f -> QUANTIZE (`requant`) -> q -> DEQUANTIZE -> y (float).
std::vector<uint8_t> dequantize_quantize_model(const QuantParams& in, const QuantParams& requant,
                                               bool f_is_output = false) {
  ModelBuilder b;
  const int x = b.add_tensor(DataType::kInt8, {1, 256}, in, "x");
  const int f = b.add_tensor(kF32, {1, 256}, {}, "f");
  const int q = b.add_tensor(DataType::kInt8, {1, 256}, requant, "q");
  const int y = b.add_tensor(kF32, {1, 256}, {}, "y");
  b.add_op(BuiltinOp::kDequantize, {x}, {f});
  b.add_op(BuiltinOp::kQuantize, {f}, {q});
  b.add_op(BuiltinOp::kDequantize, {q}, {y});
  b.set_inputs({x});
  b.set_outputs(f_is_output ? std::vector<int>{y, f} : std::vector<int>{y});
  return b.finish();
}

TEST(GraphPassIdentity, RemovesDequantizeQuantizeRoundTrips) {
  const auto q = QuantParams::per_tensor(0.0123f, -7);
  const std::vector<uint8_t> model = dequantize_quantize_model(q, q);
  const std::vector<uint8_t> after = apply(model, remove_identity_ops, 1, 1);
  const Graph g = Graph::read(after);
  EXPECT_EQ(g.ops[0].inputs[0], g.inputs[0]);
  expect_equivalent(model, after);
  // Every int8 value, not only LCG samples: exact.
  std::vector<int8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<int8_t>(i - 128);
  const testing::KernelList kernels = {{BuiltinOp::kDequantize, &reference::dequantize()},
                                       {BuiltinOp::kQuantize, &reference::quantize()}};
  EXPECT_EQ((testing::run_values<float>(after, kernels, all)),
            (testing::run_values<float>(model, kernels, all)));

  // The first DEQUANTIZE's output is also a graph output: it stays, the QUANTIZE goes.
  const std::vector<uint8_t> model2 = dequantize_quantize_model(q, q, true);
  const std::vector<uint8_t> after2 = apply(model2, remove_identity_ops, 1, 2);
  expect_equivalent(model2, after2);
}

TEST(GraphPassIdentity, KeepsRequantizationAndQuantizeDequantize) {
  apply(dequantize_quantize_model(QuantParams::per_tensor(0.0123f, -7), QuantParams::per_tensor(0.0246f, -7)),
        remove_identity_ops, 0, 3);
  apply(dequantize_quantize_model(QuantParams::per_tensor(0.0123f, -7), QuantParams::per_tensor(0.0123f, 0)),
        remove_identity_ops, 0, 3);
  // QUANTIZE -> DEQUANTIZE rounds to the int8 grid: not an identity.
  ModelBuilder b;
  const auto q = QuantParams::per_tensor(0.05f, 0);
  const int x = b.add_tensor(kF32, {1, 8}, {}, "x");
  const int t = b.add_tensor(DataType::kInt8, {1, 8}, q);
  const int y = b.add_tensor(kF32, {1, 8}, {}, "y");
  b.add_op(BuiltinOp::kQuantize, {x}, {t});
  b.add_op(BuiltinOp::kDequantize, {t}, {y});
  b.set_inputs({x});
  b.set_outputs({y});
  apply(b.finish(), remove_identity_ops, 0, 2);
}

// ---- Batch-norm folding ----

// x [1,5,5,3] -> CONV_2D (no bias) -> c [1,5,5,4] -> MUL [4] -> m -> ADD [1,1,1,4] (RELU) -> y
std::vector<uint8_t> conv_mul_add_model() {
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 5, 5, 3}, {}, "x");
  const int w = b.add_constant<float>(kF32, {4, 3, 3, 3}, ramp(108, -1.1f, 0.0213f), {}, "w");
  const int c = b.add_tensor(kF32, {1, 5, 5, 4}, {}, "conv");
  const int scale = b.add_constant<float>(kF32, {4}, {0.9f, -1.3f, 2.2f, 0.01f}, {}, "gamma");
  const int shift = b.add_constant<float>(kF32, {1, 1, 1, 4}, {0.1f, 0.2f, -0.3f, 1.7f}, {}, "beta");
  const int m = b.add_tensor(kF32, {1, 5, 5, 4}, {}, "scaled");
  const int y = b.add_tensor(kF32, {1, 5, 5, 4}, {}, "y");
  conv2d(b, x, w, -1, c);
  binary(b, BuiltinOp::kMul, c, scale, m);
  binary(b, BuiltinOp::kAdd, shift, m, y, Act::RELU);  // constant first: ADD commutes
  b.set_inputs({x});
  b.set_outputs({y});
  return b.finish();
}

TEST(GraphPassFoldBatchNorm, FoldsMulAndAddIntoConv) {
  const std::vector<uint8_t> model = conv_mul_add_model();
  const std::vector<uint8_t> after = apply(model, fold_batch_norm, 2, 1);
  const Graph g = Graph::read(after);
  ASSERT_EQ(g.ops[0].inputs.size(), 3u);
  EXPECT_EQ(g.ops[0].fused_activation(), IrAct::RELU);
  const GraphTensor& bias = g.tensors[g.ops[0].inputs[2]];
  EXPECT_EQ(bias.name, "conv/bias");
  EXPECT_EQ(bias.values<float>(), (std::vector<float>{0.1f, 0.2f, -0.3f, 1.7f}));  // 0 * m + a
  // Weights of output channel 1 scaled by -1.3.
  const std::vector<float> w = g.tensors[g.ops[0].inputs[1]].values<float>();
  EXPECT_EQ(w[27], (-1.1f + 0.0213f * 27) * -1.3f);
  expect_equivalent(model, after, 1e-5);  // W*m reassociates the products: rounding differences only
}

TEST(GraphPassFoldBatchNorm, FoldsMulAndSubIntoDepthwiseWithBias) {
  // x [1,4,4,2] -> DEPTHWISE (x2, bias) -> [1,4,4,4] -> MUL (scalar or per channel) -> SUB [4] (RELU6) -> y
  for (const std::vector<int32_t>& scale_shape : {std::vector<int32_t>{}, std::vector<int32_t>{1, 1, 1, 4}}) {
    const bool scalar = scale_shape.empty();
    SCOPED_TRACE(scalar ? "scalar MUL" : "per-channel MUL");
    const std::vector<float> scale =
        scalar ? std::vector<float>{1.5f} : std::vector<float>{1.5f, -0.5f, 2, 0.75f};
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {1, 4, 4, 2}, {}, "x");
    const int w = b.add_constant<float>(kF32, {1, 3, 3, 4}, ramp(36, -0.9f, 0.05f));
    const int bias = b.add_constant<float>(kF32, {4}, {0.5f, -0.25f, 1, 2});
    const int d = b.add_tensor(kF32, {1, 4, 4, 4});
    const int s = b.add_constant<float>(kF32, scale_shape, scale);
    const int m = b.add_tensor(kF32, {1, 4, 4, 4});
    const int k = b.add_constant<float>(kF32, {4}, {1, 2, -3, 0.5f});
    const int y = b.add_tensor(kF32, {1, 4, 4, 4}, {}, "y");
    depthwise(b, x, w, bias, d, 2);
    binary(b, BuiltinOp::kMul, s, d, m);
    binary(b, BuiltinOp::kSub, m, k, y, Act::RELU6);
    b.set_inputs({x});
    b.set_outputs({y});
    const std::vector<uint8_t> model = b.finish();
    const std::vector<uint8_t> after = apply(model, fold_batch_norm, 2, 1);
    const Graph g = Graph::read(after);
    EXPECT_EQ(g.ops[0].fused_activation(), IrAct::RELU6);
    const std::vector<float> want_bias = scalar
                                             ? std::vector<float>{0.75f - 1, -0.375f - 2, 1.5f + 3, 3 - 0.5f}
                                             : std::vector<float>{0.75f - 1, 0.125f - 2, 2 + 3, 1.5f - 0.5f};
    EXPECT_EQ(g.tensors[g.ops[0].inputs[2]].values<float>(), want_bias);
    // Depthwise weights [1,3,3,4]: the channel is the last dimension.
    const std::vector<float> folded = g.tensors[g.ops[0].inputs[1]].values<float>();
    EXPECT_EQ(folded[5], (-0.9f + 0.05f * 5) * scale[scalar ? 0 : 1]);
    expect_equivalent(model, after, 1e-5);
  }
}

TEST(GraphPassFoldBatchNorm, FoldsAddIntoFullyConnectedAndCopiesSharedWeights) {
  // Two FULLY_CONNECTEDs share weights; only the first is followed by ADD [3] (RELU) and MUL [1,3].
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {2, 6}, {}, "x");
  const int w = b.add_constant<float>(kF32, {3, 6}, ramp(18, -1, 0.1f), {}, "shared_w");
  const int f1 = b.add_tensor(kF32, {2, 3}, {}, "fc1");
  const int f2 = b.add_tensor(kF32, {2, 3}, {}, "fc2");
  const int a = b.add_constant<float>(kF32, {3}, {0.5f, -0.5f, 0.25f});
  const int s = b.add_constant<float>(kF32, {1, 3}, {2, 3, -1});
  const int t = b.add_tensor(kF32, {2, 3});
  const int y1 = b.add_tensor(kF32, {2, 3}, {}, "y1");
  fully_connected(b, x, w, -1, f1);
  fully_connected(b, x, w, -1, f2);
  binary(b, BuiltinOp::kMul, f1, s, t);
  binary(b, BuiltinOp::kAdd, t, a, y1, Act::RELU);
  b.set_inputs({x});
  b.set_outputs({y1, f2});
  const std::vector<uint8_t> model = b.finish();
  const std::vector<uint8_t> after = apply(model, fold_batch_norm, 2, 2);
  const Graph g = Graph::read(after);
  EXPECT_NE(g.ops[0].inputs[1], g.ops[1].inputs[1]);
  EXPECT_EQ(g.tensors[g.ops[1].inputs[1]].values<float>(), ramp(18, -1, 0.1f));  // the other op's
  EXPECT_EQ(g.tensors[g.ops[0].inputs[1]].name, "fc1/weights");
  EXPECT_EQ(g.tensors[g.ops[0].inputs[2]].values<float>(), (std::vector<float>{0.5f, -0.5f, 0.25f}));
  expect_equivalent(model, after, 1e-5);
}

TEST(GraphPassFoldBatchNorm, DoesNotFoldWhereTheResultWouldDiffer) {
  // conv (activation `act`) -> MUL by operand `operand_shape` (constant unless `variable`) -> y
  auto model = [](Act act, std::vector<int32_t> operand_shape, bool variable, bool conv_is_output,
                  bool second_reader, BuiltinOp op = BuiltinOp::kMul, bool constant_first = false) {
    ModelBuilder b;
    const int x = b.add_tensor(kF32, {1, 2, 2, 3}, {}, "x");
    const int w = b.add_constant<float>(kF32, {4, 1, 1, 3}, ramp(12, -1, 0.2f));
    const int c = b.add_tensor(kF32, {1, 2, 2, 4}, {}, "c");
    int64_t n = 1;
    for (int32_t dim : operand_shape) n *= dim;
    const int k = variable ? b.add_tensor(kF32, operand_shape, {}, "k")
                           : b.add_constant<float>(kF32, operand_shape, ramp(n, 0.5f, 0.25f));
    const int y = b.add_tensor(kF32, {1, 2, 2, 4}, {}, "y");
    conv2d(b, x, w, -1, c, act);
    if (constant_first) {
      binary(b, op, k, c, y);
    } else {
      binary(b, op, c, k, y);
    }
    std::vector<int> outputs = {y};
    if (second_reader) {
      const int z = b.add_tensor(kF32, {1, 2, 2, 4}, {}, "z");
      b.add_op(BuiltinOp::kRelu, {c}, {z});
      outputs.push_back(z);
    }
    if (conv_is_output) outputs.push_back(c);
    b.set_inputs(variable ? std::vector<int>{x, k} : std::vector<int>{x});
    b.set_outputs(outputs);
    return b.finish();
  };
  const size_t two = 2;
  apply(model(Act::NONE, {4}, true, false, false), fold_batch_norm, 0, two);      // operand not constant
  apply(model(Act::RELU, {4}, false, false, false), fold_batch_norm, 0, two);     // conv has RELU
  apply(model(Act::NONE, {4}, false, true, false), fold_batch_norm, 0, two);      // conv output is output
  apply(model(Act::NONE, {4}, false, false, true), fold_batch_norm, 0, two + 1);  // read twice
  apply(model(Act::NONE, {1, 2, 1, 4}, false, false, false), fold_batch_norm, 0, two);  // per row too
  apply(model(Act::NONE, {1, 1, 2, 1}, false, false, false), fold_batch_norm, 0, two);  // not per channel
  apply(model(Act::NONE, {4}, false, false, false, BuiltinOp::kSub, true), fold_batch_norm, 0, two);  // k - c
  // Sanity: the same model with a per-channel constant does fold.
  apply(model(Act::NONE, {1, 1, 1, 4}, false, false, false), fold_batch_norm, 1, 1);

  // Quantized int8 conv -> MUL: left alone.
  ModelBuilder b;
  const auto q = QuantParams::per_tensor(0.1f, 0);
  const int x = b.add_tensor(DataType::kInt8, {1, 2, 2, 3}, q, "x");
  const int w = b.add_constant<int8_t>(DataType::kInt8, {4, 1, 1, 3}, std::vector<int8_t>(12, 3),
                                       QuantParams::per_tensor(0.01f, 0));
  const int c = b.add_tensor(DataType::kInt8, {1, 2, 2, 4}, q);
  const int k = b.add_constant<int8_t>(DataType::kInt8, {4}, {1, 2, 3, 4}, q);
  const int y = b.add_tensor(DataType::kInt8, {1, 2, 2, 4}, q, "y");
  conv2d(b, x, w, -1, c);
  binary(b, BuiltinOp::kMul, c, k, y);
  b.set_inputs({x});
  b.set_outputs({y});
  apply(b.finish(), fold_batch_norm, 0, 2);
}

// ---- All passes ----

TEST(GraphPassOptimize, RunsEveryPassToAFixedPoint) {
  // x -> CONV -> MUL -> ADD -> RELU -> RESHAPE (identity) -> FULLY_CONNECTED (weights TRANSPOSE(const)) -> y
  ModelBuilder b;
  const int x = b.add_tensor(kF32, {1, 3, 3, 2}, {}, "x");
  const int w = b.add_constant<float>(kF32, {2, 3, 3, 2}, ramp(36, -0.7f, 0.04f));
  const int c = b.add_tensor(kF32, {1, 3, 3, 2});
  const int m_k = b.add_constant<float>(kF32, {2}, {1.25f, -0.5f});
  const int m = b.add_tensor(kF32, {1, 3, 3, 2});
  const int a_k = b.add_constant<float>(kF32, {2}, {0.3f, 0.1f});
  const int a = b.add_tensor(kF32, {1, 3, 3, 2});
  const int r = b.add_tensor(kF32, {1, 3, 3, 2});
  const int rs = b.add_tensor(kF32, {1, 3, 3, 2});
  const int fw = b.add_constant<float>(kF32, {18, 5}, ramp(90, -1, 0.02f));
  const int perm = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 0});
  const int fwt = b.add_tensor(kF32, {5, 18});
  const int y = b.add_tensor(kF32, {1, 5}, {}, "y");
  conv2d(b, x, w, -1, c);
  binary(b, BuiltinOp::kMul, c, m_k, m);
  binary(b, BuiltinOp::kAdd, m, a_k, a);
  b.add_op(BuiltinOp::kRelu, {a}, {r});
  reshape(b, r, {1, 3, 3, 2}, rs);
  b.add_op(BuiltinOp::kTranspose, {fw, perm}, {fwt});
  fully_connected(b, rs, fwt, -1, y);
  b.set_inputs({x});
  b.set_outputs({y});
  const std::vector<uint8_t> model = b.finish();
  // TRANSPOSE folded, RESHAPE removed, MUL and ADD folded, RELU fused.
  const std::vector<uint8_t> after = apply(model, optimize, 5, 2);
  const Graph g = Graph::read(after);
  EXPECT_EQ(g.ops[0].fused_activation(), IrAct::RELU);
  expect_equivalent(model, after, 1e-5);
  Graph again = Graph::read(after);
  EXPECT_EQ(optimize(again), 0);
}

TEST(GraphPassOptimize, SharedFloatModelsKeepTheirOutputs) {
  EI_REQUIRE_SHARED_DIR(shared);
  int float_models = 0;
  for (const auto& path : testing::shared_models()) {
    const std::vector<uint8_t> model = testing::read_bytes(path);
    Graph g = Graph::read(model);
    bool is_float = !g.inputs.empty();
    for (int t : g.inputs) is_float = is_float && g.tensors[t].type == kF32;
    for (int t : g.outputs) is_float = is_float && g.tensors[t].type == kF32;
    if (!is_float) continue;
    SCOPED_TRACE(path.filename().string());
    const ModelRun probe = run(model, 12345);
    if (!probe.status.is_ok()) {  // e.g. a kernel the runtime lacks: nothing to compare with
      std::printf("  %-40s not runnable here: %s\n", path.filename().c_str(), probe.status.message());
      continue;
    }
    ++float_models;
    const size_t ops_before = g.ops.size();
    const int rewrites = optimize(g);
    const std::vector<uint8_t> after = g.write();
    std::printf("  %-40s %zu ops -> %zu, %d rewrites\n", path.filename().c_str(), ops_before, g.ops.size(),
                rewrites);
    EXPECT_GE(ops_before - g.ops.size(), static_cast<size_t>(rewrites));  // every rewrite removes an op
    // Untouched models must be bit-identical; rewritten ones within 1e-4 of each output's largest magnitude.
    expect_equivalent(model, after, rewrites == 0 ? 0 : 1e-4);
  }
  EXPECT_GT(float_models, 0);
}

}  // namespace
}  // namespace edgeinfer::compiler
