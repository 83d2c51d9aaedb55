#include "compiler/quantize/quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "compiler/model_compare.h"
#include "compiler/quantize/spec_check.h"
#include "edgeinfer/model.h"

namespace edgeinfer::compiler::quantize {
namespace {

std::vector<float> random_values(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// input [1,8,8,2] -> CONV_2D 3x3x2->4 (RELU) -> AVERAGE_POOL 2x2 -> RESHAPE [1,64] -> FULLY_CONNECTED 64->5
// -> SOFTMAX.
std::vector<uint8_t> small_cnn() {
  std::mt19937 rng(7);
  ModelBuilder b;
  int in = b.add_tensor(DataType::kFloat32, {1, 8, 8, 2}, {}, "input");
  int cw = b.add_constant<float>(DataType::kFloat32, {4, 3, 3, 2}, random_values(rng, 72, -0.5f, 0.5f), {},
                                 "conv/w");
  int cb = b.add_constant<float>(DataType::kFloat32, {4}, {0.1f, -0.2f, 0.05f, 0.0f}, {}, "conv/b");
  int c = b.add_tensor(DataType::kFloat32, {1, 8, 8, 4}, {}, "conv");
  b.add_op(BuiltinOp::kConv2D, {in, cw, cb}, {c}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, tflite::ActivationFunctionType::RELU)
        .Union();
  });
  int p = b.add_tensor(DataType::kFloat32, {1, 4, 4, 4}, {}, "pool");
  b.add_op(BuiltinOp::kAveragePool2D, {c}, {p}, tflite::BuiltinOptions::Pool2DOptions, [](auto& fbb) {
    return tflite::CreatePool2DOptions(fbb, tflite::Padding::VALID, 2, 2, 2, 2).Union();
  });
  int shape = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 64}, {}, "shape");
  int r = b.add_tensor(DataType::kFloat32, {1, 64}, {}, "flat");
  b.add_op(BuiltinOp::kReshape, {p, shape}, {r}, tflite::BuiltinOptions::ReshapeOptions,
           [](auto& fbb) { return tflite::CreateReshapeOptionsDirect(fbb, nullptr).Union(); });
  int fw =
      b.add_constant<float>(DataType::kFloat32, {5, 64}, random_values(rng, 320, -0.3f, 0.3f), {}, "fc/w");
  int fb = b.add_constant<float>(DataType::kFloat32, {5}, {0.0f, 0.1f, -0.1f, 0.2f, 0.0f}, {}, "fc/b");
  int f = b.add_tensor(DataType::kFloat32, {1, 5}, {}, "logits");
  b.add_op(BuiltinOp::kFullyConnected, {r, fw, fb}, {f}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  int s = b.add_tensor(DataType::kFloat32, {1, 5}, {}, "probs");
  b.add_op(BuiltinOp::kSoftmax, {f}, {s}, tflite::BuiltinOptions::SoftmaxOptions,
           [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); });
  b.set_inputs({in});
  b.set_outputs({s});
  return b.finish();
}

SampleSet samples(uint32_t seed, int count, size_t values, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  SampleSet set;
  for (int i = 0; i < count; ++i) set.push_back({random_values(rng, values, lo, hi)});
  return set;
}

double snr_db(const std::vector<uint8_t>& reference, const std::vector<uint8_t>& test,
              const SampleSet& data) {
  host::LoadedModel a, b;
  EXPECT_TRUE(a.load_bytes(reference.data(), reference.size()).is_ok());
  EXPECT_TRUE(b.load_bytes(test.data(), test.size()).is_ok());
  std::string error;
  const auto report = host::compare_models(a.model(), b.model(), data, {}, &error);
  EXPECT_TRUE(report.has_value()) << error;
  return report ? report->snr_db() : -1000;
}

TEST(QuantizerTest, Int8FollowsTheSpecAndStaysCloseToTheFloatModel) {
  const auto float_model = small_cnn();
  QuantizeOptions options;
  const QuantizeResult result = quantize_model(float_model, samples(1, 64, 128), options);
  const Graph g = Graph::read(result.model);
  EXPECT_EQ(check_integer_spec(g), std::vector<std::string>{});
  // Integer io: int8 input and output; softmax output 1/256, -128; pool and reshape keep the conv's params.
  EXPECT_EQ(g.tensors[g.inputs[0]].type, DataType::kInt8);
  const GraphTensor& out = g.tensors[g.outputs[0]];
  EXPECT_EQ(out.type, DataType::kInt8);
  EXPECT_FLOAT_EQ(out.quant.scales[0], 1.0f / 256);
  EXPECT_EQ(out.quant.zero_points[0], -128);
  // Conv weights per channel (4 scales, axis 0), bias int32 with scale input x weight.
  const GraphOp& conv = g.ops[0];
  ASSERT_TRUE(conv.is(BuiltinOp::kConv2D));
  const GraphTensor& w = g.tensors[conv.inputs[1]];
  EXPECT_EQ(w.type, DataType::kInt8);
  EXPECT_EQ(w.quant.scales.size(), 4u);
  // Per-channel symmetric: each channel's largest weight maps to +-127.
  const auto q = w.values<int8_t>();
  for (int ch = 0; ch < 4; ++ch) {
    int biggest = 0;
    for (int k = 0; k < 18; ++k) biggest = std::max(biggest, std::abs(int{q[ch * 18 + k]}));
    EXPECT_EQ(biggest, 127) << "channel " << ch;
  }
  EXPECT_EQ(g.tensors[conv.inputs[2]].type, DataType::kInt32);
  // The conv output (RELU) range starts at 0: zero point -128.
  EXPECT_EQ(g.tensors[conv.outputs[0]].quant.zero_points[0], -128);
  // About 4x smaller weights; close to the float model on held-out data.
  const double snr = snr_db(float_model, result.model, samples(2, 32, 128));
  EXPECT_GT(snr, 25.0);
  std::printf("small CNN int8: %.2f dB, %zu -> %zu bytes\n", snr, float_model.size(), result.model.size());
}

TEST(QuantizerTest, MinMaxGivesTheConverterParametersOfTheInput) {
  // Calibration data spanning exactly [-1, 3]: TFLite's int8 parameters are scale 4/255, zero point -64.
  SampleSet data = samples(3, 8, 128, -0.5f, 2.5f);
  data[0][0][0] = -1.0f;
  data[1][0][5] = 3.0f;
  QuantizeOptions options;
  options.method = CalibrationMethod::kMinMax;
  const Graph g = Graph::read(quantize_model(small_cnn(), data, options).model);
  const GraphTensor& in = g.tensors[g.inputs[0]];
  EXPECT_FLOAT_EQ(in.quant.scales[0], 4.0f / 255);
  EXPECT_EQ(in.quant.zero_points[0], -64);
}

TEST(QuantizerTest, FloatIoAddsQuantizeAndDequantize) {
  QuantizeOptions options;
  options.integer_io = false;
  const auto float_model = small_cnn();
  const QuantizeResult result = quantize_model(float_model, samples(1, 32, 128), options);
  const Graph g = Graph::read(result.model);
  EXPECT_TRUE(g.ops.front().is(BuiltinOp::kQuantize));
  EXPECT_TRUE(g.ops.back().is(BuiltinOp::kDequantize));
  EXPECT_EQ(g.tensors[g.inputs[0]].type, DataType::kFloat32);
  EXPECT_EQ(g.tensors[g.outputs[0]].type, DataType::kFloat32);
  EXPECT_EQ(check_integer_spec(g), std::vector<std::string>{});
  EXPECT_GT(snr_db(float_model, result.model, samples(2, 16, 128)), 25.0);
}

TEST(QuantizerTest, Int16x8HasInt16ActivationsZeroPointZeroAndInt64Biases) {
  // Enough calibration samples that held-out data stays within the calibrated ranges.
  QuantizeOptions options;
  options.mode = Mode::kInt16x8;
  const auto float_model = small_cnn();
  const QuantizeResult result = quantize_model(float_model, samples(1, 512, 128), options);
  const Graph g = Graph::read(result.model);
  EXPECT_EQ(check_integer_spec(g), std::vector<std::string>{});
  EXPECT_EQ(g.tensors[g.inputs[0]].type, DataType::kInt16);
  EXPECT_EQ(g.tensors[g.inputs[0]].quant.zero_points[0], 0);
  EXPECT_EQ(g.tensors[g.ops[0].inputs[2]].type, DataType::kInt64);
  QuantizeOptions int8;
  const auto int8_model = quantize_model(float_model, samples(1, 512, 128), int8).model;
  const SampleSet eval = samples(2, 16, 128);
  EXPECT_GT(snr_db(float_model, result.model, eval), snr_db(float_model, int8_model, eval) + 6.0);
}

TEST(QuantizerTest, DynamicAndFloat16KeepFloatActivations) {
  const auto float_model = small_cnn();
  QuantizeOptions dynamic;
  dynamic.mode = Mode::kDynamic;
  const Graph d = Graph::read(quantize_model(float_model, {}, dynamic).model);
  // Weights of >= 1024 values become int8 (none here: 72 and 320 values stay float, as TFLite does).
  EXPECT_EQ(d.tensors[d.ops[0].inputs[1]].type, DataType::kFloat32);
  EXPECT_EQ(d.tensors[d.inputs[0]].type, DataType::kFloat32);

  QuantizeOptions half;
  half.mode = Mode::kFloat16;
  const QuantizeResult h = quantize_model(float_model, {}, half);
  const Graph g = Graph::read(h.model);
  int dequantize = 0;
  for (const GraphOp& op : g.ops)
    if (op.is(BuiltinOp::kDequantize)) {
      ++dequantize;
      EXPECT_EQ(g.tensors[op.inputs[0]].type, DataType::kFloat16);
    }
  EXPECT_EQ(dequantize, 4);  // conv and fc weights and biases
  EXPECT_GT(snr_db(float_model, h.model, samples(2, 16, 128)), 50.0);
}

// A FULLY_CONNECTED 64 -> 32 whose inputs are strongly correlated (a few latent factors): error-compensated
// rounding makes W x closer than rounding each weight to nearest; the model still follows the spec.
TEST(QuantizerTest, ErrorCompensatedRoundingBeatsRoundToNearestOnCorrelatedInputs) {
  std::mt19937 rng(11);
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 64}, {}, "in");
  const int w = b.add_constant<float>(DataType::kFloat32, {32, 64}, random_values(rng, 2048, -1, 1), {}, "w");
  const int out = b.add_tensor(DataType::kFloat32, {1, 32}, {}, "out");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  const auto model = b.finish();
  const std::vector<float> mix = random_values(rng, 64 * 4, -1, 1);  // the same mixing for every set
  auto correlated = [&](uint32_t seed, int count) {
    std::mt19937 r(seed);
    std::normal_distribution<float> n(0, 1);
    SampleSet set;
    for (int s = 0; s < count; ++s) {
      float z[4] = {n(r), n(r), n(r), n(r)};
      std::vector<float> x(64);
      for (int i = 0; i < 64; ++i)
        x[i] = mix[i * 4] * z[0] + mix[i * 4 + 1] * z[1] + mix[i * 4 + 2] * z[2] + mix[i * 4 + 3] * z[3] +
               0.01f * n(r);
      set.push_back({x});
    }
    return set;
  };
  const SampleSet calibration = correlated(1, 256), eval = correlated(2, 64);
  // int16x8, so that the weights' rounding, not the activations', is the error that shows.
  QuantizeOptions on, off;
  on.mode = off.mode = Mode::kInt16x8;
  off.error_compensation = false;
  const auto with = quantize_model(model, calibration, on).model;
  const auto without = quantize_model(model, calibration, off).model;
  EXPECT_EQ(check_integer_spec(Graph::read(with)), std::vector<std::string>{});
  const double snr_with = snr_db(model, with, eval), snr_without = snr_db(model, without, eval);
  std::printf("correlated FC: %.2f dB compensated, %.2f dB nearest\n", snr_with, snr_without);
  EXPECT_GT(snr_with, snr_without + 6.0);
}

// Pruned weights (exact zeros) stay zero in every weight op, also where error-compensated rounding moves the
// other weights of a FULLY_CONNECTED: the sparsity that makes our kernels faster survives quantization.
TEST(QuantizerTest, ZeroWeightsStayZero) {
  auto model = small_cnn();
  Graph g = Graph::read(model);
  std::mt19937 rng(3);
  std::vector<std::vector<bool>> zero(g.tensors.size());
  for (const GraphOp& op : g.ops) {
    if (!op.is(BuiltinOp::kConv2D) && !op.is(BuiltinOp::kFullyConnected)) continue;
    GraphTensor& w = g.tensors[op.inputs[1]];
    std::vector<float> v = w.float_values();
    zero[op.inputs[1]].resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (rng() % 4 != 0) {
        v[i] = 0;
        zero[op.inputs[1]][i] = true;
      }
    }
    w.set_values<float>(DataType::kFloat32, v);
  }
  model = g.write();
  for (Mode mode : {Mode::kInt8, Mode::kInt16x8}) {
    QuantizeOptions options;
    options.mode = mode;
    const Graph q = Graph::read(quantize_model(model, samples(1, 64, 128), options).model);
    int checked = 0;
    for (const GraphOp& op : q.ops) {
      if (!op.is(BuiltinOp::kConv2D) && !op.is(BuiltinOp::kFullyConnected)) continue;
      const std::vector<int8_t> v = q.tensors[op.inputs[1]].values<int8_t>();
      const std::vector<bool>& z = zero.at(op.inputs[1]);
      ASSERT_EQ(v.size(), z.size());
      int64_t nonzero_kept = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        if (z[i]) EXPECT_EQ(v[i], 0) << i;
        nonzero_kept += !z[i] && v[i] != 0;
      }
      EXPECT_GT(nonzero_kept, 0);
      ++checked;
    }
    EXPECT_EQ(checked, 2);
  }
}

TEST(QuantizerTest, BadInputIsRejectedWithTheReason) {
  const auto float_model = small_cnn();
  QuantizeOptions options;
  auto message = [&](const std::vector<uint8_t>& model, const SampleSet& data) {
    try {
      quantize_model(model, data, options);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(float_model, {}), "calibration data is empty: give at least one sample");
  SampleSet nan = samples(1, 2, 128);
  nan[1][0][3] = NAN;
  EXPECT_EQ(message(float_model, nan), "calibration sample 1 input 0 value 3 is not finite");
  EXPECT_EQ(message(float_model, samples(1, 2, 100)),
            "calibration sample 0 input 0 has 100 values, the model's input 128");
  // An integer model cannot be quantized again.
  const auto int8_model = quantize_model(float_model, samples(1, 4, 128), options).model;
  EXPECT_EQ(message(int8_model, samples(1, 2, 128)),
            "model input 0 is int8: quantize needs a float32 (or hybrid) model");
  // An op the quantizer does not handle is named.
  ModelBuilder b;
  int x = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "x");
  int y = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "y");
  int z = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "z");
  b.add_op(BuiltinOp::kDiv, {x, y}, {z}, tflite::BuiltinOptions::DivOptions);
  b.set_inputs({x, y});
  b.set_outputs({z});
  SampleSet two = {{std::vector<float>(4, 1.0f), std::vector<float>(4, 2.0f)}};
  EXPECT_EQ(message(b.finish(), two),
            "op 0 (DIV) cannot be quantized to int8 (not supported by the quantizer)");
  std::vector<uint8_t> truncated = float_model;
  truncated.resize(100);
  EXPECT_NE(message(truncated, samples(1, 2, 128)), "no error");
}

}  // namespace
}  // namespace edgeinfer::compiler::quantize
