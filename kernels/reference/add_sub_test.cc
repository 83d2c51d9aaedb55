#include "kernels/reference/add_sub.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "kernels/reference/elementwise_test_util.h"
#include "tests/support/shared_data.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;
using reference::AddSubQuantParams;
using reference::ScaleArithmetic;

AddSubQuantParams params_of(DataType type, float s1, int32_t z1, float s2, int32_t z2, float so, int32_t zo,
                            ScaleArithmetic arithmetic = ScaleArithmetic::kDouble,
                            FusedActivation activation = FusedActivation::kNone) {
  AddSubQuantParams params;
  const Status status =
      reference::make_add_sub_params(type, {s1, z1}, {s2, z2}, {so, zo}, activation, arithmetic, &params);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return params;
}

// ---- pure functions ------------------------------------------------------------------------------------

TEST(AddFunction, FloatWithBroadcastAndRelu6) {
  const auto b = broadcast_of({2, 3}, {3}, {2, 3});
  const float x[] = {1, 2, 3, -4, 5, 6};
  const float y[] = {0.5f, 1, 4};
  float out[6];
  reference::add_float(b, 0.0f, 6.0f, x, y, out);
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{1.5f, 3, 6, 0, 6, 6}));
}

TEST(SubFunction, FloatBroadcastsTheFirstInput) {
  const auto b = broadcast_of({2, 1}, {1, 3}, {2, 3});
  const float x[] = {10, 20};
  const float y[] = {1, 2, 3};
  float out[6];
  reference::sub_float(b, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max(), x, y, out);
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{9, 8, 7, 19, 18, 17}));
}

TEST(AddFunction, Int32WrapsLikeTheHardware) {
  const auto b = broadcast_of({3}, {}, {3});
  const int32_t x[] = {std::numeric_limits<int32_t>::max(), -5, 7};
  const int32_t y[] = {1};
  int32_t out[3];
  reference::add_int32(b, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), x, y,
                       out);
  EXPECT_EQ(out[0], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(out[1], -4);
  EXPECT_EQ(out[2], 8);
  reference::sub_int32(b, 0, 6, x, y, out);  // RELU6 clamp
  EXPECT_EQ(std::vector<int32_t>(out, out + 3), (std::vector<int32_t>{6, 0, 6}));
}

TEST(AddSubParams, PowerOfTwoScalesGiveExactMultipliers) {
  // twice_max = 1: input multipliers 1/2 and 1/4, output 1 / 2^20.
  const auto p = params_of(DataType::kInt8, 0.5f, 0, 0.25f, 0, 1.0f, 0);
  EXPECT_EQ(p.left_shift, 20);
  EXPECT_EQ(p.input1_multiplier, 1 << 30);
  EXPECT_EQ(p.input1_shift, 0);
  EXPECT_EQ(p.input2_multiplier, 1 << 30);
  EXPECT_EQ(p.input2_shift, -1);
  EXPECT_EQ(p.output_multiplier, 1 << 30);
  EXPECT_EQ(p.output_shift, -19);
  // 0.5 * 10 + 0.25 * 20 = 10; 0.5 * 10 - 0.25 * 20 = 0; 0.5 * (-7) + 0.25 * 3 = -2.75 -> -3.
  EXPECT_EQ(reference::quantized_add(p, 10, 20), 10);
  EXPECT_EQ(reference::quantized_sub(p, 10, 20), 0);
  EXPECT_EQ(reference::quantized_add(p, -7, 3), -3);
  const auto p16 = params_of(DataType::kInt16, 0.5f, 0, 0.25f, 0, 1.0f, 0);
  EXPECT_EQ(p16.left_shift, 15);
  EXPECT_EQ(p16.output_shift, -14);
}

TEST(AddSubParams, ZeroPointsAndActivation) {
  // Scales 1: int8 add of (x - 3) + (y + 2), output zero point -1, RELU clamps at the zero point.
  const auto p = params_of(DataType::kInt8, 1.0f, 3, 1.0f, -2, 1.0f, -1, ScaleArithmetic::kDouble,
                           FusedActivation::kRelu);
  EXPECT_EQ(p.activation_min, -1);
  EXPECT_EQ(p.activation_max, 127);
  EXPECT_EQ(reference::quantized_add(p, 10, 5), (10 - 3) + (5 + 2) - 1);
  EXPECT_EQ(reference::quantized_add(p, -100, 5), -1);
  EXPECT_EQ(reference::quantized_add(p, 120, 120), 127);
  EXPECT_EQ(reference::quantized_sub(p, 10, 5), (10 - 3) - (5 + 2) - 1);
}

TEST(AddSubParams, FloatAndDoubleScaleArithmeticDiffer) {
  // SEANet sub0's scales. The multipliers below were computed independently (Python, float32 emulated with
  // struct): TFLM's float arithmetic and TensorFlow Lite's double arithmetic give different Q31 values.
  const float s1 = 0x1.fc3adap-11f;
  const float s2 = 0x1.2440fap-17f;
  const float so = 0x1.378162p-11f;
  const auto d = params_of(DataType::kInt16, s1, 0, s2, 0, so, 0, ScaleArithmetic::kDouble);
  const auto f = params_of(DataType::kInt16, s1, 0, s2, 0, so, 0, ScaleArithmetic::kFloat);
  EXPECT_EQ(d.input1_multiplier, 1073741824);
  EXPECT_EQ(d.input1_shift, 0);
  EXPECT_EQ(d.input2_multiplier, 1234894487);
  EXPECT_EQ(d.input2_shift, -7);
  EXPECT_EQ(d.output_multiplier, 1751840209);
  EXPECT_EQ(d.output_shift, -13);
  EXPECT_EQ(f.input2_multiplier, 1234894464);
  EXPECT_EQ(f.output_multiplier, 1751840256);
}

TEST(AddSubParams, RejectsUnusableParameters) {
  AddSubQuantParams params;
  EXPECT_FALSE(reference::make_add_sub_params(DataType::kUInt8, {1, 0}, {1, 0}, {1, 0},
                                              FusedActivation::kNone, ScaleArithmetic::kDouble, &params)
                   .is_ok());
  EXPECT_FALSE(reference::make_add_sub_params(DataType::kInt8, {1, 0}, {1, 0}, {1, 0}, FusedActivation::kTanh,
                                              ScaleArithmetic::kDouble, &params)
                   .is_ok());
  // Output scale 2^-60 of inputs of scale 1: a multiplier of 2^41, beyond any shift.
  EXPECT_FALSE(reference::make_add_sub_params(DataType::kInt8, {1, 0}, {1, 0}, {0x1p-60f, 0},
                                              FusedActivation::kNone, ScaleArithmetic::kDouble, &params)
                   .is_ok());
}

// Quantized results against the real-number computation: the inputs are rescaled with 20 (int8) or 15
// (int16) bits of headroom, so the fixed-point error before the final rounding is far below half an output
// step; the result may differ from round(real / scale) by at most 1 (a tie broken the other way).
template <class T>
void check_against_float(bool subtract, ScaleArithmetic arithmetic, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t lo = std::numeric_limits<T>::min();
  const int64_t hi = std::numeric_limits<T>::max();
  const DataType type = sizeof(T) == 1 ? DataType::kInt8 : DataType::kInt16;
  for (int trial = 0; trial < 60; ++trial) {
    const auto c = random_broadcast_case(rng);
    std::uniform_real_distribution<float> scale_dist(0.01f, 0.1f);
    const float s1 = scale_dist(rng), s2 = scale_dist(rng), so = scale_dist(rng) * 2;
    const int32_t z1 = sizeof(T) == 1 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const int32_t z2 = sizeof(T) == 1 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const int32_t zo = sizeof(T) == 1 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const auto p = params_of(type, s1, z1, s2, z2, so, zo, arithmetic);
    const auto x = random_ints<T>(rng, element_count(c.input1), lo, hi);
    const auto y = random_ints<T>(rng, element_count(c.input2), lo, hi);
    const int64_t n = element_count(c.output);
    std::vector<T> out(n);
    const auto b = broadcast_of(c.input1, c.input2, c.output);
    if constexpr (sizeof(T) == 1) {
      (subtract ? reference::sub_int8 : reference::add_int8)(b, p, x.data(), y.data(), out.data());
    } else {
      (subtract ? reference::sub_int16 : reference::add_int16)(b, p, x.data(), y.data(), out.data());
    }
    for (int64_t i = 0; i < n; ++i) {
      const double a = s1 * (x[broadcast_index(make_shape(c.input1), make_shape(c.output), i)] - z1);
      const double bb = s2 * (y[broadcast_index(make_shape(c.input2), make_shape(c.output), i)] - z2);
      const int64_t ideal = ideal_quantized(subtract ? a - bb : a + bb, so, zo, lo, hi);
      ASSERT_NEAR(out[i], ideal, 1) << "trial " << trial << " element " << i;
    }
  }
}

TEST(AddFunction, Int8MatchesFloatWithinOne) {
  check_against_float<int8_t>(false, ScaleArithmetic::kDouble, 1);
}
TEST(AddFunction, Int16MatchesFloatWithinOne) {
  check_against_float<int16_t>(false, ScaleArithmetic::kDouble, 2);
}
TEST(SubFunction, Int8MatchesFloatWithinOne) {
  check_against_float<int8_t>(true, ScaleArithmetic::kFloat, 3);
}
TEST(SubFunction, Int16MatchesFloatWithinOne) {
  check_against_float<int16_t>(true, ScaleArithmetic::kDouble, 4);
}

// ---- kernels through the interpreter -------------------------------------------------------------------

std::vector<uint8_t> add_sub_model(
    BuiltinOp op, const TensorSpec& a, const TensorSpec& b, const TensorSpec& out,
    tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::NONE) {
  if (op == BuiltinOp::kAdd)
    return single_op_model(op, {a, b}, out, tflite::BuiltinOptions::AddOptions,
                           [=](auto& fbb) { return tflite::CreateAddOptions(fbb, activation).Union(); });
  return single_op_model(op, {a, b}, out, tflite::BuiltinOptions::SubOptions,
                         [=](auto& fbb) { return tflite::CreateSubOptions(fbb, activation).Union(); });
}

RunResult run_add_sub(const std::vector<uint8_t>& model, std::vector<std::vector<uint8_t>> inputs) {
  return run_model(model, {{BuiltinOp::kAdd, &reference::add()}, {BuiltinOp::kSub, &reference::sub()}},
                   inputs);
}

TEST(AddKernel, FloatBroadcastWithRelu) {
  const auto model =
      add_sub_model(BuiltinOp::kAdd, {DataType::kFloat32, {2, 1, 3}}, {DataType::kFloat32, {2, 1}},
                    {DataType::kFloat32, {2, 2, 3}}, tflite::ActivationFunctionType::RELU);
  const auto result = run_add_sub(model, {bytes_of<float>({1, 2, 3, 4, 5, 6}), bytes_of<float>({-10, 0.5f})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]),
            (std::vector<float>{0, 0, 0, 1.5f, 2.5f, 3.5f, 0, 0, 0, 4.5f, 5.5f, 6.5f}));
}

TEST(SubKernel, Int8RunsTheTflmArithmetic) {
  const QuantParams q1 = QuantParams::per_tensor(0.5f, 1);
  const QuantParams q2 = QuantParams::per_tensor(0.25f, -3);
  const QuantParams qo = QuantParams::per_tensor(1.0f, 2);
  const auto model = add_sub_model(BuiltinOp::kSub, {DataType::kInt8, {4}, q1}, {DataType::kInt8, {1}, q2},
                                   {DataType::kInt8, {4}, qo});
  const auto result = run_add_sub(model, {bytes_of<int8_t>({1, 11, -127, 127}), bytes_of<int8_t>({5})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  // 0.5 (x - 1) - 0.25 (5 + 3) + 2 = 0.5 x - 0.5: -0.5 -> 0 + ... computed with ties away from zero below.
  std::vector<int8_t> expected;
  for (int x : {1, 11, -127, 127}) {
    const double real = 0.5 * (x - 1) - 0.25 * 8;
    expected.push_back(static_cast<int8_t>(ideal_quantized(real, 1.0, 2, -128, 127)));
  }
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), expected);
}

TEST(AddKernel, Int32IgnoresTheActivationLikeTflm) {
  const auto model = add_sub_model(BuiltinOp::kAdd, {DataType::kInt32, {3}}, {DataType::kInt32, {}},
                                   {DataType::kInt32, {3}}, tflite::ActivationFunctionType::RELU);
  const auto result = run_add_sub(model, {bytes_of<int32_t>({-10, 0, 10}), bytes_of<int32_t>({3})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{-7, 3, 13}));
}

TEST(SubKernel, Int32AppliesTheActivation) {
  const auto model = add_sub_model(BuiltinOp::kSub, {DataType::kInt32, {3}}, {DataType::kInt32, {}},
                                   {DataType::kInt32, {3}}, tflite::ActivationFunctionType::RELU);
  const auto result = run_add_sub(model, {bytes_of<int32_t>({-10, 0, 10}), bytes_of<int32_t>({3})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{0, 0, 7}));
}

// The audio preprocessor's int32 ADDs: a [40] vector plus a scalar constant.
TEST(AddKernel, Int32ScalarConstantLikeTheAudioFrontEnd) {
  compiler::ModelBuilder b;
  const int x = b.add_tensor(DataType::kInt32, {4});
  const int c = b.add_constant<int32_t>(DataType::kInt32, {}, {333});
  const int out = b.add_tensor(DataType::kInt32, {4});
  b.add_op(BuiltinOp::kAdd, {x, c}, {out}, tflite::BuiltinOptions::AddOptions, nullptr);
  b.set_inputs({x});
  b.set_outputs({out});
  const auto result = run_add_sub(b.finish(), {bytes_of<int32_t>({169728, -333, 0, 2147483647})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]),
            (std::vector<int32_t>{170061, 0, 333, -2147483647 - 1 + 332}));  // the last one wraps
}

// TFLM has no rescaling for int32 ADD / SUB: its ADD refuses quantized int32 inputs, its SUB quantized int32
// inputs and outputs.
TEST(AddKernel, Int32RefusesQuantizedTensorsLikeTflm) {
  const QuantParams q = QuantParams::per_tensor(0.5f, 0);
  const TensorSpec plain{DataType::kInt32, {2}};
  const TensorSpec quantized{DataType::kInt32, {2}, q};
  const auto two = std::vector<std::vector<uint8_t>>{bytes_of<int32_t>({1, 2}), bytes_of<int32_t>({3, 4})};
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, quantized, plain, plain), two),
               StatusCode::kUnsupported, "int32 ADD of quantized tensors is not supported (input 1)");
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, plain, quantized, plain), two),
               StatusCode::kUnsupported, "(input 2)");
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kSub, plain, plain, quantized), two),
               StatusCode::kUnsupported, "int32 SUB of quantized tensors is not supported (output)");
  // ADD does not look at the output's quantization.
  const auto result = run_add_sub(add_sub_model(BuiltinOp::kAdd, plain, plain, quantized), two);
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{4, 6}));
}

TEST(AddKernel, ManyQuantizedShapesMatchThePureFunction) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 40; ++trial) {
    const auto c = random_broadcast_case(rng, 6, 3);
    const bool is_int16 = trial % 2 == 1;
    const bool subtract = trial % 4 >= 2;
    const DataType type = is_int16 ? DataType::kInt16 : DataType::kInt8;
    const int32_t z = is_int16 ? 0 : 5;
    const QuantParams q1 = QuantParams::per_tensor(0.02f, z), q2 = QuantParams::per_tensor(0.03f, -z),
                      qo = QuantParams::per_tensor(0.05f, z);
    const auto model = add_sub_model(subtract ? BuiltinOp::kSub : BuiltinOp::kAdd, {type, c.input1, q1},
                                     {type, c.input2, q2}, {type, c.output, qo});
    const auto p = params_of(type, 0.02f, z, 0.03f, -z, 0.05f, z,
                             subtract && !is_int16 ? ScaleArithmetic::kFloat : ScaleArithmetic::kDouble);
    const PureFunctionCase expected =
        is_int16 ? pure_function_case<int16_t>(
                       rng, c,
                       [&](const BinaryBroadcast& b, const int16_t* x, const int16_t* y, int16_t* out) {
                         (subtract ? reference::sub_int16 : reference::add_int16)(b, p, x, y, out);
                       })
                 : pure_function_case<int8_t>(
                       rng, c, [&](const BinaryBroadcast& b, const int8_t* x, const int8_t* y, int8_t* out) {
                         (subtract ? reference::sub_int8 : reference::add_int8)(b, p, x, y, out);
                       });
    const auto result = run_add_sub(model, expected.inputs);
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    EXPECT_EQ(result.outputs[0], expected.expected) << "trial " << trial;
  }
}

TEST(AddKernel, RejectsMalformedOps) {
  const TensorSpec f23{DataType::kFloat32, {2, 3}};
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, f23, {DataType::kFloat32, {3, 2}}, f23), {}),
               StatusCode::kInvalidModel, "do not broadcast");
  expect_error(
      run_add_sub(add_sub_model(BuiltinOp::kAdd, f23, {DataType::kFloat32, {3}}, {DataType::kFloat32, {3}}),
                  {}),
      StatusCode::kInvalidModel, "output has shape");
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, f23, {DataType::kInt32, {3}}, f23), {}),
               StatusCode::kInvalidModel, "input 2 has type");
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kSub, {DataType::kUInt8, {2}}, {DataType::kUInt8, {2}},
                                         {DataType::kUInt8, {2}}),
                           {}),
               StatusCode::kUnsupported, "unsupported type");
  const QuantParams q = QuantParams::per_tensor(0.1f, 0);
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, {DataType::kInt8, {2}, q}, {DataType::kInt8, {2}},
                                         {DataType::kInt8, {2}, q}),
                           {}),
               StatusCode::kInvalidModel, "input 2 (int8) has no quantization");
  expect_error(run_add_sub(add_sub_model(BuiltinOp::kAdd, {DataType::kInt8, {2}, q},
                                         {DataType::kInt8, {2}, QuantParams::per_tensor(0.1f, 300)},
                                         {DataType::kInt8, {2}, q}),
                           {}),
               StatusCode::kInvalidModel, "zero point 300");
  expect_error(
      run_add_sub(add_sub_model(BuiltinOp::kAdd, f23, f23, f23, tflite::ActivationFunctionType::TANH), {}),
      StatusCode::kUnsupported, "activation");
}

// ---- SEANet conformance (goldens from full TensorFlow Lite) ---------------------------------------------

void run_seanet_cases(const char* op_name, int count) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(expect_seanet_cases(shared / "conformance" / "seanet" / op_name, op_name,
                                {{BuiltinOp::kAdd, &reference::add()}, {BuiltinOp::kSub, &reference::sub()}}),
            count);
}

// TFLM's own smallest model (one int8 ADD of two [1,128,128,1] inputs) against TFLM's output.
TEST(AddKernel, SimpleAddModelMatchesTflmGolden) {
  EI_REQUIRE_SHARED_DIR(shared);
  ModelSession session;
  const Status init = session.open_file((shared / "models" / "tflm" / "simple_add_model.tflite").string(),
                                        {{BuiltinOp::kAdd, &reference::add()}});
  ASSERT_TRUE(init.is_ok()) << init.message();
  Interpreter& interpreter = session.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i)
    ASSERT_TRUE(fill_lcg(interpreter.input(i), 12345).is_ok());
  ASSERT_TRUE(interpreter.invoke().is_ok());
  EXPECT_EQ(host::output_bytes(interpreter),
            read_bytes(shared / "golden" / "tflm" / "simple_add_model.seed12345.bin"));
}

TEST(AddKernel, SeanetConformanceIsExact) {
  run_seanet_cases("add", 17);
}
TEST(SubKernel, SeanetConformanceIsExact) {
  run_seanet_cases("sub", 5);
}

}  // namespace
}  // namespace edgeinfer::testing
