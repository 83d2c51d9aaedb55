#include "kernels/reference/svdf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tests/support/single_op.h"

namespace edgeinfer::reference {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;
using testing::ModelSession;

const testing::KernelList kKernels = {{BuiltinOp::kSvdf, &svdf()}};

// ---- Pure functions, hand-checked ----

TEST(SvdfFloat, HandCheckedTwoSteps) {
  // 1 batch, 2 inputs, 2 filters of rank 1 (2 units), memory 3.
  SvdfDims dims{1, 2, 2, 2, 1, 3};
  const std::vector<float> weights_feature = {1, 2, 3, -1};
  const std::vector<float> weights_time = {1, 2, 3, 0.5f, 0, -1};
  const std::vector<float> bias = {0.5f, -0.5f};
  std::vector<float> state(6, 0.0f), scratch(2), output(2);

  const std::vector<float> step1 = {1, 1};  // features 3, 2
  svdf_float(dims, FusedActivation::kNone, step1.data(), weights_feature.data(), weights_time.data(),
             bias.data(), state.data(), scratch.data(), output.data());
  EXPECT_EQ(state, (std::vector<float>{0, 0, 3, 0, 0, 2}));
  EXPECT_EQ(output, (std::vector<float>{9.5f, -2.5f}));

  const std::vector<float> step2 = {2, 0};  // features 2, 6
  svdf_float(dims, FusedActivation::kNone, step2.data(), weights_feature.data(), weights_time.data(),
             bias.data(), state.data(), scratch.data(), output.data());
  EXPECT_EQ(state, (std::vector<float>{0, 3, 2, 0, 2, 6}));
  EXPECT_EQ(output, (std::vector<float>{12.5f, -6.5f}));
}

TEST(SvdfFloat, RankTwoSumsFiltersAndAppliesRelu) {
  // 2 filters of rank 2 form one unit: output = relu(bias + filter0 + filter1).
  SvdfDims dims{1, 2, 2, 1, 2, 1};
  const std::vector<float> weights_feature = {1, 2, 3, -1};
  const std::vector<float> weights_time = {2, -4};
  const std::vector<float> bias = {1};
  std::vector<float> state(2, 0.0f), scratch(2), output(1);
  const std::vector<float> input = {1, 1};  // features 3, 2 -> 6 - 8 + 1 = -1
  svdf_float(dims, FusedActivation::kNone, input.data(), weights_feature.data(), weights_time.data(),
             bias.data(), state.data(), scratch.data(), output.data());
  EXPECT_EQ(output[0], -1.0f);
  svdf_float(dims, FusedActivation::kRelu, input.data(), weights_feature.data(), weights_time.data(),
             bias.data(), state.data(), scratch.data(), output.data());
  EXPECT_EQ(output[0], 0.0f);
}

TEST(SvdfFloat, BatchesKeepSeparateStates) {
  SvdfDims dims{2, 1, 1, 1, 1, 2};
  const std::vector<float> weights_feature = {2};
  const std::vector<float> weights_time = {10, 1};
  std::vector<float> state(4, 0.0f), scratch(2), output(2);
  const std::vector<float> input1 = {1, 3};
  svdf_float(dims, FusedActivation::kNone, input1.data(), weights_feature.data(), weights_time.data(),
             nullptr, state.data(), scratch.data(), output.data());
  EXPECT_EQ(output, (std::vector<float>{2, 6}));
  const std::vector<float> input2 = {-1, 0};
  svdf_float(dims, FusedActivation::kNone, input2.data(), weights_feature.data(), weights_time.data(),
             nullptr, state.data(), scratch.data(), output.data());
  EXPECT_EQ(output, (std::vector<float>{20 - 2, 60 + 0}));
}

// Power-of-two scales make both requantisations exact, so the integer results can be checked by hand.
TEST(SvdfInt8, HandCheckedInt16State) {
  SvdfDims dims{1, 2, 2, 2, 1, 2};
  SvdfQuantParams params;
  params.input_zero_point = 1;
  params.output_zero_point = -3;
  quantize_multiplier(1.0, &params.feature_multiplier, &params.feature_shift);
  quantize_multiplier(1.0, &params.time_multiplier, &params.time_shift);
  const std::vector<int8_t> weights_feature = {2, -1, 1, 3};
  const std::vector<int16_t> weights_time = {1, 2, -3, 4};
  const std::vector<int32_t> bias = {10, -5};
  std::vector<int16_t> state(4, 0);
  std::vector<int32_t> scratch(2), scratch_output(2);
  std::vector<int8_t> output(2);

  const std::vector<int8_t> step1 = {5, -2};  // centred 4, -3: features 11, -5
  svdf_int8(dims, params, step1.data(), weights_feature.data(), weights_time.data(), bias.data(),
            state.data(), scratch.data(), scratch_output.data(), output.data());
  EXPECT_EQ(state, (std::vector<int16_t>{0, 11, 0, -5}));
  EXPECT_EQ(output, (std::vector<int8_t>{10 + 22 - 3, -5 - 20 - 3}));

  const std::vector<int8_t> step2 = {1, 3};  // centred 0, 2: features -2, 6
  svdf_int8(dims, params, step2.data(), weights_feature.data(), weights_time.data(), bias.data(),
            state.data(), scratch.data(), scratch_output.data(), output.data());
  EXPECT_EQ(state, (std::vector<int16_t>{11, -2, -5, 6}));
  EXPECT_EQ(output, (std::vector<int8_t>{10 + 7 - 3, -5 + 39 - 3}));
}

TEST(SvdfInt8, OutputAndStateSaturate) {
  SvdfDims dims{1, 1, 1, 1, 1, 1};
  SvdfQuantParams params;
  quantize_multiplier(1000.0, &params.feature_multiplier, &params.feature_shift);
  quantize_multiplier(1.0, &params.time_multiplier, &params.time_shift);
  const std::vector<int8_t> weights_feature = {100};
  const std::vector<int16_t> weights_time = {1};
  std::vector<int16_t> state(1, 0);
  std::vector<int32_t> scratch(1), scratch_output(1);
  std::vector<int8_t> output(1);
  const std::vector<int8_t> input = {-100};  // -10000 * 1000 saturates the int16 state
  svdf_int8(dims, params, input.data(), weights_feature.data(), weights_time.data(), nullptr, state.data(),
            scratch.data(), scratch_output.data(), output.data());
  EXPECT_EQ(state[0], -32768);
  EXPECT_EQ(output[0], -128);
}

// TFLM adds an int8 state's zero point after clamping and narrows without saturation: 40 + 100 wraps to -116.
TEST(SvdfInt8, Int8StateZeroPointWrapsLikeTflm) {
  SvdfDims dims{1, 1, 1, 1, 1, 2};
  SvdfQuantParams params;
  params.state_zero_point = 100;
  quantize_multiplier(1.0, &params.feature_multiplier, &params.feature_shift);
  quantize_multiplier(1.0, &params.time_multiplier, &params.time_shift);
  const std::vector<int8_t> weights_feature = {10};
  const std::vector<int8_t> weights_time = {0, 1};
  const std::vector<int32_t> bias = {300};
  std::vector<int8_t> state(2, 0);
  std::vector<int32_t> scratch(1), scratch_output(1);
  std::vector<int8_t> output(1);
  const std::vector<int8_t> input = {4};
  svdf_int8(dims, params, input.data(), weights_feature.data(), weights_time.data(), bias.data(),
            state.data(), scratch.data(), scratch_output.data(), output.data());
  EXPECT_EQ(state[1], -116);
  EXPECT_EQ(output[0], 300 + (-116 - 100));
}

// ---- Through the interpreter ----

struct SvdfCase {
  int batch, input_size, num_filters, rank, memory;
  bool bias;
};

std::vector<uint8_t> float_svdf_model(const SvdfCase& c, const std::vector<float>& weights_feature,
                                      const std::vector<float>& weights_time, const std::vector<float>& bias,
                                      tflite::ActivationFunctionType activation) {
  ModelBuilder b;
  const int units = c.num_filters / c.rank;
  const int in = b.add_tensor(DataType::kFloat32, {c.batch, c.input_size});
  const int wf = b.add_constant<float>(DataType::kFloat32, {c.num_filters, c.input_size}, weights_feature);
  const int wt = b.add_constant<float>(DataType::kFloat32, {c.num_filters, c.memory}, weights_time);
  const int bi = c.bias ? b.add_constant<float>(DataType::kFloat32, {units}, bias) : -1;
  const int state = b.add_variable(DataType::kFloat32, {c.batch, c.memory * c.num_filters});
  const int out = b.add_tensor(DataType::kFloat32, {c.batch, units});
  const int rank = c.rank;
  b.add_op(
      BuiltinOp::kSvdf, {in, wf, wt, bi, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
      [rank, activation](auto& fbb) { return tflite::CreateSVDFOptions(fbb, rank, activation).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

struct SvdfScales {
  float input, feature, time, state, output;
  int32_t input_zp, state_zp, output_zp;
};

template <class StateT>
std::vector<uint8_t> int8_svdf_model(const SvdfCase& c, const SvdfScales& s,
                                     const std::vector<int8_t>& weights_feature,
                                     const std::vector<StateT>& weights_time,
                                     const std::vector<int32_t>& bias) {
  constexpr DataType kStateType = sizeof(StateT) == 2 ? DataType::kInt16 : DataType::kInt8;
  ModelBuilder b;
  const int units = c.num_filters / c.rank;
  const int in =
      b.add_tensor(DataType::kInt8, {c.batch, c.input_size}, QuantParams::per_tensor(s.input, s.input_zp));
  const int wf = b.add_constant<int8_t>(DataType::kInt8, {c.num_filters, c.input_size}, weights_feature,
                                        QuantParams::per_tensor(s.feature, 0));
  const int wt = b.add_constant<StateT>(kStateType, {c.num_filters, c.memory}, weights_time,
                                        QuantParams::per_tensor(s.time, 0));
  const int bi = c.bias ? b.add_constant<int32_t>(DataType::kInt32, {units}, bias,
                                                  QuantParams::per_tensor(s.state * s.time, 0))
                        : -1;
  const int state = b.add_variable(kStateType, {c.batch, c.memory * c.num_filters},
                                   QuantParams::per_tensor(s.state, s.state_zp));
  const int out =
      b.add_tensor(DataType::kInt8, {c.batch, units}, QuantParams::per_tensor(s.output, s.output_zp));
  const int rank = c.rank;
  b.add_op(BuiltinOp::kSvdf, {in, wf, wt, bi, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
           [rank](auto& fbb) {
             return tflite::CreateSVDFOptions(fbb, rank, tflite::ActivationFunctionType::RELU).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(SvdfKernel, FloatModelMatchesPureFunction) {
  const SvdfCase c{2, 5, 6, 2, 4, true};
  const auto wf = testing::lcg_floats(30, -1, 1, 1);
  const auto wt = testing::lcg_floats(24, -1, 1, 2);
  const auto bias = testing::lcg_floats(3, -1, 1, 3);
  ModelSession session;
  ASSERT_TRUE(session.open(float_svdf_model(c, wf, wt, bias, tflite::ActivationFunctionType::RELU6), kKernels)
                  .is_ok());
  SvdfDims dims{2, 5, 6, 3, 2, 4};
  std::vector<float> state(2 * 6 * 4, 0.0f), scratch(12), expected(6);
  for (uint32_t step = 0; step < 6; ++step) {
    const auto input = testing::lcg_floats(10, -2, 2, 100 + step);
    svdf_float(dims, FusedActivation::kRelu6, input.data(), wf.data(), wt.data(), bias.data(), state.data(),
               scratch.data(), expected.data());
    session.set_input(0, input);
    ASSERT_TRUE(session.interpreter().invoke().is_ok());
    EXPECT_EQ(session.output<float>(0), expected) << "step " << step;
  }
}

TEST(SvdfKernel, FloatWithoutBias) {
  const SvdfCase c{1, 3, 2, 1, 2, false};
  ModelSession session;
  ASSERT_TRUE(session
                  .open(float_svdf_model(c, {1, 0, 0, 0, 1, 0}, {1, 1, 1, 1}, {},
                                         tflite::ActivationFunctionType::NONE),
                        kKernels)
                  .is_ok());
  session.set_input<float>(0, {1, 2, 3});
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<float>(0), (std::vector<float>{1, 2}));
  session.set_input<float>(0, {4, 5, 6});
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<float>(0), (std::vector<float>{5, 7}));
}

// The quantized kernel against the float one run on the dequantized weights and inputs: the only
// differences are the rounding of each new state value (at most half a state step, weighted by the time
// weights of the unit) and the final rounding, so the tolerance is that bound plus one output step.
template <class StateT>
void check_int8_against_float(const SvdfCase& c, uint32_t seed) {
  const int units = c.num_filters / c.rank;
  const auto wf_f = testing::lcg_floats(c.num_filters * c.input_size, -1, 1, seed);
  const auto wt_f = testing::lcg_floats(c.num_filters * c.memory, -1, 1, seed + 1);
  const auto bias_f = testing::lcg_floats(units, -0.5f, 0.5f, seed + 2);
  constexpr float kStateMax = sizeof(StateT) == 2 ? 32767.0f : 127.0f;

  SvdfScales s;
  s.input = 2.0f / 255.0f;
  s.input_zp = 0;
  s.feature = testing::max_abs(wf_f) / 127.0f;
  s.time = testing::max_abs(wt_f) / kStateMax;
  // Features are bounded by sum |weights_feature| * max |input|.
  s.state = 1.05f * c.input_size * 1.0f / kStateMax;
  s.state_zp = sizeof(StateT) == 2 ? 0 : 3;
  s.output = 1.2f * (0.5f + c.rank * c.memory * c.input_size * 1.0f) / 127.0f / 4.0f;
  s.output_zp = -5;

  const auto wf_q = testing::quantize_values<int8_t>(wf_f, s.feature, 0);
  const auto wt_q = testing::quantize_values<StateT>(wt_f, s.time, 0);
  const float bias_scale = s.state * s.time;
  const auto bias_q = testing::quantize_values<int32_t>(bias_f, bias_scale, 0);
  const auto wf_d = testing::dequantize_values(wf_q, s.feature, 0);
  const auto wt_d = testing::dequantize_values(wt_q, s.time, 0);
  const auto bias_d = testing::dequantize_values(bias_q, bias_scale, 0);

  ModelSession session;
  const Status status = session.open(int8_svdf_model<StateT>(c, s, wf_q, wt_q, bias_q), kKernels);
  ASSERT_TRUE(status.is_ok()) << status.message();

  SvdfDims dims{c.batch, c.input_size, c.num_filters, units, c.rank, c.memory};
  // The quantized state starts at its zero point (int8) or 0 (int16), i.e. real 0, as TFLM initializes it.
  std::vector<float> state(c.batch * c.num_filters * c.memory, 0.0f);
  std::vector<float> scratch(c.batch * c.num_filters), expected(c.batch * units);
  for (int step = 0; step < 2 * c.memory + 1; ++step) {
    const auto input_q = testing::quantize_values<int8_t>(
        testing::lcg_floats(c.batch * c.input_size, -1, 1, seed * 7 + step), s.input, s.input_zp);
    const auto input_d = testing::dequantize_values(input_q, s.input, s.input_zp);
    svdf_float(dims, FusedActivation::kNone, input_d.data(), wf_d.data(), wt_d.data(), bias_d.data(),
               state.data(), scratch.data(), expected.data());
    session.set_input(0, input_q);
    ASSERT_TRUE(session.interpreter().invoke().is_ok());
    const auto got = testing::dequantize_values(session.output<int8_t>(0), s.output, s.output_zp);
    for (int b = 0; b < c.batch; ++b) {
      for (int u = 0; u < units; ++u) {
        float time_weight_sum = 0.0f;
        for (int f = u * c.rank; f < (u + 1) * c.rank; ++f)
          for (int m = 0; m < c.memory; ++m) time_weight_sum += std::fabs(wt_d[f * c.memory + m]);
        const float tolerance = 0.5f * s.state * time_weight_sum + 1.0f * s.output;
        const int i = b * units + u;
        const float lo = s.output * static_cast<float>(-128 - s.output_zp);
        const float hi = s.output * static_cast<float>(127 - s.output_zp);
        const float want = std::fmin(std::fmax(expected[i], lo), hi);
        EXPECT_NEAR(got[i], want, tolerance) << "step " << step << " batch " << b << " unit " << u;
      }
    }
  }
}

TEST(SvdfKernel, Int8WithInt16StateTracksFloat) {
  check_int8_against_float<int16_t>({1, 8, 6, 1, 5, true}, 11);
  check_int8_against_float<int16_t>({3, 7, 8, 2, 3, true}, 12);
}

TEST(SvdfKernel, Int8WithInt8StateTracksFloat) {
  check_int8_against_float<int8_t>({2, 6, 4, 2, 4, true}, 21);
  check_int8_against_float<int8_t>({1, 10, 3, 3, 6, true}, 22);
}

TEST(SvdfKernel, Int8ModelMatchesHandCheckedValues) {
  const SvdfCase c{1, 2, 2, 1, 2, true};
  SvdfScales s{0.5f, 0.5f, 0.5f, 0.25f, 0.125f, 1, 0, -3};
  ModelSession session;
  ASSERT_TRUE(
      session.open(int8_svdf_model<int16_t>(c, s, {2, -1, 1, 3}, {1, 2, -3, 4}, {10, -5}), kKernels).is_ok());
  session.set_input<int8_t>(0, {5, -2});
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<int8_t>(0), (std::vector<int8_t>{29, -28}));
  session.set_input<int8_t>(0, {1, 3});
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<int8_t>(0), (std::vector<int8_t>{14, 31}));
  // reset_state() restores the initial state: the first step repeats.
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  session.set_input<int8_t>(0, {5, -2});
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<int8_t>(0), (std::vector<int8_t>{29, -28}));
}

// ---- Validation ----

Status prepare_status(const std::vector<uint8_t>& model) {
  return testing::allocate_status(model, kKernels);
}

void expect_prepare_error(ModelBuilder& b, StatusCode code, const char* text) {
  testing::expect_error(prepare_status(b.finish()), code, text);
}

// A float SVDF whose parts the tests then break one at a time.
struct FloatParts {
  std::vector<int32_t> input = {1, 4}, feature = {6, 4}, time = {6, 3}, bias = {3}, state = {1, 18},
                       output = {1, 3};
  int rank = 2;
  bool variable_state = true;
  DataType state_type = DataType::kFloat32;
};

ModelBuilder build(const FloatParts& p) {
  ModelBuilder b;
  b.set_checks(false);
  auto count = [](const std::vector<int32_t>& shape) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    return n;
  };
  const int in = b.add_tensor(DataType::kFloat32, p.input);
  const int wf =
      b.add_constant<float>(DataType::kFloat32, p.feature, std::vector<float>(count(p.feature), 0.5f));
  const int wt = b.add_constant<float>(DataType::kFloat32, p.time, std::vector<float>(count(p.time), 0.5f));
  const int bi = b.add_constant<float>(DataType::kFloat32, p.bias, std::vector<float>(count(p.bias), 0.5f));
  const int state =
      p.variable_state ? b.add_variable(p.state_type, p.state) : b.add_tensor(p.state_type, p.state);
  const int out = b.add_tensor(DataType::kFloat32, p.output);
  const int rank = p.rank;
  b.add_op(BuiltinOp::kSvdf, {in, wf, wt, bi, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
           [rank](auto& fbb) { return tflite::CreateSVDFOptions(fbb, rank).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b;
}

TEST(SvdfKernel, ValidModelPrepares) {
  ModelBuilder b = build(FloatParts{});
  EXPECT_TRUE(prepare_status(b.finish()).is_ok());
}

TEST(SvdfKernel, RejectsMalformedModels) {
  {
    FloatParts p;
    p.rank = 0;
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "rank >= 1");
  }
  {
    FloatParts p;
    p.rank = 4;  // 6 filters
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "multiple of rank");
  }
  {
    FloatParts p;
    p.state = {1, 17};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "activation state dimension 1 is 17");
  }
  {
    FloatParts p;
    p.variable_state = false;  // the interpreter already refuses to read a never-written state
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "tensor 4");
  }
  {
    FloatParts p;
    p.feature = {6, 5};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "weights_feature dimension 1 is 5");
  }
  {
    FloatParts p;
    p.time = {5, 3};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "weights_time dimension 0 is 5");
  }
  {
    FloatParts p;
    p.bias = {4};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "bias dimension 0 is 4");
  }
  {
    FloatParts p;
    p.output = {1, 4};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "output dimension 1 is 4");
  }
  {
    FloatParts p;
    p.input = {1, 2, 2};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "input must have rank 2");
  }
  {
    FloatParts p;
    p.state_type = DataType::kInt16;
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kUnsupported, "activation state");
  }
  {
    FloatParts p;
    p.input = {0, 4};
    p.state = {0, 18};
    p.output = {0, 3};
    ModelBuilder b = build(p);
    expect_prepare_error(b, StatusCode::kInvalidModel, "empty SVDF");
  }
}

TEST(SvdfKernel, RejectsInconsistentQuantization) {
  const SvdfCase c{1, 2, 2, 1, 2, true};
  {
    // Bias scale must be state scale x time weights scale.
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.5f, 0));
    const int wf =
        b.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 1, 1, 1}, QuantParams::per_tensor(0.5f, 0));
    const int wt =
        b.add_constant<int16_t>(DataType::kInt16, {2, 2}, {1, 1, 1, 1}, QuantParams::per_tensor(0.5f, 0));
    const int bi = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 1}, QuantParams::per_tensor(0.5f, 0));
    const int state = b.add_variable(DataType::kInt16, {1, 4}, QuantParams::per_tensor(0.25f, 0));
    const int out = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0));
    b.add_op(BuiltinOp::kSvdf, {in, wf, wt, bi, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
             [](auto& fbb) { return tflite::CreateSVDFOptions(fbb, 1).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    expect_prepare_error(b, StatusCode::kInvalidModel, "bias scale");
  }
  {
    // Time weights int16 but an int8 state.
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.5f, 0));
    const int wf =
        b.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 1, 1, 1}, QuantParams::per_tensor(0.5f, 0));
    const int wt =
        b.add_constant<int16_t>(DataType::kInt16, {2, 2}, {1, 1, 1, 1}, QuantParams::per_tensor(0.5f, 0));
    const int state = b.add_variable(DataType::kInt8, {1, 4}, QuantParams::per_tensor(0.25f, 0));
    const int out = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0));
    b.add_op(BuiltinOp::kSvdf, {in, wf, wt, -1, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
             [](auto& fbb) { return tflite::CreateSVDFOptions(fbb, 1).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    expect_prepare_error(b, StatusCode::kInvalidModel, "activation state has type int8");
  }
  (void)c;
}

}  // namespace
}  // namespace edgeinfer::reference
