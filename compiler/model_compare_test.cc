#include "compiler/model_compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/lcg.h"

namespace edgeinfer::host {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

auto fc_options() {
  return [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); };
}

// Weights and biases as integers: the float model uses qw * 0.25 and qb * 0.125, which the int8 twin stores
// exactly, so the twin's only errors are input quantization and output saturation.
const std::vector<int8_t> kWeights = {4, -2, 1, 0, -3, 5, 2, -1, 1, 1, -6, 3};  // [3,4]
const std::vector<int32_t> kBias = {3, -8, 1};                                  // [3]
constexpr float kWeightScale = 0.25f, kBiasScale = 0.125f;
constexpr float kInputScale = 0.5f, kOutputScale = 0.125f;  // output multiplier 0.5 * 0.25 / 0.125 = 1
constexpr int kInputZeroPoint = -1, kOutputZeroPoint = 3;

LoadedModel load(const std::vector<uint8_t>& bytes) {
  LoadedModel model;
  const Status status = model.load_bytes(bytes.data(), bytes.size());
  EXPECT_TRUE(status.is_ok()) << status.message();
  return model;
}

// float [1,4] -> FULLY_CONNECTED -> float [1,3]; `inputs` values per sample (4 by default).
std::vector<uint8_t> float_fc(int inputs = 4, int outputs = 3) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, inputs}, {}, "in");
  std::vector<float> w, bias;
  for (int i = 0; i < outputs * inputs; ++i) w.push_back(kWeights[i % kWeights.size()] * kWeightScale);
  for (int i = 0; i < outputs; ++i) bias.push_back(kBias[i % kBias.size()] * kBiasScale);
  const int wt = b.add_constant<float>(DataType::kFloat32, {outputs, inputs}, w, {}, "w");
  const int bt = b.add_constant<float>(DataType::kFloat32, {outputs}, bias, {}, "b");
  const int out = b.add_tensor(DataType::kFloat32, {1, outputs}, {}, "out");
  b.add_op(BuiltinOp::kFullyConnected, {in, wt, bt}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc_options());
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// The int8 twin of float_fc(), quantized by hand.
std::vector<uint8_t> int8_fc() {
  ModelBuilder b;
  const int in =
      b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(kInputScale, kInputZeroPoint), "in");
  const int wt = b.add_constant<int8_t>(DataType::kInt8, {3, 4}, kWeights,
                                        QuantParams::per_tensor(kWeightScale, 0), "w");
  const int bt =
      b.add_constant<int32_t>(DataType::kInt32, {3}, kBias, QuantParams::per_tensor(kBiasScale, 0), "b");
  const int out =
      b.add_tensor(DataType::kInt8, {1, 3}, QuantParams::per_tensor(kOutputScale, kOutputZeroPoint), "out");
  b.add_op(BuiltinOp::kFullyConnected, {in, wt, bt}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc_options());
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// Both models' outputs, computed here: the float one exactly (every value below is a multiple of 1/8, so
// float arithmetic is exact), the int8 one as integer arithmetic with an output multiplier of exactly 1.
struct Expected {
  ErrorStats input, output;
  int rows = 0, agreeing = 0;
};

int64_t round_half_away(double x) {
  return static_cast<int64_t>(x < 0 ? -std::floor(-x + 0.5) : std::floor(x + 0.5));
}

Expected expected_twins(const FloatSamples& samples) {
  Expected e;
  for (const auto& sample : samples) {
    const std::vector<float>& x = sample[0];
    std::vector<int64_t> q(4);
    for (int i = 0; i < 4; ++i) {
      q[i] = std::clamp<int64_t>(kInputZeroPoint + round_half_away(x[i] / kInputScale), -128, 127);
      e.input.add(x[i], (q[i] - kInputZeroPoint) * kInputScale);
    }
    int best_ref = 0, best_test = 0;
    std::vector<double> ref(3), test(3);
    for (int o = 0; o < 3; ++o) {
      double r = kBias[o] * kBiasScale;
      int64_t acc = kBias[o];
      for (int i = 0; i < 4; ++i) {
        r += static_cast<double>(x[i]) * kWeights[o * 4 + i] * kWeightScale;
        acc += (q[i] - kInputZeroPoint) * kWeights[o * 4 + i];
      }
      const int64_t out = std::clamp<int64_t>(kOutputZeroPoint + acc, -128, 127);
      ref[o] = r;
      test[o] = (out - kOutputZeroPoint) * kOutputScale;
      e.output.add(ref[o], test[o]);
      if (ref[o] > ref[best_ref]) best_ref = o;
      if (test[o] > test[best_test]) best_test = o;
    }
    ++e.rows;
    if (best_ref == best_test) ++e.agreeing;
  }
  return e;
}

// Sample values, multiples of 1/8: some quantize with an error of 1/8 or 1/4, two saturate the output.
FloatSamples twin_samples() {
  return {{{0.375f, -1.25f, 2.0f, 0.625f}},
          {{-3.125f, 0.875f, 1.5f, -0.125f}},
          {{10.0f, -9.75f, 7.375f, 4.0f}},  // large: the int8 output saturates at 127
          {{0.0f, 0.0f, 0.0f, 0.0f}}};
}

TEST(ErrorStatsTest, SnrDefinitionAndCaps) {
  ErrorStats stats;
  EXPECT_EQ(stats.snr_db(), kSnrCapDb);  // nothing compared: no noise
  stats.add(3, 1);
  stats.add(-4, -4.5);
  EXPECT_DOUBLE_EQ(stats.signal, 25);
  EXPECT_DOUBLE_EQ(stats.noise, 4.25);
  EXPECT_DOUBLE_EQ(stats.max_abs_error, 2);
  EXPECT_EQ(stats.values, 2);
  EXPECT_DOUBLE_EQ(stats.snr_db(), 10 * std::log10(25 / 4.25));
  ErrorStats zeros;
  zeros.add(0, 0);
  EXPECT_EQ(zeros.snr_db(), kSnrCapDb);  // identical (all zero)
  zeros.add(0, 1e-3);
  EXPECT_EQ(zeros.snr_db(), -kSnrCapDb);  // reference all zero, test not
  ErrorStats tiny;
  tiny.add(1, 1 + 1e-15);
  EXPECT_EQ(tiny.snr_db(), kSnrCapDb);  // clamped, not above the cap
  stats.merge(zeros);
  EXPECT_DOUBLE_EQ(stats.noise, 4.25 + 1e-6);
  EXPECT_EQ(stats.values, 4);
}

TEST(ModelCompareTest, IdenticalModelsReachTheCapAndAgreeFully) {
  const LoadedModel model = load(float_fc());
  ModelCompareOptions options;
  options.per_layer = true;
  std::string error;
  const auto report = compare_models(model.model(), model.model(), twin_samples(), options, &error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(report->samples, 4);
  EXPECT_EQ(report->snr_db(), kSnrCapDb);
  EXPECT_EQ(report->max_abs_error(), 0);
  ASSERT_TRUE(report->top1_agreement());
  EXPECT_EQ(*report->top1_agreement(), 1.0);
  ASSERT_EQ(report->outputs.size(), 1u);
  EXPECT_EQ(report->outputs[0].name, "out");
  EXPECT_EQ(report->outputs[0].values, 3);
  EXPECT_EQ(report->outputs[0].top1_rows, 4);
  ASSERT_EQ(report->layers.size(), 2u);  // the input, the FC output
  for (const auto& layer : report->layers) {
    EXPECT_EQ(layer.stats.snr_db(), kSnrCapDb) << layer.name;
    EXPECT_GE(layer.test_tensor, 0) << layer.name;
  }
  EXPECT_EQ(report->error_enters_at, -1);

  // One value per sample: top-1 does not apply.
  const LoadedModel scalar = load(float_fc(4, 1));
  const auto single = compare_models(scalar.model(), scalar.model(), twin_samples(), {}, &error);
  ASSERT_TRUE(single) << error;
  EXPECT_FALSE(single->outputs[0].top1_agreement());
  EXPECT_FALSE(single->top1_agreement());
  EXPECT_EQ(single->snr_db(), kSnrCapDb);
}

TEST(ModelCompareTest, FloatVsInt8TwinMatchesHandComputedFigures) {
  const LoadedModel reference = load(float_fc());
  const LoadedModel twin = load(int8_fc());
  const FloatSamples samples = twin_samples();
  const Expected e = expected_twins(samples);
  ASSERT_GT(e.output.noise, 0);
  ModelCompareOptions options;
  options.per_layer = true;
  std::string error;
  const auto report = compare_models(reference.model(), twin.model(), samples, options, &error);
  ASSERT_TRUE(report) << error;
  const OutputComparison& out = report->outputs[0];
  EXPECT_DOUBLE_EQ(out.stats.signal, e.output.signal);
  EXPECT_DOUBLE_EQ(out.stats.noise, e.output.noise);
  EXPECT_DOUBLE_EQ(out.stats.max_abs_error, e.output.max_abs_error);
  EXPECT_NEAR(report->snr_db(), 10 * std::log10(e.output.signal / e.output.noise), 1e-9);
  EXPECT_DOUBLE_EQ(report->max_abs_error(), e.output.max_abs_error);
  EXPECT_EQ(out.top1_rows, e.rows);
  EXPECT_EQ(out.top1_agreeing, e.agreeing);
  std::printf("float vs int8 twin: SNR %.3f dB, max abs error %.4f, top-1 %d/%d\n", report->snr_db(),
              report->max_abs_error(), e.agreeing, e.rows);

  // Per layer: the input row shows the input quantization, the FC row equals the output.
  ASSERT_EQ(report->layers.size(), 2u);
  const LayerComparison& input = report->layers[0];
  EXPECT_EQ(input.op, -1);
  EXPECT_EQ(input.matched_by, "input");
  EXPECT_EQ(input.type, "float32 -> int8");
  EXPECT_DOUBLE_EQ(input.stats.noise, e.input.noise);
  EXPECT_DOUBLE_EQ(input.stats.signal, e.input.signal);
  const LayerComparison& fc = report->layers[1];
  EXPECT_EQ(fc.op, 0);
  EXPECT_EQ(fc.op_name, "FULLY_CONNECTED");
  EXPECT_EQ(fc.matched_by, "name");
  EXPECT_EQ(fc.values, 3);
  EXPECT_DOUBLE_EQ(fc.stats.noise, e.output.noise);
  const bool drops = e.output.snr_db() < e.input.snr_db();
  EXPECT_EQ(report->error_enters_at, drops ? 1 : -1);
  if (drops) {
    EXPECT_NEAR(report->error_enters_drop_db, e.input.snr_db() - e.output.snr_db(), 1e-9);
  }

  // The other way round: the int8 model is the reference.
  const auto reverse = compare_models(twin.model(), reference.model(), samples, {}, &error);
  ASSERT_TRUE(reverse) << error;
  EXPECT_DOUBLE_EQ(reverse->overall.noise, e.output.noise);
  EXPECT_DOUBLE_EQ(reverse->max_abs_error(), e.output.max_abs_error);
}

// in [1,4] -> FC "hidden" [1,3] -> FC "out" [1,2]; optionally a RESHAPE first (shifting op positions), the
// hidden tensor renamed, and the second FC's weights changed.
std::vector<uint8_t> two_layer_model(bool leading_reshape, const std::string& hidden_name, float w2_change) {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "in");
  const int model_input = in;
  if (leading_reshape) {
    const int shape = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 4}, {}, "shape");
    const int reshaped = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "pre");
    b.add_op(BuiltinOp::kReshape, {in, shape}, {reshaped});
    in = reshaped;
  }
  std::vector<float> w1;
  for (int8_t q : kWeights) w1.push_back(q * kWeightScale);
  const int w1t = b.add_constant<float>(DataType::kFloat32, {3, 4}, w1, {}, "w1");
  const int hidden = b.add_tensor(DataType::kFloat32, {1, 3}, {}, hidden_name);
  b.add_op(BuiltinOp::kFullyConnected, {in, w1t, -1}, {hidden}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc_options());
  const int w2t =
      b.add_constant<float>(DataType::kFloat32, {2, 3}, {1, -1, 0.5f, 0.25f + w2_change, 2, -1}, {}, "w2");
  const int out = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "out");
  b.add_op(BuiltinOp::kFullyConnected, {hidden, w2t, -1}, {out},
           tflite::BuiltinOptions::FullyConnectedOptions, fc_options());
  b.set_inputs({model_input});
  b.set_outputs({out});
  return b.finish();
}

TEST(ModelCompareTest, PerLayerMatchesByNameThenPositionAndFindsWhereErrorEnters) {
  const LoadedModel reference = load(two_layer_model(false, "hidden", 0));
  ModelCompareOptions options;
  options.per_layer = true;
  std::string error;

  // An extra op in front: names still match; the second FC's changed weights are where the error enters.
  const LoadedModel shifted = load(two_layer_model(true, "hidden", 0.5f));
  auto report = compare_models(reference.model(), shifted.model(), twin_samples(), options, &error);
  ASSERT_TRUE(report) << error;
  ASSERT_EQ(report->layers.size(), 3u);
  EXPECT_EQ(report->layers[1].name, "hidden");
  EXPECT_EQ(report->layers[1].matched_by, "name");
  EXPECT_EQ(report->layers[1].test_op, 1);
  EXPECT_EQ(report->layers[1].stats.snr_db(), kSnrCapDb);
  EXPECT_EQ(report->layers[2].matched_by, "name");
  EXPECT_EQ(report->layers[2].test_op, 2);
  // out[1] changes by 0.5 * hidden[0] per sample: the noise is the sum of those squares.
  ErrorStats expected;
  for (const auto& sample : twin_samples()) {
    double h0 = 0;
    for (int i = 0; i < 4; ++i) h0 += sample[0][i] * kWeights[i] * kWeightScale;
    double out[2] = {0, 0};
    const double w2[2][3] = {{1, -1, 0.5}, {0.25, 2, -1}};
    for (int o = 0; o < 2; ++o)
      for (int i = 0; i < 3; ++i) {
        double h = 0;
        for (int k = 0; k < 4; ++k) h += sample[0][k] * kWeights[i * 4 + k] * kWeightScale;
        out[o] += w2[o][i] * h;
      }
    expected.add(out[0], out[0]);
    expected.add(out[1], out[1] + 0.5 * h0);
  }
  EXPECT_NEAR(report->layers[2].stats.noise, expected.noise, 1e-9);
  EXPECT_NEAR(report->snr_db(), expected.snr_db(), 1e-9);
  EXPECT_EQ(report->error_enters_at, 2);
  EXPECT_NEAR(report->error_enters_drop_db, kSnrCapDb - expected.snr_db(), 1e-9);

  // Renamed: found by position (op 0, slot 0).
  const LoadedModel renamed = load(two_layer_model(false, "h_renamed", 0));
  report = compare_models(reference.model(), renamed.model(), twin_samples(), options, &error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(report->layers[1].matched_by, "position");
  EXPECT_EQ(report->layers[1].stats.snr_db(), kSnrCapDb);
  EXPECT_EQ(report->error_enters_at, -1);

  // Renamed and shifted: op 0 of the test writes 4 values, not 3: no match, not compared.
  const LoadedModel lost = load(two_layer_model(true, "h_renamed", 0));
  report = compare_models(reference.model(), lost.model(), twin_samples(), options, &error);
  ASSERT_TRUE(report) << error;
  EXPECT_EQ(report->layers[1].test_tensor, -1);
  EXPECT_EQ(report->layers[1].matched_by, "");
  EXPECT_EQ(report->layers[1].stats.values, 0);
  EXPECT_EQ(report->layers[2].matched_by, "name");
}

TEST(ModelCompareTest, ModelsAndSamplesThatDoNotFitAreErrors) {
  const LoadedModel four = load(float_fc(4));
  const LoadedModel five = load(float_fc(5));
  const LoadedModel two_out = load(float_fc(4, 2));
  ModelCompareOptions options;
  options.reference_label = "a.tflite";
  options.test_label = "b.tflite";
  std::string error;
  EXPECT_FALSE(compare_models(four.model(), five.model(), twin_samples(), options, &error));
  EXPECT_EQ(error, "input 0 has 4 values [1,4] in a.tflite, 5 [1,5] in b.tflite");
  EXPECT_FALSE(compare_models(four.model(), two_out.model(), twin_samples(), options, &error));
  EXPECT_EQ(error, "output 0 has 3 values [1,3] in a.tflite, 2 [1,2] in b.tflite");

  ModelBuilder b;  // two inputs
  const int x = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "x");
  const int y = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "y");
  const int sum = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "sum");
  b.add_op(BuiltinOp::kAdd, {x, y}, {sum}, tflite::BuiltinOptions::AddOptions,
           [](auto& fbb) { return tflite::CreateAddOptions(fbb).Union(); });
  b.set_inputs({x, y});
  b.set_outputs({sum});
  const LoadedModel add = load(b.finish());
  EXPECT_FALSE(compare_models(four.model(), add.model(), twin_samples(), options, &error));
  EXPECT_EQ(error, "the models have different input counts: 1 in a.tflite, 2 in b.tflite");

  EXPECT_FALSE(compare_models(four.model(), four.model(), {}, options, &error));
  EXPECT_EQ(error, "no samples to compare on");
  EXPECT_FALSE(compare_models(four.model(), four.model(), {{{1, 2, 3}}}, options, &error));
  EXPECT_EQ(error, "sample 0 input 0 has 3 values, the input needs 4");
  EXPECT_FALSE(compare_models(four.model(), four.model(), {{{1, 2, 3, 4}, {1}}}, options, &error));
  EXPECT_EQ(error, "sample 0 has 2 inputs, the models have 1");
  EXPECT_FALSE(compare_models(four.model(), four.model(),
                              {{{1, 2, 3, 4}}, {{1, std::numeric_limits<float>::quiet_NaN(), 3, 4}}}, options,
                              &error));
  EXPECT_EQ(error, "sample 1 input 0 value 1 is not finite");
}

TEST(ModelCompareTest, LcgSamplesAndQuantizedInputRange) {
  // Sample 0 on [-1, 1) is what --fill lcg:SEED gives a float input; later samples continue the sequence.
  const FloatSamples samples = lcg_float_samples({3, 2}, 2, 777, -1, 1);
  ASSERT_EQ(samples.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    uint32_t x = 777;
    const int n = i == 0 ? 3 : 2;
    for (int s = 0; s < 2; ++s) {
      ASSERT_EQ(samples[s][i].size(), static_cast<size_t>(n));
      for (int e = 0; e < n; ++e) {
        x = lcg_next(x);
        EXPECT_EQ(samples[s][i][e], (static_cast<float>(x >> 8) / 16777216.0f) * 2.0f - 1.0f);
      }
    }
  }
  const FloatSamples ranged = lcg_float_samples({1000}, 1, 5, 2.0f, 6.0f);
  float low = 100, high = -100;
  for (float v : ranged[0][0]) low = std::min(low, v), high = std::max(high, v);
  EXPECT_GE(low, 2.0f);
  EXPECT_LT(high, 6.0f);
  EXPECT_LT(low, 2.1f);
  EXPECT_GT(high, 5.9f);

  const LoadedModel twin = load(int8_fc());
  const auto range = quantized_input_range(twin.model());
  ASSERT_TRUE(range);
  EXPECT_EQ(range->low, (-128 - kInputZeroPoint) * kInputScale);  // -63.5
  EXPECT_EQ(range->high, (127 - kInputZeroPoint) * kInputScale);  // 64
  EXPECT_FALSE(quantized_input_range(load(float_fc()).model()));

  // Float input -> QUANTIZE (int8, scale 0.5, zero point 1) -> DEQUANTIZE: the QUANTIZE output's range.
  compiler::ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "in");
  const int q = b.add_tensor(DataType::kInt8, {1, 4}, compiler::QuantParams::per_tensor(0.5f, 1), "q");
  const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "out");
  b.add_op(BuiltinOp::kQuantize, {in}, {q});
  b.add_op(BuiltinOp::kDequantize, {q}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  const auto through_quantize = quantized_input_range(load(b.finish()).model());
  ASSERT_TRUE(through_quantize);
  EXPECT_EQ(through_quantize->low, -64.5f);
  EXPECT_EQ(through_quantize->high, 63.0f);
}

}  // namespace
}  // namespace edgeinfer::host
