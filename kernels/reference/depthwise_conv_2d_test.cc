#include "kernels/reference/depthwise_conv_2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/reference/conv_test_util.h"

namespace edgeinfer::conv_test {
namespace {

using reference::ConvParams;
using reference::depthwise_conv_2d_int8;

struct DepthwiseCase {
  DataType type = DataType::kFloat32;
  int batches = 1, in_h = 4, in_w = 4, in_c = 2, multiplier = 1;
  int filter_h = 3, filter_w = 3, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  tflite::Padding padding = tflite::Padding::SAME;
  int activation = 0;
  bool bias = true;
  bool per_channel = true;
  int stated_multiplier = -1;  // depth_multiplier option; -1: the true one
};

int out_c(const DepthwiseCase& c) {
  return c.in_c * c.multiplier;
}

std::string describe(const DepthwiseCase& c) {
  char text[256];
  snprintf(text, sizeof(text), "%s b%d %dx%dx%d x%d filter %dx%d stride %dx%d dil %dx%d %s act %d%s%s",
           data_type_name(c.type), c.batches, c.in_h, c.in_w, c.in_c, c.multiplier, c.filter_h, c.filter_w,
           c.stride_h, c.stride_w, c.dil_h, c.dil_w, c.padding == tflite::Padding::SAME ? "SAME" : "VALID",
           c.activation, c.bias ? " bias" : "", c.per_channel ? " per-channel" : "");
  return text;
}

int out_size(tflite::Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - effective + stride) / stride;
}

int pad_before(tflite::Padding padding, int in, int out, int filter, int stride, int dilation) {
  if (padding == tflite::Padding::VALID) return 0;
  return std::max((out - 1) * stride + (filter - 1) * dilation + 1 - in, 0) / 2;
}

// Double-precision depthwise convolution: output channel ic * multiplier + m filters input channel ic with
// filter column ic * multiplier + m.
std::vector<double> reference_depthwise(const DepthwiseCase& c, const std::vector<double>& in,
                                        const std::vector<double>& f, const std::vector<double>& bias,
                                        int out_h, int out_w) {
  const int pad_h = pad_before(c.padding, c.in_h, out_h, c.filter_h, c.stride_h, c.dil_h);
  const int pad_w = pad_before(c.padding, c.in_w, out_w, c.filter_w, c.stride_w, c.dil_w);
  std::vector<double> out;
  for (int b = 0; b < c.batches; ++b)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int oc = 0; oc < out_c(c); ++oc) {
          double sum = bias.empty() ? 0.0 : bias[oc];
          const int ic = oc / c.multiplier;
          for (int ky = 0; ky < c.filter_h; ++ky)
            for (int kx = 0; kx < c.filter_w; ++kx) {
              const int y = oy * c.stride_h - pad_h + ky * c.dil_h;
              const int x = ox * c.stride_w - pad_w + kx * c.dil_w;
              if (y < 0 || y >= c.in_h || x < 0 || x >= c.in_w) continue;
              sum += in[((b * c.in_h + y) * c.in_w + x) * c.in_c + ic] *
                     f[(ky * c.filter_w + kx) * out_c(c) + oc];
            }
          out.push_back(sum);
        }
  return out;
}

compiler::OptionsWriter options(const DepthwiseCase& c) {
  const int stated = c.stated_multiplier < 0 ? c.multiplier : c.stated_multiplier;
  return [c, stated](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateDepthwiseConv2DOptions(fbb, c.padding, c.stride_w, c.stride_h, stated,
                                                static_cast<tflite::ActivationFunctionType>(c.activation),
                                                c.dil_w, c.dil_h)
        .Union();
  };
}

// Builds the case's model with random data; returns the real-valued reference and fills `input` (quantized
// or float) for the caller to feed.
struct Built {
  std::vector<uint8_t> model;
  std::vector<double> real;
  std::vector<float> float_input;
  std::vector<int32_t> quantized_input;
  float output_scale = 1.0f;
  int32_t output_zp = 0;
};

Built build(const DepthwiseCase& c, std::mt19937& rng) {
  Built r;
  const int out_h = out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h);
  const int out_w = out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w);
  const int input_count = c.batches * c.in_h * c.in_w * c.in_c;
  const int filter_count = c.filter_h * c.filter_w * out_c(c);
  ModelBuilder b;
  const auto options_type = tflite::BuiltinOptions::DepthwiseConv2DOptions;
  if (c.type == DataType::kFloat32) {
    r.float_input = random_floats(rng, input_count, -1, 1);
    const auto filter = random_floats(rng, filter_count, -1, 1);
    const auto bias = c.bias ? random_floats(rng, out_c(c), -1, 1) : std::vector<float>{};
    r.real = reference_depthwise(c, {r.float_input.begin(), r.float_input.end()},
                                 {filter.begin(), filter.end()}, {bias.begin(), bias.end()}, out_h, out_w);
    const int in = b.add_tensor(DataType::kFloat32, {c.batches, c.in_h, c.in_w, c.in_c});
    const int w = b.add_constant<float>(DataType::kFloat32, {1, c.filter_h, c.filter_w, out_c(c)}, filter);
    const int bi = c.bias ? b.add_constant<float>(DataType::kFloat32, {out_c(c)}, bias) : -1;
    const int out = b.add_tensor(DataType::kFloat32, {c.batches, out_h, out_w, out_c(c)});
    b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bi}, {out}, options_type, options(c));
    b.set_inputs({in});
    b.set_outputs({out});
    r.model = b.finish();
    return r;
  }
  const bool int16 = c.type == DataType::kInt16;
  const int32_t qmin = int16 ? -32768 : -128;
  const int32_t qmax = int16 ? 32767 : 127;
  const float input_scale = random_float(rng, 0.01f, 0.1f);
  const int32_t input_zp = int16 ? 0 : random_ints<int32_t>(rng, 1, -30, 30)[0];
  r.quantized_input = random_ints<int32_t>(rng, input_count, qmin, qmax);
  std::vector<float> filter_scales(c.per_channel ? out_c(c) : 1);
  for (auto& s : filter_scales) s = random_float(rng, 0.002f, 0.02f);
  const auto filter = random_ints<int8_t>(rng, filter_count, -127, 127);
  const auto bias_q = random_ints<int64_t>(rng, c.bias ? out_c(c) : 0, -5000, 5000);
  std::vector<double> in_real(input_count), f_real(filter_count), bias_real(bias_q.size());
  for (int i = 0; i < input_count; ++i) in_real[i] = input_scale * double(r.quantized_input[i] - input_zp);
  for (int i = 0; i < filter_count; ++i)
    f_real[i] = filter_scales[c.per_channel ? i % out_c(c) : 0] * double(filter[i]);
  std::vector<float> bias_scales(out_c(c));
  for (int oc = 0; oc < out_c(c); ++oc) bias_scales[oc] = input_scale * filter_scales[c.per_channel ? oc : 0];
  for (size_t i = 0; i < bias_q.size(); ++i) bias_real[i] = bias_scales[i] * double(bias_q[i]);
  r.real = reference_depthwise(c, in_real, f_real, bias_real, out_h, out_w);
  const auto [lo, hi] = std::minmax_element(r.real.begin(), r.real.end());
  r.output_scale = static_cast<float>(std::max(*hi - *lo, 1.0) / (qmax - qmin - 10));
  r.output_zp = int16 ? 0 : std::clamp(int32_t(std::round(qmin + 5 - *lo / r.output_scale)), qmin, qmax);

  const int in = b.add_tensor(c.type, {c.batches, c.in_h, c.in_w, c.in_c},
                              QuantParams::per_tensor(input_scale, input_zp));
  const QuantParams filter_quant =
      c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(out_c(c), 0), 3)
                    : QuantParams::per_tensor(filter_scales[0], 0);
  const int w =
      b.add_constant<int8_t>(DataType::kInt8, {1, c.filter_h, c.filter_w, out_c(c)}, filter, filter_quant);
  int bi = -1;
  if (c.bias) {
    const QuantParams bias_quant =
        QuantParams::per_channel(bias_scales, std::vector<int64_t>(out_c(c), 0), 0);
    bi = int16 ? b.add_constant<int64_t>(DataType::kInt64, {out_c(c)}, bias_q, bias_quant)
               : b.add_constant<int32_t>(DataType::kInt32, {out_c(c)},
                                         std::vector<int32_t>(bias_q.begin(), bias_q.end()), bias_quant);
  }
  const int out = b.add_tensor(c.type, {c.batches, out_h, out_w, out_c(c)},
                               QuantParams::per_tensor(r.output_scale, r.output_zp));
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bi}, {out}, options_type, options(c));
  b.set_inputs({in});
  b.set_outputs({out});
  r.model = b.finish();
  return r;
}

void check_case(const DepthwiseCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const Built built = build(c, rng);
  OpRunner runner;
  Status status = runner.load(built.model);
  ASSERT_TRUE(status.is_ok()) << status.message();
  if (c.type == DataType::kFloat32) {
    runner.set_input(0, built.float_input);
    ASSERT_TRUE(runner.invoke().is_ok());
    // At most 25 products of magnitude <= 1 in float32: 1e-5 absolute is far above the rounding error.
    expect_float_near(runner.output<float>(0), built.real, c.activation, 1e-5);
    return;
  }
  const bool int16 = c.type == DataType::kInt16;
  // int64 bias: TFLite rounds the multiplier to 15 bits first, one more step of error near 2^15.
  expect_near_ideal(runner, 0, built.quantized_input, int16, built.real, built.output_scale, built.output_zp,
                    c.activation, int16 ? 2 : 1, describe(c));
}

std::vector<float> run_float(const DepthwiseCase& c, const std::vector<float>& input,
                             const std::vector<float>& filter, const std::vector<float>& bias,
                             std::vector<int32_t> output_shape) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {c.batches, c.in_h, c.in_w, c.in_c});
  const int w = b.add_constant<float>(DataType::kFloat32, {1, c.filter_h, c.filter_w, out_c(c)}, filter);
  const int bi = bias.empty() ? -1 : b.add_constant<float>(DataType::kFloat32, {out_c(c)}, bias);
  const int out = b.add_tensor(DataType::kFloat32, output_shape);
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bi}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           options(c));
  b.set_inputs({in});
  b.set_outputs({out});
  return run_float_model(b.finish(), input);
}

TEST(DepthwiseConv2DFloat, HandComputedMultiplierTwo) {
  // 1x2x2x2 input, 2x2 VALID filter, multiplier 2: channel 0 feeds outputs 0,1; channel 1 feeds 2,3.
  DepthwiseCase c;
  c.in_h = c.in_w = 2;
  c.filter_h = c.filter_w = 2;
  c.multiplier = 2;
  c.padding = tflite::Padding::VALID;
  // input (y, x, c): channel 0 = 1,2,3,4; channel 1 = 10,20,30,40
  const std::vector<float> input = {1, 10, 2, 20, 3, 30, 4, 40};
  // filter (y, x, oc): oc0 all 1, oc1 = [1,0,0,0] picks the top-left, oc2 = [0,0,0,1] bottom-right, oc3 -1
  const std::vector<float> filter = {1, 1, 0, -1, 1, 0, 0, -1, 1, 0, 0, -1, 1, 0, 1, -1};
  EXPECT_EQ(run_float(c, input, filter, {0.5f, 0, 0, 0}, {1, 1, 1, 4}),
            (std::vector<float>{10.5f, 1, 40, -100}));
}

TEST(DepthwiseConv2DFloat, SamePaddingStrideTwoAndRelu6) {
  DepthwiseCase c;
  c.in_h = c.in_w = 3;
  c.in_c = 1;
  c.filter_h = c.filter_w = 2;
  c.stride_h = c.stride_w = 2;
  c.activation = 3;  // RELU6
  std::vector<float> input(9);
  for (int i = 0; i < 9; ++i) input[i] = float(i + 1);
  // Windows at rows/cols {0,1} and {2}: sums 12, 9 (3+6), 15 (7+8), 9 -> clamped to 6.
  EXPECT_EQ(run_float(c, input, {1, 1, 1, 1}, {}, {1, 2, 2, 1}), (std::vector<float>{6, 6, 6, 6}));
  c.activation = 0;
  EXPECT_EQ(run_float(c, input, {1, 1, 1, 1}, {}, {1, 2, 2, 1}), (std::vector<float>{12, 9, 15, 9}));
}

TEST(DepthwiseConv2DInt8, OutputStageByHand) {
  ConvParams p;
  p.batches = p.input_height = p.input_width = p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = 1;
  p.input_depth = 2;
  p.depth_multiplier = 1;
  p.output_depth = 2;
  p.input_offset = 3;  // input zero point -3
  p.output_offset = -10;
  p.activation_min = -128;
  p.activation_max = 127;
  const int8_t input[] = {7, -3};
  const int8_t filter[] = {5, 100};
  const int32_t bias[] = {-20, 7};
  const int32_t multipliers[] = {1 << 30, 1 << 30};
  const int32_t shifts[] = {1, -1};  // x1 and x0.25
  int8_t output[2];
  depthwise_conv_2d_int8(p, multipliers, shifts, input, filter, bias, output);
  EXPECT_EQ(output[0], 5 * 10 - 20 - 10);  // (50 - 20) * 1 - 10
  EXPECT_EQ(output[1], 2 - 10);            // (0 + 7) / 4 = 1.75 rounds to 2
}

std::vector<DepthwiseCase> sweep() {
  std::vector<DepthwiseCase> cases;
  const int sizes[][2] = {{1, 1}, {3, 5}, {6, 6}, {7, 2}};
  const int filters[][2] = {{1, 1}, {3, 3}, {2, 4}};
  int n = 0;
  for (auto padding : {tflite::Padding::SAME, tflite::Padding::VALID})
    for (const auto& size : sizes)
      for (const auto& filter : filters)
        for (int stride = 1; stride <= 2; ++stride)
          for (int dilation = 1; dilation <= 2; ++dilation) {
            DepthwiseCase c;
            c.in_h = size[0];
            c.in_w = size[1];
            c.filter_h = filter[0];
            c.filter_w = filter[1];
            c.stride_h = stride;
            c.stride_w = 3 - stride;
            c.dil_h = dilation;
            c.dil_w = dilation;
            c.padding = padding;
            if (out_size(padding, c.in_h, c.filter_h, c.stride_h, c.dil_h) < 1 ||
                out_size(padding, c.in_w, c.filter_w, c.stride_w, c.dil_w) < 1)
              continue;
            ++n;
            c.batches = n % 4 == 0 ? 2 : 1;
            c.in_c = 1 + n % 3;
            c.multiplier = 1 + n % 2 + (n % 5 == 0 ? 1 : 0);
            c.activation = n % 4;
            c.bias = n % 3 != 1;
            c.per_channel = n % 2 == 1;
            cases.push_back(c);
          }
  return cases;
}

TEST(DepthwiseConv2D, SweepFloatInt8Int16AgainstDoubleReference) {
  std::mt19937 rng(7);
  for (DataType type : {DataType::kFloat32, DataType::kInt8, DataType::kInt16}) {
    for (DepthwiseCase c : sweep()) {
      c.type = type;
      check_case(c, rng);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(DepthwiseConv2DPrepare, RejectsInconsistentModels) {
  std::mt19937 rng(9);
  DepthwiseCase c;
  c.in_c = 2;
  c.multiplier = 2;
  c.stated_multiplier = 3;
  Status status = allocate_status_bytes(build(c, rng).model);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("depth_multiplier is 3, channels give 2"), std::string::npos)
      << status.message();

  c.stated_multiplier = 0;  // absent: derived from the channels, as full TensorFlow Lite does
  EXPECT_TRUE(allocate_status_bytes(build(c, rng).model).is_ok());

  c.stated_multiplier = -1;
  c.type = DataType::kInt16;
  EXPECT_TRUE(allocate_status_bytes(build(c, rng).model).is_ok());
}

TEST(DepthwiseConv2DPrepare, RejectsInt32BiasOn16x8AndWrongFilterShape) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt16, {1, 2, 2, 2}, QuantParams::per_tensor(0.1f, 0));
  const int w =
      b.add_constant<int8_t>(DataType::kInt8, {1, 1, 1, 2}, {1, 2}, QuantParams::per_tensor(0.1f, 0));
  const int bias = b.add_constant<int32_t>(DataType::kInt32, {2}, {0, 0});
  const int out = b.add_tensor(DataType::kInt16, {1, 2, 2, 2}, QuantParams::per_tensor(0.1f, 0));
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::VALID, 1, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  Status status = allocate_status(b);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
  EXPECT_NE(std::string(status.message()).find("bias is int32, expected int64"), std::string::npos);

  ModelBuilder f;
  const int fin = f.add_tensor(DataType::kFloat32, {1, 2, 2, 2});
  const int fw = f.add_constant<float>(DataType::kFloat32, {2, 1, 1, 2}, {1, 2, 3, 4});
  const int fout = f.add_tensor(DataType::kFloat32, {1, 2, 2, 2});
  f.add_op(BuiltinOp::kDepthwiseConv2D, {fin, fw}, {fout}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::VALID, 1, 1, 1).Union();
           });
  f.set_inputs({fin});
  f.set_outputs({fout});
  status = allocate_status(f);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("filter dimension 0 is 2"), std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace edgeinfer::conv_test
