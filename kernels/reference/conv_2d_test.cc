#include "kernels/reference/conv_2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/reference/conv_test_util.h"
#include "tests/support/shared_data.h"

namespace edgeinfer::conv_test {
namespace {

using reference::conv_2d_int16;
using reference::conv_2d_int16_acc32;
using reference::conv_2d_int8;
using reference::ConvParams;

// ---- Hand-computed cases through the interpreter -------------------------------------------------------

struct FloatConv {
  std::vector<int32_t> input_shape;
  std::vector<float> input;
  std::vector<int32_t> filter_shape;
  std::vector<float> filter;
  std::vector<float> bias;  // empty: no bias
  std::vector<int32_t> output_shape;
  tflite::Padding padding = tflite::Padding::VALID;
  int stride = 1;
  int dilation = 1;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::NONE;
};

std::vector<uint8_t> build_float_conv(const FloatConv& c) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, c.input_shape);
  const int filter = b.add_constant<float>(DataType::kFloat32, c.filter_shape, c.filter);
  const int bias = c.bias.empty() ? -1
                                  : b.add_constant<float>(DataType::kFloat32,
                                                          {static_cast<int32_t>(c.bias.size())}, c.bias);
  const int out = b.add_tensor(DataType::kFloat32, c.output_shape);
  b.add_op(BuiltinOp::kConv2D, {in, filter, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions,
           [c](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateConv2DOptions(fbb, c.padding, c.stride, c.stride, c.activation, c.dilation,
                                                c.dilation)
                 .Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

std::vector<float> run_float_conv(const FloatConv& c) {
  return run_float_model(build_float_conv(c), c.input);
}

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i + 1);
  return v;
}

TEST(Conv2DFloat, ValidStrideOneWithBias) {
  // 3x3 image 1..9, 2x2 filter [1 2; 3 4]: each output is the window's weighted sum, plus 1.
  FloatConv c{{1, 3, 3, 1}, iota(9), {1, 2, 2, 1}, {1, 2, 3, 4}, {1}, {1, 2, 2, 1}};
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{38, 48, 68, 78}));
}

TEST(Conv2DFloat, SameStrideTwoPadsOnlyAfter) {
  // Total padding (2-1)*2 + 2 - 3 = 1 is odd: none before, one row/column after, so the windows start at
  // 0 and 2 and the second ones hang over the edge.
  FloatConv c{{1, 3, 3, 1}, iota(9), {1, 2, 2, 1}, {1, 2, 3, 4}, {}, {1, 2, 2, 1}, tflite::Padding::SAME, 2};
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{37, 3 * 1 + 6 * 3, 7 * 1 + 8 * 2, 9}));
}

TEST(Conv2DFloat, SamePadsBeforeWhenEven) {
  // 3x3 filter, stride 1: one row/column of padding on each side; the corner sees the 2x2 block 1,2,4,5.
  FloatConv c{{1, 3, 3, 1}, iota(9),      {1, 3, 3, 1},         std::vector<float>(9, 1.0f),
              {},           {1, 3, 3, 1}, tflite::Padding::SAME};
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

TEST(Conv2DFloat, Dilation) {
  // 2x2 ones filter dilated by 2 over a 4x4 image 1..16: sums of the corners of each 3x3 window.
  FloatConv c{{1, 4, 4, 1}, iota(16), {1, 2, 2, 1}, {1, 1, 1, 1}, {}, {1, 2, 2, 1}};
  c.dilation = 2;
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{24, 28, 40, 44}));
}

TEST(Conv2DFloat, GroupedAndMultiChannel) {
  // 4 input channels in 2 groups of 2; output channel 0 sums group 0, channel 1 subtracts in group 1.
  FloatConv c{{1, 1, 1, 4}, {1, 2, 3, 4}, {2, 1, 1, 2}, {1, 1, 1, -1}, {}, {1, 1, 1, 2}};
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{3, -1}));
}

TEST(Conv2DFloat, FusedActivations) {
  FloatConv c{{1, 1, 1, 1}, {1}, {3, 1, 1, 1}, {-2, 3, 10}, {}, {1, 1, 1, 3}};
  c.activation = tflite::ActivationFunctionType::RELU;
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{0, 3, 10}));
  c.activation = tflite::ActivationFunctionType::RELU6;
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{0, 3, 6}));
  c.activation = tflite::ActivationFunctionType::RELU_N1_TO_1;
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{-1, 1, 1}));
}

TEST(Conv2DFloat, BatchesAreIndependent) {
  FloatConv c{{2, 1, 2, 1}, {1, 2, 10, 20}, {1, 1, 2, 1}, {1, -1}, {}, {2, 1, 1, 1}};
  EXPECT_EQ(run_float_conv(c), (std::vector<float>{-1, -10}));
}

// ---- Pure int8 kernel: the output stage, by hand ----------------------------------------------------------

TEST(Conv2DInt8, OutputStageRoundsLikeTfLite) {
  ConvParams p;
  p.batches = p.input_height = p.input_width = 1;
  p.input_depth = p.filter_input_depth = 2;
  p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = 1;
  p.output_depth = 2;
  p.input_offset = -2;  // input zero point 2
  p.output_offset = 5;
  p.activation_min = -128;
  p.activation_max = 127;
  const int8_t input[] = {10, -20};
  const int8_t filter[] = {3, 4, 1, 1};
  const int32_t bias[] = {100, -1};
  const int32_t multipliers[] = {1 << 30, 1 << 30};  // 0.5
  const int32_t shifts[] = {0, 0};
  int8_t output[2];
  conv_2d_int8(p, multipliers, shifts, input, filter, bias, output);
  // Channel 0: 3*8 + 4*(-22) + 100 = 36, halved 18, + 5.
  EXPECT_EQ(output[0], 23);
  // Channel 1: 8 - 22 - 1 = -15, halved -7.5: TFLite's doubling high multiply rounds this tie to -7.
  EXPECT_EQ(output[1], -2);
}

TEST(Conv2DInt8, AccumulatorWrapsLikeInt32) {
  // 2^31 / (127 * 255) products overflow int32 in TFLite, which then wraps: so must we (without UB).
  ConvParams p;
  p.batches = p.input_height = p.input_width = p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = p.output_depth = 1;
  p.input_depth = p.filter_input_depth = 70000;
  p.input_offset = 128;  // input zero point -128
  p.activation_min = -128;
  p.activation_max = 127;
  std::vector<int8_t> input(p.input_depth, 127);
  std::vector<int8_t> filter(p.input_depth, 127);
  const int32_t multiplier = 1 << 30;  // 0.5, shift -20: tiny, so the sign of the wrapped sum shows
  const int32_t shift = -20;
  int8_t output = 0;
  conv_2d_int8(p, &multiplier, &shift, input.data(), filter.data(), nullptr, &output);
  const int64_t exact = int64_t{70000} * 127 * 255;  // 2267475000 > 2^31 - 1
  const int32_t wrapped = static_cast<int32_t>(static_cast<uint32_t>(exact));
  ASSERT_LT(wrapped, 0);
  EXPECT_EQ(output, std::max<int32_t>(-128, multiply_by_quantized_multiplier(wrapped, multiplier, shift)));
}

// ---- Random cases through the interpreter against a float reference ---------------------------------------

struct ConvCase {
  DataType type = DataType::kInt8;  // input/output: float32, int8 or int16 (filter int8 unless float)
  int batches = 1, in_h = 5, in_w = 5, in_c = 3, out_c = 4, groups = 1;
  int filter_h = 3, filter_w = 3, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  tflite::Padding padding = tflite::Padding::SAME;
  int activation = 0;  // tflite::ActivationFunctionType
  bool bias = true;
  DataType bias_type = DataType::kInt32;
  bool per_channel = true;
};

std::string describe(const ConvCase& c) {
  char text[256];
  snprintf(text, sizeof(text),
           "%s b%d %dx%dx%d -> %d (groups %d) filter %dx%d stride %dx%d dil %dx%d %s act %d bias %s%s",
           data_type_name(c.type), c.batches, c.in_h, c.in_w, c.in_c, c.out_c, c.groups, c.filter_h,
           c.filter_w, c.stride_h, c.stride_w, c.dil_h, c.dil_w,
           c.padding == tflite::Padding::SAME ? "SAME" : "VALID", c.activation,
           c.bias ? data_type_name(c.bias_type) : "none", c.per_channel ? " per-channel" : "");
  return text;
}

int out_size(tflite::Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - effective + stride) / stride;
}

// Padding before the first element, from TensorFlow's definition (half the total, rounded down).
int pad_before(tflite::Padding padding, int in, int out, int filter, int stride, int dilation) {
  if (padding == tflite::Padding::VALID) return 0;
  const int total = (out - 1) * stride + (filter - 1) * dilation + 1 - in;
  return std::max(total, 0) / 2;
}

// Straightforward double-precision convolution of real values.
std::vector<double> reference_conv(const ConvCase& c, const std::vector<double>& in,
                                   const std::vector<double>& f, const std::vector<double>& bias, int out_h,
                                   int out_w) {
  const int in_per_group = c.in_c / c.groups;
  const int out_per_group = c.out_c / c.groups;
  const int pad_h = pad_before(c.padding, c.in_h, out_h, c.filter_h, c.stride_h, c.dil_h);
  const int pad_w = pad_before(c.padding, c.in_w, out_w, c.filter_w, c.stride_w, c.dil_w);
  std::vector<double> out;
  for (int b = 0; b < c.batches; ++b)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int oc = 0; oc < c.out_c; ++oc) {
          double sum = bias.empty() ? 0.0 : bias[oc];
          const int g = oc / out_per_group;
          for (int ky = 0; ky < c.filter_h; ++ky)
            for (int kx = 0; kx < c.filter_w; ++kx) {
              const int y = oy * c.stride_h - pad_h + ky * c.dil_h;
              const int x = ox * c.stride_w - pad_w + kx * c.dil_w;
              if (y < 0 || y >= c.in_h || x < 0 || x >= c.in_w) continue;
              for (int i = 0; i < in_per_group; ++i)
                sum += in[((b * c.in_h + y) * c.in_w + x) * c.in_c + g * in_per_group + i] *
                       f[((oc * c.filter_h + ky) * c.filter_w + kx) * in_per_group + i];
            }
          out.push_back(sum);
        }
  return out;
}

tflite::BuiltinOptions conv_options_type() {
  return tflite::BuiltinOptions::Conv2DOptions;
}

compiler::OptionsWriter conv_options(const ConvCase& c) {
  return [c](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateConv2DOptions(fbb, c.padding, c.stride_w, c.stride_h,
                                       static_cast<tflite::ActivationFunctionType>(c.activation), c.dil_w,
                                       c.dil_h)
        .Union();
  };
}

void check_float_case(const ConvCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const int out_h = out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h);
  const int out_w = out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w);
  const int in_per_group = c.in_c / c.groups;
  const auto input = random_floats(rng, c.batches * c.in_h * c.in_w * c.in_c, -1, 1);
  const auto filter = random_floats(rng, c.out_c * c.filter_h * c.filter_w * in_per_group, -1, 1);
  const auto bias = c.bias ? random_floats(rng, c.out_c, -1, 1) : std::vector<float>{};
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {c.batches, c.in_h, c.in_w, c.in_c});
  const int w =
      b.add_constant<float>(DataType::kFloat32, {c.out_c, c.filter_h, c.filter_w, in_per_group}, filter);
  const int bi = c.bias ? b.add_constant<float>(DataType::kFloat32, {c.out_c}, bias) : -1;
  const int out = b.add_tensor(DataType::kFloat32, {c.batches, out_h, out_w, c.out_c});
  b.add_op(BuiltinOp::kConv2D, {in, w, bi}, {out}, conv_options_type(), conv_options(c));
  b.set_inputs({in});
  b.set_outputs({out});
  const auto got = run_float_model(b.finish(), input);
  const auto want = reference_conv(c, std::vector<double>(input.begin(), input.end()),
                                   std::vector<double>(filter.begin(), filter.end()),
                                   std::vector<double>(bias.begin(), bias.end()), out_h, out_w);
  // float32 sums of at most a few hundred terms of magnitude <= 1: 1e-5 absolute is far above their error.
  expect_float_near(got, want, c.activation, 1e-5);
}

void check_quantized_case(const ConvCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const bool int16 = c.type == DataType::kInt16;
  const int out_h = out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h);
  const int out_w = out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w);
  const int in_per_group = c.in_c / c.groups;
  const int32_t qmin = int16 ? -32768 : -128;
  const int32_t qmax = int16 ? 32767 : 127;

  const float input_scale = random_float(rng, 0.01f, 0.1f);
  const int32_t input_zp = int16 ? 0 : random_ints<int32_t>(rng, 1, -20, 20)[0];
  const auto input = random_ints<int32_t>(rng, c.batches * c.in_h * c.in_w * c.in_c, qmin, qmax);
  std::vector<float> filter_scales(c.per_channel ? c.out_c : 1);
  for (auto& s : filter_scales) s = random_float(rng, 0.002f, 0.02f);
  const auto filter = random_ints<int8_t>(rng, c.out_c * c.filter_h * c.filter_w * in_per_group, -127, 127);
  const int64_t bias_limit = int16 && c.bias_type == DataType::kInt32 ? 100000 : 3000;
  const auto bias_q = random_ints<int64_t>(rng, c.bias ? c.out_c : 0, -bias_limit * (int16 ? 100 : 1),
                                           bias_limit * (int16 ? 100 : 1));

  // Real values and the reference result.
  std::vector<double> in_real(input.size()), f_real(filter.size()), bias_real(bias_q.size());
  for (size_t i = 0; i < input.size(); ++i)
    in_real[i] = input_scale * static_cast<double>(input[i] - input_zp);
  const int filter_per_channel = c.filter_h * c.filter_w * in_per_group;
  for (size_t i = 0; i < filter.size(); ++i)
    f_real[i] = filter_scales[c.per_channel ? i / filter_per_channel : 0] * static_cast<double>(filter[i]);
  std::vector<float> bias_scales(c.out_c);
  for (int oc = 0; oc < c.out_c; ++oc) bias_scales[oc] = input_scale * filter_scales[c.per_channel ? oc : 0];
  for (size_t i = 0; i < bias_q.size(); ++i) bias_real[i] = bias_scales[i] * static_cast<double>(bias_q[i]);
  const auto real = reference_conv(c, in_real, f_real, bias_real, out_h, out_w);

  // Output quantization covering the results' range (at least 1.0 wide, which keeps the effective scale
  // input * filter / output within the shifts TFLite's requantization allows).
  const auto [lo, hi] = std::minmax_element(real.begin(), real.end());
  const double span = std::max(*hi - *lo, 1.0);
  const float output_scale = static_cast<float>(span / (qmax - qmin - 10));
  const int32_t output_zp =
      int16 ? 0 : std::clamp(static_cast<int32_t>(std::round(qmin + 5 - *lo / output_scale)), qmin, qmax);

  ModelBuilder b;
  const DataType type = c.type;
  const int in =
      b.add_tensor(type, {c.batches, c.in_h, c.in_w, c.in_c}, QuantParams::per_tensor(input_scale, input_zp));
  const QuantParams filter_quant =
      c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(c.out_c, 0), 0)
                    : QuantParams::per_tensor(filter_scales[0], 0);
  const int w = b.add_constant<int8_t>(DataType::kInt8, {c.out_c, c.filter_h, c.filter_w, in_per_group},
                                       filter, filter_quant);
  int bi = -1;
  if (c.bias) {
    const QuantParams bias_quant = QuantParams::per_channel(bias_scales, std::vector<int64_t>(c.out_c, 0), 0);
    if (c.bias_type == DataType::kInt64) {
      bi = b.add_constant<int64_t>(DataType::kInt64, {c.out_c}, bias_q, bias_quant);
    } else {
      bi = b.add_constant<int32_t>(DataType::kInt32, {c.out_c},
                                   std::vector<int32_t>(bias_q.begin(), bias_q.end()), bias_quant);
    }
  }
  const int out = b.add_tensor(type, {c.batches, out_h, out_w, c.out_c},
                               QuantParams::per_tensor(output_scale, output_zp));
  b.add_op(BuiltinOp::kConv2D, {in, w, bi}, {out}, conv_options_type(), conv_options(c));
  b.set_inputs({in});
  b.set_outputs({out});
  OpRunner runner;
  Status status = runner.load(b.finish());
  ASSERT_TRUE(status.is_ok()) << status.message();

  // With int64 bias TFLite first rounds the multiplier to 15 bits (relative error up to 2^-15): on outputs
  // near 2^15 that adds up to one more step.
  const int tolerance = int16 && c.bias && c.bias_type == DataType::kInt64 ? 2 : 1;
  expect_near_ideal(runner, 0, input, int16, real, output_scale, output_zp, c.activation, tolerance,
                    describe(c));
}

// A spread of geometries: every padding, strides 1-3, dilations 1-2, odd and even sizes, groups, batches.
std::vector<ConvCase> geometry_sweep() {
  std::vector<ConvCase> cases;
  const int sizes[][2] = {{1, 1}, {4, 4}, {5, 7}, {8, 3}};
  const int filters[][2] = {{1, 1}, {3, 3}, {2, 3}, {5, 1}};
  int n = 0;
  for (auto padding : {tflite::Padding::SAME, tflite::Padding::VALID})
    for (const auto& size : sizes)
      for (const auto& filter : filters)
        for (int stride = 1; stride <= 3; ++stride)
          for (int dilation = 1; dilation <= 2; ++dilation) {
            ConvCase c;
            c.in_h = size[0];
            c.in_w = size[1];
            c.filter_h = filter[0];
            c.filter_w = filter[1];
            c.stride_h = stride;
            c.stride_w = stride == 3 ? 1 : stride;
            c.dil_h = dilation;
            c.dil_w = 3 - dilation;
            c.padding = padding;
            if (padding == tflite::Padding::VALID &&
                (out_size(padding, c.in_h, c.filter_h, c.stride_h, c.dil_h) < 1 ||
                 out_size(padding, c.in_w, c.filter_w, c.stride_w, c.dil_w) < 1))
              continue;
            ++n;
            c.batches = n % 5 == 0 ? 2 : 1;
            c.in_c = 1 + n % 4;
            c.out_c = 1 + (n * 7) % 5;
            if (n % 6 == 0) {  // grouped
              c.in_c = 4;
              c.groups = 2;
              c.out_c = 6;
            }
            c.activation = n % 4 == 3 ? 0 : n % 4;  // NONE, RELU, RELU_N1_TO_1
            if (n % 9 == 0) c.activation = 3;       // RELU6
            c.bias = n % 3 != 0;
            c.per_channel = n % 2 == 0;
            cases.push_back(c);
          }
  return cases;
}

TEST(Conv2DFloat, GeometrySweepMatchesDoubleReference) {
  std::mt19937 rng(1);
  for (ConvCase c : geometry_sweep()) {
    c.type = DataType::kFloat32;
    check_float_case(c, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(Conv2DInt8, GeometrySweepWithinOneStepOfIdeal) {
  std::mt19937 rng(2);
  for (ConvCase c : geometry_sweep()) {
    c.type = DataType::kInt8;
    check_quantized_case(c, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(Conv2DInt16, GeometrySweepWithinOneStepOfIdeal) {
  std::mt19937 rng(3);
  int n = 0;
  for (ConvCase c : geometry_sweep()) {
    c.type = DataType::kInt16;
    c.bias_type = ++n % 2 ? DataType::kInt64 : DataType::kInt32;
    check_quantized_case(c, rng);
    if (HasFatalFailure()) return;
  }
}

// With int32 bias (or none) TFLM requantizes a 32-bit accumulator with the full 31-bit multiplier; with int64
// bias it reduces the multiplier to 15 bits first. The two round differently: check each path is the one
// used.
TEST(Conv2DInt16, BiasTypeSelectsTfliteRequantization) {
  ConvParams p;
  p.batches = p.input_height = p.input_width = p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = 1;
  p.input_depth = p.filter_input_depth = 1;
  p.output_depth = 1;
  p.activation_min = -32768;
  p.activation_max = 32767;
  int32_t multiplier;
  int shift;
  quantize_multiplier(0.0077123, &multiplier, &shift);  // outputs stay below 2^15
  const int32_t shifts[] = {shift};
  const int8_t filter[] = {127};
  int found = 0;
  for (int16_t x = 1000; x < 32000; x += 7) {
    const int32_t acc = 127 * x;
    const int32_t narrow = multiply_by_quantized_multiplier(acc, multiplier, shift);
    const int32_t wide = multiply_by_quantized_multiplier(static_cast<int64_t>(acc), multiplier, shift);
    if (narrow == wide) continue;
    ++found;
    int16_t out32 = 0, out64 = 0;
    const int32_t bias32[] = {0};
    const int64_t bias64[] = {0};
    conv_2d_int16_acc32(p, &multiplier, shifts, &x, filter, bias32, &out32);
    conv_2d_int16(p, &multiplier, shifts, &x, filter, bias64, &out64);
    EXPECT_EQ(out32, narrow) << x;
    EXPECT_EQ(out64, wide) << x;
  }
  EXPECT_GT(found, 10);  // the comparison above must have had cases where the paths differ
}

// ---- prepare() rejects inconsistent models with a clear error --------------------------------------------

ModelBuilder float_conv_builder(std::vector<int32_t> input_shape, std::vector<int32_t> filter_shape,
                                std::vector<int32_t> output_shape, int stride = 1, int bias_size = -1) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, input_shape);
  int64_t filter_elements = 1;
  for (int d : filter_shape) filter_elements *= d;
  const int w =
      b.add_constant<float>(DataType::kFloat32, filter_shape, std::vector<float>(filter_elements, 1.0f));
  const int bias = bias_size < 0 ? -1
                                 : b.add_constant<float>(DataType::kFloat32, {bias_size},
                                                         std::vector<float>(bias_size, 0.0f));
  const int out = b.add_tensor(DataType::kFloat32, output_shape);
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions,
           [stride](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, stride, stride).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b;
}

TEST(Conv2DPrepare, AcceptsConsistentModel) {
  EXPECT_TRUE(allocate_status(float_conv_builder({1, 4, 4, 2}, {3, 2, 2, 2}, {1, 3, 3, 3}, 1, 3)).is_ok());
}

TEST(Conv2DPrepare, RejectsInconsistentShapes) {
  expect_error(float_conv_builder({1, 4, 4, 2}, {3, 2, 2, 2}, {1, 2, 3, 3}), StatusCode::kInvalidModel,
               "padding and strides give 3x3");
  expect_error(float_conv_builder({1, 4, 4, 4}, {3, 2, 2, 3}, {1, 3, 3, 3}), StatusCode::kInvalidModel,
               "filter has 3 input channels, input has 4");
  expect_error(float_conv_builder({1, 4, 4, 2}, {3, 2, 2, 2}, {1, 3, 3, 4}), StatusCode::kInvalidModel,
               "output has 4 channels");
  expect_error(float_conv_builder({1, 4, 4, 2}, {3, 2, 2, 2}, {1, 3, 3, 3}, 1, 2), StatusCode::kInvalidModel,
               "bias has 2 elements");
  expect_error(float_conv_builder({1, 4, 4, 2}, {3, 2, 2, 2}, {1, 3, 3, 3}, 0), StatusCode::kInvalidModel,
               "strides must be >= 1");
  expect_error(float_conv_builder({1, 4, 4}, {3, 2, 2, 2}, {1, 3, 3, 3}), StatusCode::kInvalidModel,
               "rank 3");
  expect_error(float_conv_builder({1, 2, 2, 2}, {3, 3, 3, 2}, {1, 1, 1, 3}), StatusCode::kInvalidModel,
               "empty output");
}

TEST(Conv2DPrepare, RejectsMissingOptionsButRunsHybrid) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  const int w = b.add_constant<float>(DataType::kFloat32, {1, 1, 1, 1}, {1.0f});
  const int out = b.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  b.add_op(BuiltinOp::kConv2D, {in, w}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(b, StatusCode::kInvalidModel, "missing Conv2DOptions");

  ModelBuilder h;
  const int hin = h.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  const int hw = h.add_constant<int8_t>(DataType::kInt8, {1, 1, 1, 1}, {1}, QuantParams::per_tensor(0.1f, 0));
  const int hout = h.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  h.add_op(BuiltinOp::kConv2D, {hin, hw}, {hout}, tflite::BuiltinOptions::Conv2DOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
           });
  h.set_inputs({hin});
  h.set_outputs({hout});
  // Hybrid (float input, int8 filter) runs (hybrid_test.cc has the details): 2 quantizes to 127 with factor
  // 2/127, and 1 * 127 * ((2/127) * 0.1) = 0.2.
  const float factor = (2.0f / 127.0f) * 0.1f;
  EXPECT_EQ(run_float_model(h.finish(), {2.0f}), (std::vector<float>{0.0f + 127.0f * factor}));
}

TEST(Conv2DPrepare, RejectsBadQuantization) {
  auto build = [](QuantParams input_quant, QuantParams filter_quant, DataType bias_type) {
    ModelBuilder b;
    b.set_checks(false);
    const int in = b.add_tensor(DataType::kInt8, {1, 2, 2, 1}, input_quant);
    const int w = b.add_constant<int8_t>(DataType::kInt8, {2, 1, 1, 1}, {1, 2}, filter_quant);
    const int bias = bias_type == DataType::kInt64 ? b.add_constant<int64_t>(DataType::kInt64, {2}, {0, 0})
                                                   : b.add_constant<int32_t>(DataType::kInt32, {2}, {0, 0});
    const int out = b.add_tensor(DataType::kInt8, {1, 2, 2, 2}, QuantParams::per_tensor(0.1f, 0));
    b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions,
             [](flatbuffers::FlatBufferBuilder& fbb) {
               return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
             });
    b.set_inputs({in});
    b.set_outputs({out});
    return b;
  };
  const QuantParams good_filter = QuantParams::per_channel({0.1f, 0.2f}, {0, 0}, 0);
  EXPECT_TRUE(
      allocate_status(build(QuantParams::per_tensor(0.1f, 0), good_filter, DataType::kInt32)).is_ok());
  expect_error(build(QuantParams{}, good_filter, DataType::kInt32), StatusCode::kInvalidModel,
               "no quantization parameters");
  expect_error(build(QuantParams::per_tensor(0.1f, 300), good_filter, DataType::kInt32),
               StatusCode::kInvalidModel, "zero point 300");
  expect_error(build(QuantParams::per_tensor(0.1f, 0),
                     QuantParams::per_channel({0.1f, 0.2f, 0.3f}, {0, 0, 0}, 0), DataType::kInt32),
               StatusCode::kInvalidModel, "scales");
  expect_error(build(QuantParams::per_tensor(0.1f, 0), QuantParams::per_channel({0.1f, 0.2f}, {0, 0}, 3),
                     DataType::kInt32),
               StatusCode::kInvalidModel, "scales");
  expect_error(build(QuantParams::per_tensor(0.1f, 0), good_filter, DataType::kInt64),
               StatusCode::kUnsupported, "bias is int64, expected int32");
  expect_error(build(QuantParams::per_tensor(1e30f, 0), good_filter, DataType::kInt32),
               StatusCode::kUnsupported, "too large");
}

// ---- TensorFlow Lite's own int16 results (SEANet conformance cases) --------------------------------------

TEST(Conv2DConformance, SeanetInt16CasesAreExact) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(testing::expect_seanet_cases(shared / "conformance" / "seanet" / "conv", "conv", conv_kernels()),
            22);
}

}  // namespace
}  // namespace edgeinfer::conv_test
