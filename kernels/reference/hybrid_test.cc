// Hybrid kernels (float activations, int8 weights): the run-time quantization and each op's arithmetic with
// values derived by hand from TensorFlow Lite's operations, the ops against the same op in float with the
// weights dequantized (within the input quantization's error bound), options and activations, the optimized
// kernels' fallback, and prepare()'s refusals.
#include "kernels/reference/hybrid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/reference/conv_test_util.h"

namespace edgeinfer::conv_test {
namespace {

using reference::hybrid_quantize_asymmetric;
using reference::hybrid_quantize_symmetric;
using testing::bytes_of;
using testing::KernelList;
using testing::values_of;

// ---- HybridQuantize: TensorFlow Lite's run-time quantization of one batch ----

TEST(HybridQuantize, SymmetricHandValues) {
  // [0.5, -1]: max|x| = 1, factor 1/127, inverse 127/1 = 127: 0.5 * 127 = 63.5 rounds away from zero to 64,
  // -1 * 127 = -127.
  const float in[] = {0.5f, -1.0f};
  int8_t q[2];
  float factor = 0;
  hybrid_quantize_symmetric(in, 2, q, &factor);
  EXPECT_EQ(q[0], 64);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(factor, 1.0f / 127.0f);

  // [2, -0.25, 1]: max|x| = 2, factor 2/127, inverse 127/2 = 63.5: 127, -15.875 -> -16, 63.5 -> 64.
  const float in2[] = {2.0f, -0.25f, 1.0f};
  int8_t q2[3];
  hybrid_quantize_symmetric(in2, 3, q2, &factor);
  EXPECT_EQ(factor, 2.0f / 127.0f);
  EXPECT_EQ((std::vector<int>{q2[0], q2[1], q2[2]}), (std::vector<int>{127, -16, 64}));

  // All zero: q = 0 with factor 1 (TFLite's special case, not a division by zero).
  const float zeros[] = {0.0f, -0.0f};
  int8_t qz[2] = {5, 5};
  hybrid_quantize_symmetric(zeros, 2, qz, &factor);
  EXPECT_EQ(factor, 1.0f);
  EXPECT_EQ(qz[0], 0);
  EXPECT_EQ(qz[1], 0);
}

TEST(HybridQuantize, AsymmetricHandValues) {
  // [0.5, -1]: range [-1, 0.5], scale 1.5 / 255 = 1/170 (double). Zero point from the min end:
  // -128 + 170 = 42 (error 128 + 170), from the max end: 127 - 85 = 42 (error 127 + 85, smaller): 42.
  // q = round(42 + x * 170): 42 + 85 = 127 and 42 - 170 = -128.
  const float in[] = {0.5f, -1.0f};
  int8_t q[2];
  float factor = 0;
  int32_t offset = 0;
  hybrid_quantize_asymmetric(in, 2, q, &factor, &offset);
  EXPECT_EQ(factor, static_cast<float>(1.5 / 255.0));
  EXPECT_EQ(offset, 42);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], -128);

  // [0, 1, 2, 3]: range [0, 3], scale 3/255 = 1/85, zero point -128 (from the min end, error 128 < 382):
  // q = round(-128 + 85 x) = -128, -43, 42, 127.
  const float in2[] = {0.0f, 1.0f, 2.0f, 3.0f};
  int8_t q2[4];
  hybrid_quantize_asymmetric(in2, 4, q2, &factor, &offset);
  EXPECT_EQ(factor, static_cast<float>(3.0 / 255.0));
  EXPECT_EQ(offset, -128);
  EXPECT_EQ((std::vector<int>{q2[0], q2[1], q2[2], q2[3]}), (std::vector<int>{-128, -43, 42, 127}));

  // [-2, -2]: range [-2, 0] (0 is always inside), zero point 127 - 0 = 127 from the max end (nudged to the
  // top): q = round(127 - 2 * 127.5) = -128.
  const float in3[] = {-2.0f, -2.0f};
  int8_t q3[2];
  hybrid_quantize_asymmetric(in3, 2, q3, &factor, &offset);
  EXPECT_EQ(offset, 127);
  EXPECT_EQ(q3[0], -128);
  EXPECT_EQ(q3[1], -128);

  // All zero: an empty range gives q = 0, factor 1, offset 0.
  const float zeros[] = {0.0f, 0.0f, 0.0f};
  int8_t qz[3] = {1, 1, 1};
  hybrid_quantize_asymmetric(zeros, 3, qz, &factor, &offset);
  EXPECT_EQ(factor, 1.0f);
  EXPECT_EQ(offset, 0);
  EXPECT_EQ((std::vector<int>{qz[0], qz[1], qz[2]}), (std::vector<int>{0, 0, 0}));
}

TEST(HybridQuantize, NonFiniteInputsStayDefined) {
  // TFLite converts NaN to int32 (undefined; INT32_MIN on x86) before clamping; here NaN gives the lowest
  // value without undefined behaviour (UBSan runs these tests). An infinite range makes the inverse 0.
  const float in[] = {std::numeric_limits<float>::infinity(), 1.0f};
  int8_t q[2];
  float factor = 0;
  hybrid_quantize_symmetric(in, 2, q, &factor);
  EXPECT_EQ(q[0], -127);  // inf * 0 = NaN
  EXPECT_EQ(q[1], 0);
  // [-1, NaN]: the NaN becomes the maximum, which max(0, NaN) turns into 0: range [-1, 0], offset 127,
  // q = round(127 - 255) = -128 for -1 and round(NaN) -> -128 for the NaN.
  const float nan_in[] = {-1.0f, std::numeric_limits<float>::quiet_NaN()};
  int32_t offset = 0;
  hybrid_quantize_asymmetric(nan_in, 2, q, &factor, &offset);
  EXPECT_EQ(offset, 127);
  EXPECT_EQ(q[0], -128);
  EXPECT_EQ(q[1], -128);
}

// ---- Single-op hybrid models ----

QuantParams weight_quant(const std::vector<float>& scales, int dimension) {
  if (scales.size() == 1) return QuantParams::per_tensor(scales[0], 0);
  return QuantParams::per_channel(scales, std::vector<int64_t>(scales.size(), 0), dimension);
}

compiler::OptionsWriter fc_options(int activation, bool asymmetric) {
  return [activation, asymmetric](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateFullyConnectedOptions(fbb, static_cast<tflite::ActivationFunctionType>(activation),
                                               tflite::FullyConnectedOptionsWeightsFormat::DEFAULT, false,
                                               asymmetric)
        .Union();
  };
}

struct Conv {
  int stride = 1, dilation = 1;
  tflite::Padding padding = tflite::Padding::VALID;
  int activation = 0;
};

compiler::OptionsWriter conv_options(const Conv& c) {
  return [c](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride,
                                       static_cast<tflite::ActivationFunctionType>(c.activation), c.dilation,
                                       c.dilation)
        .Union();
  };
}

compiler::OptionsWriter depthwise_options(const Conv& c, int multiplier) {
  return [c, multiplier](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride, c.stride, multiplier,
                                                static_cast<tflite::ActivationFunctionType>(c.activation),
                                                c.dilation, c.dilation)
        .Union();
  };
}

// One op with a float input, a constant filter (int8 with `scales`, or float `float_filter` when given),
// an optional float bias and a float output.
struct OpModel {
  BuiltinOp op = BuiltinOp::kFullyConnected;
  std::vector<int32_t> input_shape, filter_shape, output_shape;
  std::vector<int8_t> filter;
  std::vector<float> scales;
  int scale_dimension = 0;
  std::vector<float> bias;  // empty: none
  tflite::BuiltinOptions options_type = tflite::BuiltinOptions::FullyConnectedOptions;
  compiler::OptionsWriter options;

  std::vector<uint8_t> build(bool dequantized = false) const {
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, input_shape);
    int w;
    if (dequantized) {
      w = b.add_constant<float>(DataType::kFloat32, filter_shape, dequantized_filter());
    } else {
      w = b.add_constant<int8_t>(DataType::kInt8, filter_shape, filter,
                                 weight_quant(scales, scale_dimension));
    }
    const int bi = bias.empty()
                       ? -1
                       : b.add_constant<float>(DataType::kFloat32, {static_cast<int32_t>(bias.size())}, bias);
    const int out = b.add_tensor(DataType::kFloat32, output_shape);
    b.add_op(op, {in, w, bi}, {out}, options_type, options);
    b.set_inputs({in});
    b.set_outputs({out});
    return b.finish();
  }

  // float(q) * scale of its channel, in float (what a float twin of the network holds).
  std::vector<float> dequantized_filter() const {
    std::vector<float> w(filter.size());
    const int channels = filter_shape[scale_dimension];
    int inner = 1;
    for (size_t d = scale_dimension + 1; d < filter_shape.size(); ++d) inner *= filter_shape[d];
    for (size_t i = 0; i < w.size(); ++i) {
      const int c = static_cast<int>(i / inner) % channels;
      w[i] = static_cast<float>(filter[i]) * scales[scales.size() == 1 ? 0 : c];
    }
    return w;
  }
};

std::vector<float> run_reference(const std::vector<uint8_t>& model, const std::vector<float>& input) {
  return run_float_model(model, input);
}

OpModel hand_fc(std::vector<float> scales, int activation, bool asymmetric) {
  OpModel m;
  m.input_shape = {1, 2};
  m.filter_shape = {2, 2};
  m.output_shape = {1, 2};
  m.filter = {10, -20, 3, 4};
  m.scales = std::move(scales);
  m.bias = {1.0f, -2.0f};
  m.options = fc_options(activation, asymmetric);
  return m;
}

// ---- HybridFullyConnected ----

// The input [0.5, -1] against filter rows [10, -20] and [3, 4], bias [1, -2].
// Symmetric: q = [64, -127] with factor 1/127 (HybridQuantize above); acc = 10*64 + (-20)(-127) = 3180 and
// 3*64 + 4*(-127) = -316. Per-tensor scale 0.5: the factor becomes (1/127) * 0.5 first, then
// output = bias + float(acc) * factor = 1 + 12.5197 and -2 - 1.2441.
TEST(HybridFullyConnected, SymmetricPerTensorByHand) {
  const float factor = (1.0f / 127.0f) * 0.5f;
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 0, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{1.0f + 3180.0f * factor, -2.0f + -316.0f * factor}));
  EXPECT_NEAR(1.0f + 3180.0f * factor, 13.519685f, 1e-5f);
}

// Asymmetric (asymmetric_quantize_inputs): q = [127, -128], offset 42, factor 1.5/255 (HybridQuantize above).
// Row sums 10 - 20 = -10 and 3 + 4 = 7: acc = 10*127 + (-20)(-128) - (-10)(42) = 4250 and
// 3*127 + 4*(-128) - 7*42 = -425, i.e. exactly 25 and -2.5 in units of 1/170: outputs 13.5 and -3.25.
TEST(HybridFullyConnected, AsymmetricPerTensorByHand) {
  const float factor = static_cast<float>(1.5 / 255.0) * 0.5f;
  const std::vector<float> out = run_reference(hand_fc({0.5f}, 0, true).build(), {0.5f, -1.0f});
  EXPECT_EQ(out, (std::vector<float>{1.0f + 4250.0f * factor, -2.0f + -425.0f * factor}));
  EXPECT_NEAR(out[0], 13.5f, 1e-5f);
  EXPECT_NEAR(out[1], -3.25f, 1e-5f);
}

// Per-channel scales [0.5, 0.25]: the factor is not folded; each row's scale is factor * channel scale.
TEST(HybridFullyConnected, PerChannelByHand) {
  const float f = 1.0f / 127.0f;
  EXPECT_EQ(run_reference(hand_fc({0.5f, 0.25f}, 0, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{1.0f + 3180.0f * (f * 0.5f), -2.0f + -316.0f * (f * 0.25f)}));
  const float a = static_cast<float>(1.5 / 255.0);
  EXPECT_EQ(run_reference(hand_fc({0.5f, 0.25f}, 0, true).build(), {0.5f, -1.0f}),
            (std::vector<float>{1.0f + 4250.0f * (a * 0.5f), -2.0f + -425.0f * (a * 0.25f)}));
}

// TFLite's vector activations after the bias: RELU max(0, x), RELU_N1_TO_1, RELU6, SIGN_BIT.
TEST(HybridFullyConnected, FusedActivations) {
  const float f = (1.0f / 127.0f) * 0.5f;
  const float first = 1.0f + 3180.0f * f;  // 13.52
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 1, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{first, 0.0f}));
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 2, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{1.0f, -1.0f}));
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 3, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{6.0f, 0.0f}));
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 5, false).build(), {0.5f, -1.0f}),
            (std::vector<float>{0.0f, 1.0f}));
}

// An all-zero input skips the product (TFLite's IsZeroVector): the output is the bias, activated.
TEST(HybridFullyConnected, ZeroInputGivesBias) {
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 0, true).build(), {0.0f, 0.0f}), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(run_reference(hand_fc({0.5f}, 1, false).build(), {0.0f, -0.0f}),
            (std::vector<float>{1.0f, 0.0f}));
}

// Each batch row has its own factor: the second row, 4x the first, gives exactly 4x the products.
TEST(HybridFullyConnected, BatchesQuantizedSeparately) {
  OpModel m = hand_fc({0.5f}, 0, false);
  m.input_shape = {2, 2};
  m.output_shape = {2, 2};
  m.bias.clear();
  const float f1 = (1.0f / 127.0f) * 0.5f;
  const float f2 = (4.0f / 127.0f) * 0.5f;
  EXPECT_EQ(run_reference(m.build(), {0.5f, -1.0f, 2.0f, -4.0f}),
            (std::vector<float>{3180.0f * f1, -316.0f * f1, 3180.0f * f2, -316.0f * f2}));
}

// A filter that is not constant (a graph input) gets its row sums in every eval instead of in prepare().
TEST(HybridFullyConnected, NonConstantFilterMatchesConstant) {
  const std::vector<int8_t> filter = {10, -20, 3, 4, -7, 127, -128, 0, 55};
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {2, 3});
  const int w = b.add_tensor(DataType::kInt8, {3, 3}, QuantParams::per_tensor(0.02f, 0));
  const int out = b.add_tensor(DataType::kFloat32, {2, 3});
  b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc_options(0, true));
  b.set_inputs({in, w});
  b.set_outputs({out});
  const std::vector<float> input = {0.3f, -0.9f, 0.45f, 2.0f, 0.1f, 0.7f};
  const testing::RunResult dynamic =
      testing::run_model(b.finish(), conv_kernels(), {bytes_of(input), bytes_of(filter)});
  ASSERT_TRUE(dynamic.status.is_ok()) << dynamic.status.message();

  OpModel m;
  m.input_shape = {2, 3};
  m.filter_shape = {3, 3};
  m.output_shape = {2, 3};
  m.filter = filter;
  m.scales = {0.02f};
  m.options = fc_options(0, true);
  EXPECT_EQ(values_of<float>(dynamic.outputs[0]), run_reference(m.build(), input));
}

// ---- HybridConv2D / HybridDepthwiseConv2D: by hand ----

// A 1x1 convolution over the input [0.5, -1] computes what the fully connected cases above do.
OpModel hand_conv(std::vector<float> scales, std::vector<int32_t> filter_shape, std::vector<int8_t> filter) {
  OpModel m;
  m.op = BuiltinOp::kConv2D;
  m.input_shape = {1, 1, 1, 2};
  m.filter_shape = std::move(filter_shape);
  m.output_shape = {1, 1, 1, 2};
  m.filter = std::move(filter);
  m.scales = std::move(scales);
  m.bias = {1.0f, -2.0f};
  m.options_type = tflite::BuiltinOptions::Conv2DOptions;
  m.options = conv_options(Conv{});
  return m;
}

TEST(HybridConv2D, EqualScalesAreSymmetricByHand) {
  // acc 3180 and -316 on q = [64, -127]; factor (1/127) * 0.5; output (0 + acc * factor) + bias. Per-channel
  // scales that are all equal take the same path (TFLite's EvalHybrid).
  const float f = (1.0f / 127.0f) * 0.5f;
  const std::vector<float> want = {(0.0f + 3180.0f * f) + 1.0f, (0.0f + -316.0f * f) + -2.0f};
  EXPECT_EQ(run_reference(hand_conv({0.5f}, {2, 1, 1, 2}, {10, -20, 3, 4}).build(), {0.5f, -1.0f}), want);
  EXPECT_EQ(run_reference(hand_conv({0.5f, 0.5f}, {2, 1, 1, 2}, {10, -20, 3, 4}).build(), {0.5f, -1.0f}),
            want);
}

TEST(HybridConv2D, DifferingChannelScalesAreAsymmetricByHand) {
  // TFLite's EvalHybridPerChannel: asymmetric q = [127, -128], offset 42, factor 1.5/255; acc sums
  // filter * (q - 42): 10*85 + (-20)(-170) = 4250 and 3*85 + 4*(-170) = -425;
  // output = acc * (channel scale * factor) + bias = 13.5 and -2.25.
  const float a = static_cast<float>(1.5 / 255.0);
  const std::vector<float> out =
      run_reference(hand_conv({0.5f, 0.125f}, {2, 1, 1, 2}, {10, -20, 3, 4}).build(), {0.5f, -1.0f});
  EXPECT_EQ(out, (std::vector<float>{4250.0f * (0.5f * a) + 1.0f, -425.0f * (0.125f * a) + -2.0f}));
  EXPECT_NEAR(out[0], 13.5f, 1e-5f);
  EXPECT_NEAR(out[1], -2.3125f, 1e-5f);
}

TEST(HybridConv2D, GroupedIsAsymmetricInReferenceOrderByHand) {
  // Two groups of one channel (filter [2, 1, 1, 1]): acc = 10 * (127 - 42) = 850 and 4 * (-128 - 42) = -680;
  // TFLite's reference HybridConvPerChannel: (acc * channel scale) * factor + bias.
  const float a = static_cast<float>(1.5 / 255.0);
  EXPECT_EQ(run_reference(hand_conv({0.5f}, {2, 1, 1, 1}, {10, 4}).build(), {0.5f, -1.0f}),
            (std::vector<float>{850.0f * 0.5f * a + 1.0f, -680.0f * 0.5f * a + -2.0f}));
}

TEST(HybridDepthwiseConv2D, AsymmetricByHand) {
  // Always asymmetric: acc = 10 * (127 - 42) = 850 and 4 * (-128 - 42) = -680; TFLite's builtin kernel
  // computes (acc * factor) * channel scale + bias: 10 * 0.5 * 0.5 + 1 = 3.5 and 4 * -1 * 0.25 - 2 = -3.
  OpModel m;
  m.op = BuiltinOp::kDepthwiseConv2D;
  m.input_shape = {1, 1, 1, 2};
  m.filter_shape = {1, 1, 1, 2};
  m.output_shape = {1, 1, 1, 2};
  m.filter = {10, 4};
  m.scales = {0.5f, 0.25f};
  m.scale_dimension = 3;
  m.bias = {1.0f, -2.0f};
  m.options_type = tflite::BuiltinOptions::DepthwiseConv2DOptions;
  m.options = depthwise_options(Conv{}, 1);
  const float a = static_cast<float>(1.5 / 255.0);
  const std::vector<float> out = run_reference(m.build(), {0.5f, -1.0f});
  EXPECT_EQ(out, (std::vector<float>{850.0f * a * 0.5f + 1.0f, -680.0f * a * 0.25f + -2.0f}));
  EXPECT_NEAR(out[0], 3.5f, 1e-5f);
  EXPECT_NEAR(out[1], -3.0f, 1e-5f);
}

// ---- Against the float op with dequantized weights ----

// Bound of |hybrid - float twin| for one output: each input value is off by at most half a quantization step
// s (s = max|x| / 127 symmetric, (max(0, max x) - min(0, min x)) / 255 asymmetric, per batch), so the output
// is off by at most s/2 * sum|w| over the weights it uses (here: all of its channel's weights, an upper
// bound); 1e-3 s covers the float rounding of the factor and its inverse; 1e-5 of sum|w| max|x| + |bias|
// covers the float32 sums of both computations. Clamping activations do not increase the difference.
double step_of(const float* x, int n, bool asymmetric) {
  float lo = 0, hi = 0, m = 0;
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
    m = std::max(m, std::abs(x[i]));
  }
  return asymmetric ? (static_cast<double>(hi) - lo) / 255.0 : m / 127.0;
}

struct Bound {
  std::vector<double> step;            // per batch
  std::vector<double> max_abs_input;   // per batch
  std::vector<double> weight_abs_sum;  // per output channel
};

void expect_within_bound(const std::vector<float>& hybrid, const std::vector<float>& twin, const Bound& bound,
                         const std::vector<float>& bias, int channels, const std::string& what,
                         double* worst_ratio) {
  ASSERT_EQ(hybrid.size(), twin.size()) << what;
  const size_t per_batch = hybrid.size() / bound.step.size();
  for (size_t i = 0; i < hybrid.size(); ++i) {
    const size_t b = i / per_batch;
    const int c = static_cast<int>(i % channels);
    const double w = bound.weight_abs_sum[c];
    const double tolerance = (0.5 + 1e-3) * bound.step[b] * w +
                             1e-5 * (w * bound.max_abs_input[b] + (bias.empty() ? 0.0 : std::abs(bias[c]))) +
                             1e-7;
    const double difference = std::abs(static_cast<double>(hybrid[i]) - twin[i]);
    ASSERT_LE(difference, tolerance) << what << ": output " << i << " is " << hybrid[i] << ", float twin "
                                     << twin[i];
    if (bound.step[b] * w > 0) *worst_ratio = std::max(*worst_ratio, difference / (0.5 * bound.step[b] * w));
  }
}

Bound make_bound(const std::vector<float>& input, int batches, bool asymmetric, const OpModel& m,
                 int channels) {
  Bound bound;
  const int per_batch = static_cast<int>(input.size()) / batches;
  for (int b = 0; b < batches; ++b) {
    const float* x = input.data() + b * per_batch;
    bound.step.push_back(step_of(x, per_batch, asymmetric));
    double largest = 0;
    for (int i = 0; i < per_batch; ++i) largest = std::max(largest, static_cast<double>(std::abs(x[i])));
    bound.max_abs_input.push_back(largest);
  }
  const std::vector<float> w = m.dequantized_filter();
  bound.weight_abs_sum.assign(channels, 0.0);
  int inner = 1;
  for (size_t d = m.scale_dimension + 1; d < m.filter_shape.size(); ++d) inner *= m.filter_shape[d];
  for (size_t i = 0; i < w.size(); ++i) {
    bound.weight_abs_sum[(i / inner) % channels] += std::abs(static_cast<double>(w[i]));
  }
  return bound;
}

std::vector<float> random_scales(std::mt19937& rng, int channels, bool per_channel) {
  std::vector<float> scales;
  for (int c = 0; c < (per_channel ? channels : 1); ++c) scales.push_back(random_float(rng, 0.002f, 0.05f));
  return scales;
}

// Inputs with a different range per batch, some all negative or all positive rows, to exercise both ends of
// the asymmetric zero point.
std::vector<float> random_input(std::mt19937& rng, int batches, int per_batch) {
  std::vector<float> input;
  for (int b = 0; b < batches; ++b) {
    const float magnitude = random_float(rng, 0.1f, 8.0f);
    const int kind = b % 3;
    for (int i = 0; i < per_batch; ++i) {
      const float v = random_float(rng, -magnitude, magnitude);
      input.push_back(kind == 1 ? std::abs(v) : (kind == 2 ? -std::abs(v) - 0.5f : v));
    }
  }
  return input;
}

int output_size(tflite::Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - effective + stride) / stride;
}

TEST(HybridFullyConnected, MatchesDequantizedFloatWithinInputQuantizationError) {
  std::mt19937 rng(7);
  double worst = 0;
  int cases = 0;
  for (int batches : {1, 3}) {
    for (int depth : {1, 5, 64}) {
      for (int units : {1, 7}) {
        for (bool asymmetric : {false, true}) {
          for (bool per_channel : {false, true}) {
            for (int activation : {0, 1, 2, 3}) {
              OpModel m;
              m.input_shape = {batches, depth};
              m.filter_shape = {units, depth};
              m.output_shape = {batches, units};
              m.filter = random_ints<int8_t>(rng, units * depth, -127, 127);
              m.scales = random_scales(rng, units, per_channel && units > 1);
              if (activation != 2) m.bias = random_floats(rng, units, -1.0f, 1.0f);
              m.options = fc_options(activation, asymmetric);
              const std::vector<float> input = random_input(rng, batches, depth);
              const std::string what = "fc b" + std::to_string(batches) + " d" + std::to_string(depth) +
                                       " u" + std::to_string(units) + (asymmetric ? " asym" : " sym") +
                                       (per_channel ? " per-channel" : "") + " act " +
                                       std::to_string(activation);
              expect_within_bound(run_reference(m.build(), input), run_reference(m.build(true), input),
                                  make_bound(input, batches, asymmetric, m, units), m.bias, units, what,
                                  &worst);
              ++cases;
            }
          }
        }
      }
    }
  }
  std::printf("%d cases: largest difference %.3f of the bound s/2 * sum|w|\n", cases, worst);
}

TEST(HybridConv2D, MatchesDequantizedFloatWithinInputQuantizationError) {
  std::mt19937 rng(11);
  double worst = 0;
  struct Shape {
    int batches, h, w, in_c, out_c, k, groups;
  };
  for (const Shape& s : {Shape{1, 5, 5, 3, 4, 3, 1}, Shape{2, 6, 4, 2, 3, 2, 1}, Shape{1, 4, 4, 4, 4, 3, 2},
                         Shape{2, 3, 3, 6, 6, 1, 3}}) {
    for (const Conv& c : {Conv{1, 1, tflite::Padding::SAME, 0}, Conv{2, 1, tflite::Padding::VALID, 1},
                          Conv{1, 2, tflite::Padding::SAME, 3}, Conv{2, 1, tflite::Padding::SAME, 2}}) {
      for (int scales_kind = 0; scales_kind < 3; ++scales_kind) {  // per-tensor, equal per-channel, differing
        OpModel m;
        m.op = BuiltinOp::kConv2D;
        const int fin = s.in_c / s.groups;
        const int out_h = output_size(c.padding, s.h, s.k, c.stride, c.dilation);
        const int out_w = output_size(c.padding, s.w, s.k, c.stride, c.dilation);
        if (out_h < 1 || out_w < 1) continue;
        m.input_shape = {s.batches, s.h, s.w, s.in_c};
        m.filter_shape = {s.out_c, s.k, s.k, fin};
        m.output_shape = {s.batches, out_h, out_w, s.out_c};
        m.filter = random_ints<int8_t>(rng, s.out_c * s.k * s.k * fin, -127, 127);
        m.scales = random_scales(rng, s.out_c, scales_kind == 2);
        if (scales_kind == 1) m.scales.assign(s.out_c, m.scales[0]);
        m.bias = random_floats(rng, s.out_c, -1.0f, 1.0f);
        m.options_type = tflite::BuiltinOptions::Conv2DOptions;
        m.options = conv_options(c);
        const bool asymmetric = scales_kind == 2 || s.groups != 1;  // TFLite's choice
        const std::vector<float> input = random_input(rng, s.batches, s.h * s.w * s.in_c);
        const std::string what = "conv " + std::to_string(s.h) + "x" + std::to_string(s.w) + "x" +
                                 std::to_string(s.in_c) + " k" + std::to_string(s.k) + " groups " +
                                 std::to_string(s.groups) + " stride " + std::to_string(c.stride) +
                                 " scales " + std::to_string(scales_kind);
        expect_within_bound(run_reference(m.build(), input), run_reference(m.build(true), input),
                            make_bound(input, s.batches, asymmetric, m, s.out_c), m.bias, s.out_c, what,
                            &worst);
      }
    }
  }
  std::printf("largest difference %.3f of the bound s/2 * sum|w|\n", worst);
}

TEST(HybridDepthwiseConv2D, MatchesDequantizedFloatWithinInputQuantizationError) {
  std::mt19937 rng(13);
  double worst = 0;
  struct Shape {
    int batches, h, w, in_c, multiplier, k;
  };
  for (const Shape& s : {Shape{1, 5, 5, 3, 1, 3}, Shape{2, 6, 4, 2, 2, 2}, Shape{1, 7, 7, 4, 1, 5}}) {
    for (const Conv& c : {Conv{1, 1, tflite::Padding::SAME, 0}, Conv{2, 1, tflite::Padding::VALID, 1},
                          Conv{1, 2, tflite::Padding::SAME, 3}}) {
      for (bool per_channel : {false, true}) {
        OpModel m;
        m.op = BuiltinOp::kDepthwiseConv2D;
        const int out_c = s.in_c * s.multiplier;
        const int out_h = output_size(c.padding, s.h, s.k, c.stride, c.dilation);
        const int out_w = output_size(c.padding, s.w, s.k, c.stride, c.dilation);
        if (out_h < 1 || out_w < 1) continue;
        m.input_shape = {s.batches, s.h, s.w, s.in_c};
        m.filter_shape = {1, s.k, s.k, out_c};
        m.output_shape = {s.batches, out_h, out_w, out_c};
        m.filter = random_ints<int8_t>(rng, s.k * s.k * out_c, -127, 127);
        m.scales = random_scales(rng, out_c, per_channel);
        m.scale_dimension = 3;
        m.bias = random_floats(rng, out_c, -1.0f, 1.0f);
        m.options_type = tflite::BuiltinOptions::DepthwiseConv2DOptions;
        m.options = depthwise_options(c, s.multiplier);
        const std::vector<float> input = random_input(rng, s.batches, s.h * s.w * s.in_c);
        const std::string what = "depthwise " + std::to_string(s.h) + "x" + std::to_string(s.w) + "x" +
                                 std::to_string(s.in_c) + " x" + std::to_string(s.multiplier) + " k" +
                                 std::to_string(s.k) + " stride " + std::to_string(c.stride) +
                                 (per_channel ? " per-channel" : "");
        expect_within_bound(run_reference(m.build(), input), run_reference(m.build(true), input),
                            make_bound(input, s.batches, true, m, out_c), m.bias, out_c, what, &worst);
      }
    }
  }
  std::printf("largest difference %.3f of the bound s/2 * sum|w|\n", worst);
}

// ---- HybridCortexM: the optimized kernels reuse the reference prepare() and fall back for hybrid ops ----

TEST(HybridCortexM, OptimizedKernelsRunHybridOpsLikeTheReference) {
  const KernelList optimized = {{BuiltinOp::kConv2D, &cortex_m::conv_2d()},
                                {BuiltinOp::kDepthwiseConv2D, &cortex_m::depthwise_conv_2d()},
                                {BuiltinOp::kFullyConnected, &cortex_m::fully_connected()}};
  std::mt19937 rng(17);
  std::vector<OpModel> models;
  OpModel fc;
  fc.input_shape = {2, 16};
  fc.filter_shape = {8, 16};
  fc.output_shape = {2, 8};
  fc.filter = random_ints<int8_t>(rng, 8 * 16, -127, 127);
  fc.scales = random_scales(rng, 8, true);
  fc.bias = random_floats(rng, 8, -1.0f, 1.0f);
  fc.options = fc_options(1, true);
  models.push_back(fc);
  OpModel conv;
  conv.op = BuiltinOp::kConv2D;
  conv.input_shape = {1, 6, 6, 4};
  conv.filter_shape = {8, 3, 3, 4};
  conv.output_shape = {1, 6, 6, 8};
  conv.filter = random_ints<int8_t>(rng, 8 * 3 * 3 * 4, -127, 127);
  conv.scales = random_scales(rng, 8, false);
  conv.bias = random_floats(rng, 8, -1.0f, 1.0f);
  conv.options_type = tflite::BuiltinOptions::Conv2DOptions;
  conv.options = conv_options(Conv{1, 1, tflite::Padding::SAME, 3});
  models.push_back(conv);
  conv.scales = random_scales(rng, 8, true);
  models.push_back(conv);
  OpModel depthwise;
  depthwise.op = BuiltinOp::kDepthwiseConv2D;
  depthwise.input_shape = {1, 6, 6, 4};
  depthwise.filter_shape = {1, 3, 3, 4};
  depthwise.output_shape = {1, 6, 6, 4};
  depthwise.filter = random_ints<int8_t>(rng, 3 * 3 * 4, -127, 127);
  depthwise.scales = random_scales(rng, 4, true);
  depthwise.scale_dimension = 3;
  depthwise.bias = random_floats(rng, 4, -1.0f, 1.0f);
  depthwise.options_type = tflite::BuiltinOptions::DepthwiseConv2DOptions;
  depthwise.options = depthwise_options(Conv{1, 1, tflite::Padding::SAME, 0}, 1);
  models.push_back(depthwise);
  for (const OpModel& m : models) {
    int64_t elements = 1;
    for (int32_t d : m.input_shape) elements *= d;
    const std::vector<float> input = random_floats(rng, elements, -3.0f, 3.0f);
    const std::vector<float> want = run_reference(m.build(), input);
    const std::vector<float> got = testing::run_values<float>(m.build(), optimized, input);
    EXPECT_EQ(got, want) << "op " << static_cast<int>(m.op);
  }
}

// ---- HybridPrepare: malformed hybrid ops fail in prepare() ----

TEST(HybridPrepare, RejectsMalformedFilters) {
  // No quantization on the int8 filter.
  OpModel m = hand_fc({0.5f}, 0, false);
  auto without_scale = [](OpModel model) {
    ModelBuilder b;
    const int in = b.add_tensor(DataType::kFloat32, model.input_shape);
    const int w = b.add_constant<int8_t>(DataType::kInt8, model.filter_shape, model.filter);
    const int out = b.add_tensor(DataType::kFloat32, model.output_shape);
    b.add_op(model.op, {in, w, -1}, {out}, model.options_type, model.options);
    b.set_inputs({in});
    b.set_outputs({out});
    return b;
  };
  expect_error(without_scale(m), StatusCode::kInvalidModel, "filter has no quantization parameters");
  expect_error(without_scale(hand_conv({0.5f}, {2, 1, 1, 2}, {10, -20, 3, 4})), StatusCode::kInvalidModel,
               "filter has no quantization parameters");

  // A nonzero weight zero point (TFLite's hybrid kernels would ignore it).
  ModelBuilder zp;
  const int in = zp.add_tensor(DataType::kFloat32, {1, 2});
  const int w =
      zp.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 2, 3, 4}, QuantParams::per_tensor(0.5f, 3));
  const int out = zp.add_tensor(DataType::kFloat32, {1, 2});
  zp.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
            fc_options(0, false));
  zp.set_inputs({in});
  zp.set_outputs({out});
  expect_error(zp, StatusCode::kUnsupported, "zero point 3");

  // A scale count that matches no channel dimension (the loader refuses it before prepare()).
  ModelBuilder count;
  count.set_checks(false);
  const int cin = count.add_tensor(DataType::kFloat32, {1, 2});
  const int cw = count.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 2, 3, 4},
                                            QuantParams::per_channel({0.5f, 0.5f, 0.5f}, {0, 0, 0}, 0));
  const int cout = count.add_tensor(DataType::kFloat32, {1, 2});
  count.add_op(BuiltinOp::kFullyConnected, {cin, cw, -1}, {cout},
               tflite::BuiltinOptions::FullyConnectedOptions, fc_options(0, false));
  count.set_inputs({cin});
  count.set_outputs({cout});
  expect_error(count, StatusCode::kInvalidModel, "3 per-channel scales for dimension 0 of size 2");

  // Per-channel depthwise scales must run along dimension 3 (the output channels), not another of size 2.
  ModelBuilder along;
  const int ain = along.add_tensor(DataType::kFloat32, {1, 2, 2, 2});
  const int aw = along.add_constant<int8_t>(DataType::kInt8, {1, 2, 1, 2}, {1, 2, 3, 4},
                                            QuantParams::per_channel({0.5f, 0.25f}, {0, 0}, 1));
  const int aout = along.add_tensor(DataType::kFloat32, {1, 1, 2, 2});
  along.add_op(BuiltinOp::kDepthwiseConv2D, {ain, aw, -1}, {aout},
               tflite::BuiltinOptions::DepthwiseConv2DOptions, depthwise_options(Conv{}, 1));
  along.set_inputs({ain});
  along.set_outputs({aout});
  expect_error(along, StatusCode::kInvalidModel, "quantized along dimension 1, expected 3");

  // A negative weight scale.
  OpModel negative = hand_fc({-0.5f}, 0, false);
  testing::expect_error(allocate_status_bytes(negative.build()), StatusCode::kInvalidModel, "negative");
}

TEST(HybridPrepare, RejectsWrongShapesTypesAndOptions) {
  // Output units that do not match the filter.
  OpModel units = hand_fc({0.5f}, 0, false);
  units.output_shape = {1, 3};
  testing::expect_error(allocate_status_bytes(units.build()), StatusCode::kInvalidModel,
                        "filter has 2 units");
  // Input columns that do not divide into the filter's.
  OpModel columns = hand_fc({0.5f}, 0, false);
  columns.input_shape = {1, 3};
  testing::expect_error(allocate_status_bytes(columns.build()), StatusCode::kInvalidModel, "not a multiple");
  // A bias of the wrong length.
  OpModel bias = hand_fc({0.5f}, 0, false);
  bias.bias = {1.0f, 2.0f, 3.0f};
  testing::expect_error(allocate_status_bytes(bias.build()), StatusCode::kInvalidModel,
                        "bias has 3 elements");
  // TANH fused into a hybrid FULLY_CONNECTED (TFLite's Eigen tanh is not reproduced).
  testing::expect_error(allocate_status_bytes(hand_fc({0.5f}, 4, false).build()), StatusCode::kUnsupported,
                        "fused activation 4");
  // Conv: filter input channels that do not match, and an output of the wrong size.
  OpModel conv = hand_conv({0.5f}, {2, 1, 1, 3}, {1, 2, 3, 4, 5, 6});
  testing::expect_error(allocate_status_bytes(conv.build()), StatusCode::kInvalidModel, "input channels");
  OpModel conv_out = hand_conv({0.5f}, {2, 1, 1, 2}, {10, -20, 3, 4});
  conv_out.output_shape = {1, 2, 1, 2};
  testing::expect_error(allocate_status_bytes(conv_out.build()), StatusCode::kInvalidModel, "output is 2x1");

  // A float input with an int8 filter but an int8 output is not hybrid.
  ModelBuilder mixed;
  const int in = mixed.add_tensor(DataType::kFloat32, {1, 2});
  const int w =
      mixed.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 2, 3, 4}, QuantParams::per_tensor(0.5f, 0));
  const int out = mixed.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.1f, 0));
  mixed.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
               fc_options(0, false));
  mixed.set_inputs({in});
  mixed.set_outputs({out});
  expect_error(mixed, StatusCode::kInvalidModel, "input is float32 but output is int8");

  // An int32 bias on a hybrid op.
  ModelBuilder int_bias;
  const int bin = int_bias.add_tensor(DataType::kFloat32, {1, 2});
  const int bw =
      int_bias.add_constant<int8_t>(DataType::kInt8, {2, 2}, {1, 2, 3, 4}, QuantParams::per_tensor(0.5f, 0));
  const int bb = int_bias.add_constant<int32_t>(DataType::kInt32, {2}, {1, 2});
  const int bout = int_bias.add_tensor(DataType::kFloat32, {1, 2});
  int_bias.add_op(BuiltinOp::kFullyConnected, {bin, bw, bb}, {bout},
                  tflite::BuiltinOptions::FullyConnectedOptions, fc_options(0, false));
  int_bias.set_inputs({bin});
  int_bias.set_outputs({bout});
  expect_error(int_bias, StatusCode::kUnsupported, "bias is int32, expected float32");

  // TRANSPOSE_CONV has no hybrid kernel: still refused as unsupported.
  ModelBuilder t;
  const int shape = t.add_constant<int32_t>(DataType::kInt32, {4}, {1, 1, 1, 1});
  const int tw = t.add_constant<int8_t>(DataType::kInt8, {1, 1, 1, 1}, {1}, QuantParams::per_tensor(0.5f, 0));
  const int tin = t.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  const int tout = t.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  t.add_op(BuiltinOp::kTransposeConv, {shape, tw, tin}, {tout}, tflite::BuiltinOptions::TransposeConvOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateTransposeConvOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
           });
  t.set_inputs({tin});
  t.set_outputs({tout});
  expect_error(t, StatusCode::kUnsupported, "hybrid models are not");
}

}  // namespace
}  // namespace edgeinfer::conv_test
