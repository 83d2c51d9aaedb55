#include "kernels/reference/fully_connected.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeinfer/lcg.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/conv_test_util.h"
#include "tests/support/shared_data.h"

namespace edgeinfer::conv_test {
namespace {

using reference::fully_connected_int16;
using reference::fully_connected_int16_acc32;
using reference::fully_connected_int8;
using reference::FullyConnectedParams;

compiler::OptionsWriter fc_options(int activation, bool keep_num_dims = false) {
  return [activation, keep_num_dims](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateFullyConnectedOptions(fbb, static_cast<tflite::ActivationFunctionType>(activation),
                                               tflite::FullyConnectedOptionsWeightsFormat::DEFAULT,
                                               keep_num_dims)
        .Union();
  };
}

std::vector<float> run_float_fc(std::vector<int32_t> input_shape, const std::vector<float>& input,
                                std::vector<int32_t> filter_shape, const std::vector<float>& filter,
                                const std::vector<float>& bias, std::vector<int32_t> output_shape,
                                int activation, bool keep_num_dims = false) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, input_shape);
  const int w = b.add_constant<float>(DataType::kFloat32, filter_shape, filter);
  const int bi = bias.empty() ? -1 : b.add_constant<float>(DataType::kFloat32, {filter_shape[0]}, bias);
  const int out = b.add_tensor(DataType::kFloat32, output_shape);
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bi}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc_options(activation, keep_num_dims));
  b.set_inputs({in});
  b.set_outputs({out});
  return run_float_model(b.finish(), input);
}

TEST(FullyConnectedFloat, HandComputedBatchesAndBias) {
  // Two batches of 3 inputs, 2 units: rows [1 0 -1] and [1 1 1], bias (10, 20).
  EXPECT_EQ(run_float_fc({2, 3}, {1, 2, 3, 4, 5, 6}, {2, 3}, {1, 0, -1, 1, 1, 1}, {10, 20}, {2, 2}, 0),
            (std::vector<float>{8, 26, 8, 35}));
  // No bias, RELU.
  EXPECT_EQ(run_float_fc({2, 3}, {1, 2, 3, 4, 5, 6}, {2, 3}, {1, 0, -1, 1, 1, 1}, {}, {2, 2}, 1),
            (std::vector<float>{0, 6, 0, 15}));
}

TEST(FullyConnectedFloat, KeepNumDimsAndFlattenedInputs) {
  // [2, 2, 2] input, 2 columns: 4 rows in a [2, 2, 1] output with keep_num_dims ...
  const std::vector<float> input = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(run_float_fc({2, 2, 2}, input, {1, 2}, {1, -1}, {}, {2, 2, 1}, 0, true),
            (std::vector<float>{-1, -1, -1, -1}));
  // ... and a [4, 2]-like flattening into [4, 1] without it, or a rank-4 input read as [1, 8].
  EXPECT_EQ(run_float_fc({2, 2, 2}, input, {1, 2}, {1, 1}, {}, {4, 1}, 0),
            (std::vector<float>{3, 7, 11, 15}));
  EXPECT_EQ(run_float_fc({1, 2, 2, 2}, input, {1, 8}, std::vector<float>(8, 1.0f), {0.5f}, {1, 1}, 0),
            (std::vector<float>{36.5f}));
}

TEST(FullyConnectedInt8, PerTensorAppliesFilterZeroPoint) {
  FullyConnectedParams p;
  p.batches = 1;
  p.accum_depth = 2;
  p.output_depth = 1;
  p.input_offset = 1;    // input zero point -1
  p.filter_offset = -3;  // filter zero point 3 (per-tensor filters keep it, as TFLite)
  p.output_offset = -5;
  p.activation_min = -128;
  p.activation_max = 127;
  const int8_t input[] = {9, -1};
  const int8_t filter[] = {5, 13};
  const int32_t bias[] = {-4};
  const int32_t multiplier = 1 << 30;
  const int32_t shift = 0;
  int8_t output = 0;
  fully_connected_int8(p, &multiplier, &shift, input, filter, bias, &output);
  // (5-3)*(9+1) + (13-3)*0 - 4 = 16, halved 8, - 5.
  EXPECT_EQ(output, 3);
}

TEST(FullyConnectedInt16, PerChannelAcc32AndAcc64) {
  FullyConnectedParams p;
  p.batches = 2;
  p.accum_depth = 1;
  p.output_depth = 2;
  p.per_channel = true;
  p.activation_min = -32768;
  p.activation_max = 32767;
  const int16_t input[] = {100, -3};
  const int8_t filter[] = {2, 5};
  const int32_t multipliers[] = {1 << 30, 1 << 30};
  const int32_t shifts[] = {0, 1};  // x0.5, x1
  const int32_t bias32[] = {1, -1};
  const int64_t bias64[] = {1, -1};
  int16_t out32[4], out64[4];
  fully_connected_int16_acc32(p, multipliers, shifts, input, filter, bias32, out32);
  fully_connected_int16(p, multipliers, shifts, input, filter, bias64, out64);
  // Batch 0: 201 * 0.5 = 100.5, 499; batch 1: -5 * 0.5 = -2.5, -16.
  EXPECT_EQ(std::vector<int16_t>(out32, out32 + 4), (std::vector<int16_t>{101, 499, -2, -16}));
  // The int64 path rounds ties up after reducing the multiplier to 15 bits: -2.5 becomes -2 too.
  EXPECT_EQ(std::vector<int16_t>(out64, out64 + 4), (std::vector<int16_t>{101, 499, -2, -16}));
}

// ---- Random cases through the interpreter against a double reference ------------------------------------

struct FcCase {
  DataType type = DataType::kInt8;
  std::vector<int32_t> input_shape = {2, 5};
  int units = 3;
  bool keep_num_dims = false;
  int activation = 0;
  bool bias = true;
  DataType bias_type = DataType::kInt32;
  bool per_channel = false;
  int filter_zero_point = 0;  // per-tensor only
};

std::string describe(const FcCase& c) {
  std::string shape;
  for (int d : c.input_shape) shape += std::to_string(d) + "x";
  char text[200];
  snprintf(text, sizeof(text), "%s input %s units %d act %d bias %s%s filter zp %d", data_type_name(c.type),
           shape.c_str(), c.units, c.activation, c.bias ? data_type_name(c.bias_type) : "none",
           c.per_channel ? " per-channel" : "", c.filter_zero_point);
  return text;
}

void check_case(const FcCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  int64_t input_count = 1;
  for (int d : c.input_shape) input_count *= d;
  const int depth = c.input_shape.back();
  const int batches = static_cast<int>(input_count / depth);
  std::vector<int32_t> output_shape = {batches, c.units};
  if (c.keep_num_dims) {
    output_shape = c.input_shape;
    output_shape.back() = c.units;
  }
  ModelBuilder b;
  const auto options_type = tflite::BuiltinOptions::FullyConnectedOptions;
  std::vector<double> real(batches * c.units);
  if (c.type == DataType::kFloat32) {
    const auto input = random_floats(rng, input_count, -1, 1);
    const auto filter = random_floats(rng, c.units * depth, -1, 1);
    const auto bias = c.bias ? random_floats(rng, c.units, -1, 1) : std::vector<float>{};
    for (int bt = 0; bt < batches; ++bt)
      for (int u = 0; u < c.units; ++u) {
        double sum = c.bias ? bias[u] : 0.0;
        for (int d = 0; d < depth; ++d) sum += double(input[bt * depth + d]) * filter[u * depth + d];
        real[bt * c.units + u] = float_activation(c.activation, sum);
      }
    const int in = b.add_tensor(DataType::kFloat32, c.input_shape);
    const int w = b.add_constant<float>(DataType::kFloat32, {c.units, depth}, filter);
    const int bi = c.bias ? b.add_constant<float>(DataType::kFloat32, {c.units}, bias) : -1;
    const int out = b.add_tensor(DataType::kFloat32, output_shape);
    b.add_op(BuiltinOp::kFullyConnected, {in, w, bi}, {out}, options_type,
             fc_options(c.activation, c.keep_num_dims));
    b.set_inputs({in});
    b.set_outputs({out});
    // At most a few hundred float32 products of magnitude <= 1 (`real` has the activation applied).
    expect_float_near(run_float_model(b.finish(), input), real, /*activation=*/0, 2e-5);
    return;
  }

  const bool int16 = c.type == DataType::kInt16;
  const int32_t qmin = int16 ? -32768 : -128;
  const int32_t qmax = int16 ? 32767 : 127;
  const float input_scale = random_float(rng, 0.01f, 0.1f);
  const int32_t input_zp = int16 ? 0 : random_ints<int32_t>(rng, 1, -40, 40)[0];
  const auto input = random_ints<int32_t>(rng, input_count, qmin, qmax);
  std::vector<float> filter_scales(c.per_channel ? c.units : 1);
  for (auto& s : filter_scales) s = random_float(rng, 0.002f, 0.02f);
  const auto filter = random_ints<int8_t>(rng, c.units * depth, -127 + std::max(c.filter_zero_point, 0),
                                          127 + std::min(c.filter_zero_point, 0));
  const auto bias_q = random_ints<int64_t>(rng, c.bias ? c.units : 0, -20000, 20000);
  // Per-tensor bias scale: exactly input * filter, which TFLite's prepare checks.
  std::vector<float> bias_scales(c.units);
  for (int u = 0; u < c.units; ++u) bias_scales[u] = input_scale * filter_scales[c.per_channel ? u : 0];
  for (int bt = 0; bt < batches; ++bt)
    for (int u = 0; u < c.units; ++u) {
      double sum = c.bias ? double(bias_scales[u]) * bias_q[u] : 0.0;
      for (int d = 0; d < depth; ++d)
        sum += input_scale * double(input[bt * depth + d] - input_zp) * filter_scales[c.per_channel ? u : 0] *
               double(filter[u * depth + d] - c.filter_zero_point);
      real[bt * c.units + u] = sum;
    }
  const auto [lo, hi] = std::minmax_element(real.begin(), real.end());
  const float output_scale = static_cast<float>(std::max(*hi - *lo, 1.0) / (qmax - qmin - 10));
  const int32_t output_zp =
      int16 ? 0 : std::clamp(int32_t(std::round(qmin + 5 - *lo / output_scale)), qmin, qmax);

  const int in = b.add_tensor(c.type, c.input_shape, QuantParams::per_tensor(input_scale, input_zp));
  const QuantParams filter_quant =
      c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(c.units, 0), 0)
                    : QuantParams::per_tensor(filter_scales[0], c.filter_zero_point);
  const int w = b.add_constant<int8_t>(DataType::kInt8, {c.units, depth}, filter, filter_quant);
  int bi = -1;
  if (c.bias) {
    const QuantParams bias_quant =
        c.per_channel ? QuantParams::per_channel(bias_scales, std::vector<int64_t>(c.units, 0), 0)
                      : QuantParams::per_tensor(bias_scales[0], 0);
    bi = c.bias_type == DataType::kInt64
             ? b.add_constant<int64_t>(DataType::kInt64, {c.units}, bias_q, bias_quant)
             : b.add_constant<int32_t>(DataType::kInt32, {c.units},
                                       std::vector<int32_t>(bias_q.begin(), bias_q.end()), bias_quant);
  }
  const int out = b.add_tensor(c.type, output_shape, QuantParams::per_tensor(output_scale, output_zp));
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bi}, {out}, options_type,
           fc_options(c.activation, c.keep_num_dims));
  b.set_inputs({in});
  b.set_outputs({out});
  OpRunner runner;
  Status status = runner.load(b.finish());
  ASSERT_TRUE(status.is_ok()) << status.message();

  // int64 bias: the multiplier is first rounded to 15 bits, one more step of error near 2^15.
  const int tolerance = int16 && c.bias && c.bias_type == DataType::kInt64 ? 2 : 1;
  expect_near_ideal(runner, 0, input, int16, real, output_scale, output_zp, c.activation, tolerance,
                    describe(c));
}

std::vector<FcCase> sweep() {
  std::vector<FcCase> cases;
  const std::vector<std::vector<int32_t>> shapes = {{1, 1}, {1, 16}, {3, 7}, {2, 2, 5}, {1, 2, 3, 4}, {64}};
  int n = 0;
  for (const auto& shape : shapes)
    for (int units : {1, 4, 9})
      for (int activation = 0; activation < 4; ++activation) {
        FcCase c;
        c.input_shape = shape;
        c.units = units;
        c.activation = activation;
        ++n;
        c.keep_num_dims = shape.size() > 2 && n % 2 == 0;
        c.bias = n % 3 != 0;
        c.per_channel = n % 4 >= 2;
        c.filter_zero_point = c.per_channel ? 0 : (n % 5) - 2;
        c.bias_type = n % 2 ? DataType::kInt64 : DataType::kInt32;
        cases.push_back(c);
      }
  return cases;
}

TEST(FullyConnected, SweepFloatInt8Int16AgainstDoubleReference) {
  std::mt19937 rng(21);
  for (DataType type : {DataType::kFloat32, DataType::kInt8, DataType::kInt16}) {
    for (FcCase c : sweep()) {
      c.type = type;
      if (type == DataType::kInt8) c.bias_type = DataType::kInt32;
      if (type == DataType::kInt16) c.filter_zero_point = 0;
      check_case(c, rng);
      if (HasFatalFailure()) return;
    }
  }
}

// ---- prepare() errors -------------------------------------------------------------------------------------

TEST(FullyConnectedPrepare, RejectsInconsistentShapes) {
  auto build = [](std::vector<int32_t> input_shape, std::vector<int32_t> filter_shape,
                  std::vector<int32_t> output_shape) {
    ModelBuilder b;
    int64_t filter_count = 1;
    for (int d : filter_shape) filter_count *= d;
    const int in = b.add_tensor(DataType::kFloat32, input_shape);
    const int w =
        b.add_constant<float>(DataType::kFloat32, filter_shape, std::vector<float>(filter_count, 1.0f));
    const int out = b.add_tensor(DataType::kFloat32, output_shape);
    b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
             nullptr);
    b.set_inputs({in});
    b.set_outputs({out});
    return b;
  };
  EXPECT_TRUE(allocate_status(build({2, 4}, {3, 4}, {2, 3})).is_ok());
  expect_error(build({2, 4}, {3, 4}, {2, 2}), StatusCode::kInvalidModel,
               "last dimension is 2, filter has 3 units");
  expect_error(build({2, 5}, {3, 4}, {2, 3}), StatusCode::kInvalidModel, "not a multiple of 4");
  expect_error(build({2, 4}, {3, 4}, {3, 3}), StatusCode::kInvalidModel, "expected 2 batches x 3 units");
  expect_error(build({2, 4}, {3, 2, 2}, {2, 3}), StatusCode::kInvalidModel, "filter has rank 3");
}

TEST(FullyConnectedPrepare, RejectsMismatchedBiasScaleAndShuffledWeights) {
  auto build = [](float bias_scale, tflite::FullyConnectedOptionsWeightsFormat format) {
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.5f, 0));
    const int w = b.add_constant<int8_t>(DataType::kInt8, {1, 2}, {1, 2}, QuantParams::per_tensor(0.25f, 0));
    const int bias =
        b.add_constant<int32_t>(DataType::kInt32, {1}, {0}, QuantParams::per_tensor(bias_scale, 0));
    const int out = b.add_tensor(DataType::kInt8, {1, 1}, QuantParams::per_tensor(1.0f, 0));
    b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
             [format](flatbuffers::FlatBufferBuilder& fbb) {
               return tflite::CreateFullyConnectedOptions(fbb, tflite::ActivationFunctionType::NONE, format)
                   .Union();
             });
    b.set_inputs({in});
    b.set_outputs({out});
    return b;
  };
  const auto kDefault = tflite::FullyConnectedOptionsWeightsFormat::DEFAULT;
  EXPECT_TRUE(allocate_status(build(0.125f, kDefault)).is_ok());
  EXPECT_TRUE(allocate_status(build(0.14f, kDefault)).is_ok());  // within 0.02 output steps
  expect_error(build(0.2f, kDefault), StatusCode::kInvalidModel, "bias scale");
  expect_error(build(0.125f, tflite::FullyConnectedOptionsWeightsFormat::SHUFFLED4x16INT8),
               StatusCode::kUnsupported, "shuffled");
}

// ---- TFLM's outputs on the shared FULLY_CONNECTED-only models --------------------------------------------

void expect_matches_golden(const std::string& model_path, const std::string& golden_name) {
  EI_REQUIRE_SHARED_DIR(shared);
  SCOPED_TRACE(model_path);
  OpRunner runner;
  Status status = runner.load_file((shared / "models" / model_path).string());
  ASSERT_TRUE(status.is_ok()) << status.message();
  for (int i = 0; i < runner.interpreter().num_inputs(); ++i) {
    ASSERT_TRUE(fill_lcg(runner.interpreter().input(i), 12345).is_ok());
  }
  ASSERT_TRUE(runner.invoke().is_ok());
  const std::vector<uint8_t> golden = testing::read_bytes(shared / "golden" / "tflm" / golden_name);
  const std::vector<uint8_t> got = host::output_bytes(runner.interpreter());
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(got, golden);
}

TEST(FullyConnectedGolden, HelloWorldFloat) {
  expect_matches_golden("tflm/hello_world_float.tflite", "hello_world_float.seed12345.bin");
}
TEST(FullyConnectedGolden, HelloWorldInt8) {
  expect_matches_golden("tflm/hello_world_int8.tflite", "hello_world_int8.seed12345.bin");
}
TEST(FullyConnectedGolden, Ad01Float) {
  expect_matches_golden("mlperf_tiny/ad01_fp32.tflite", "ad01_fp32.seed12345.bin");
}
TEST(FullyConnectedGolden, Ad01Int8) {
  expect_matches_golden("mlperf_tiny/ad01_int8.tflite", "ad01_int8.seed12345.bin");
}

}  // namespace
}  // namespace edgeinfer::conv_test
