#include "kernels/reference/transpose_conv.h"

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

using reference::ConvParams;
using reference::transpose_conv_int16;
using reference::transpose_conv_int8;

struct TransposeCase {
  DataType type = DataType::kFloat32;
  int batches = 1, in_h = 3, in_w = 3, in_c = 2, out_c = 2;
  int filter_h = 3, filter_w = 3, stride_h = 2, stride_w = 2;
  int extra_h = 0, extra_w = 0;  // output size slack the padding rounding allows (< stride)
  tflite::Padding padding = tflite::Padding::SAME;
  int activation = 0;
  bool bias = true;
  DataType bias_type = DataType::kInt64;  // int16 cases: int64 or int16
  bool per_channel = true;
  bool constant_output_shape = true;
};

std::string describe(const TransposeCase& c) {
  char text[256];
  snprintf(
      text, sizeof(text), "%s b%d %dx%dx%d -> %d filter %dx%d stride %dx%d extra %dx%d %s act %d bias %s%s",
      data_type_name(c.type), c.batches, c.in_h, c.in_w, c.in_c, c.out_c, c.filter_h, c.filter_w, c.stride_h,
      c.stride_w, c.extra_h, c.extra_w, c.padding == tflite::Padding::SAME ? "SAME" : "VALID", c.activation,
      c.bias ? data_type_name(c.bias_type) : "none", c.per_channel ? " per-channel" : "");
  return text;
}

// Output sizes TensorFlow accepts for this input: the forward convolution of the output gives the input.
int output_size(tflite::Padding padding, int in, int filter, int stride, int extra) {
  return padding == tflite::Padding::SAME ? in * stride - extra : (in - 1) * stride + filter + extra;
}

// Double-precision transposed convolution, written as a gather: output (oy, ox) collects input (iy, ix)
// through filter tap (oy + pad - iy * stride, ...).
std::vector<double> reference_transpose(const TransposeCase& c, const std::vector<double>& in,
                                        const std::vector<double>& f, const std::vector<double>& bias,
                                        int out_h, int out_w) {
  const int pad_h = std::max((c.in_h - 1) * c.stride_h + c.filter_h - out_h, 0) / 2;
  const int pad_w = std::max((c.in_w - 1) * c.stride_w + c.filter_w - out_w, 0) / 2;
  std::vector<double> out;
  for (int b = 0; b < c.batches; ++b)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int oc = 0; oc < c.out_c; ++oc) {
          double sum = bias.empty() ? 0.0 : bias[oc];
          for (int iy = 0; iy < c.in_h; ++iy)
            for (int ix = 0; ix < c.in_w; ++ix) {
              const int ky = oy + pad_h - iy * c.stride_h;
              const int kx = ox + pad_w - ix * c.stride_w;
              if (ky < 0 || ky >= c.filter_h || kx < 0 || kx >= c.filter_w) continue;
              for (int ic = 0; ic < c.in_c; ++ic)
                sum += in[((b * c.in_h + iy) * c.in_w + ix) * c.in_c + ic] *
                       f[((oc * c.filter_h + ky) * c.filter_w + kx) * c.in_c + ic];
            }
          out.push_back(sum);
        }
  return out;
}

struct Built {
  std::vector<uint8_t> model;
  std::vector<double> real;
  std::vector<float> float_input;
  std::vector<int32_t> quantized_input;
  std::vector<int32_t> output_shape;
  float output_scale = 1.0f;
};

Built build(const TransposeCase& c, std::mt19937& rng) {
  Built r;
  const int out_h = output_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.extra_h);
  const int out_w = output_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.extra_w);
  r.output_shape = {c.batches, out_h, out_w, c.out_c};
  const int input_count = c.batches * c.in_h * c.in_w * c.in_c;
  const int filter_count = c.out_c * c.filter_h * c.filter_w * c.in_c;
  const std::vector<int32_t> input_shape = {c.batches, c.in_h, c.in_w, c.in_c};
  const std::vector<int32_t> filter_shape = {c.out_c, c.filter_h, c.filter_w, c.in_c};
  ModelBuilder b;
  const int shape = c.constant_output_shape ? b.add_constant<int32_t>(DataType::kInt32, {4}, r.output_shape)
                                            : b.add_tensor(DataType::kInt32, {4});
  auto add_op = [&](int in, int w, int bi, int out) {
    b.add_op(BuiltinOp::kTransposeConv, {shape, w, in, bi}, {out},
             tflite::BuiltinOptions::TransposeConvOptions, [c](flatbuffers::FlatBufferBuilder& fbb) {
               return tflite::CreateTransposeConvOptions(
                          fbb, c.padding, c.stride_w, c.stride_h,
                          static_cast<tflite::ActivationFunctionType>(c.activation))
                   .Union();
             });
    if (c.constant_output_shape) {
      b.set_inputs({in});
    } else {
      b.set_inputs({shape, in});
    }
    b.set_outputs({out});
    r.model = b.finish();
  };
  if (c.type == DataType::kFloat32) {
    r.float_input = random_floats(rng, input_count, -1, 1);
    const auto filter = random_floats(rng, filter_count, -1, 1);
    const auto bias = c.bias ? random_floats(rng, c.out_c, -1, 1) : std::vector<float>{};
    r.real = reference_transpose(c, {r.float_input.begin(), r.float_input.end()},
                                 {filter.begin(), filter.end()}, {bias.begin(), bias.end()}, out_h, out_w);
    const int in = b.add_tensor(DataType::kFloat32, input_shape);
    const int w = b.add_constant<float>(DataType::kFloat32, filter_shape, filter);
    const int bi = c.bias ? b.add_constant<float>(DataType::kFloat32, {c.out_c}, bias) : -1;
    add_op(in, w, bi, b.add_tensor(DataType::kFloat32, r.output_shape));
    return r;
  }
  const bool int16 = c.type == DataType::kInt16;
  const int32_t qmin = int16 ? -32768 : -128;
  const int32_t qmax = int16 ? 32767 : 127;
  const float input_scale = random_float(rng, 0.01f, 0.1f);
  const int32_t input_zp = int16 ? 0 : random_ints<int32_t>(rng, 1, -30, 30)[0];
  r.quantized_input = random_ints<int32_t>(rng, input_count, qmin, qmax);
  std::vector<float> filter_scales(c.per_channel ? c.out_c : 1);
  for (auto& s : filter_scales) s = random_float(rng, 0.002f, 0.02f);
  const auto filter = random_ints<int8_t>(rng, filter_count, -127, 127);
  const int64_t bias_limit = c.bias_type == DataType::kInt16 ? 30000 : 5000;
  const auto bias_q = random_ints<int64_t>(rng, c.bias ? c.out_c : 0, -bias_limit, bias_limit);
  std::vector<double> in_real(input_count), f_real(filter_count), bias_real(bias_q.size());
  for (int i = 0; i < input_count; ++i) in_real[i] = input_scale * double(r.quantized_input[i] - input_zp);
  const int per_channel = c.filter_h * c.filter_w * c.in_c;
  for (int i = 0; i < filter_count; ++i)
    f_real[i] = filter_scales[c.per_channel ? i / per_channel : 0] * double(filter[i]);
  std::vector<float> bias_scales(c.out_c);
  for (int oc = 0; oc < c.out_c; ++oc) bias_scales[oc] = input_scale * filter_scales[c.per_channel ? oc : 0];
  for (size_t i = 0; i < bias_q.size(); ++i) bias_real[i] = bias_scales[i] * double(bias_q[i]);
  r.real = reference_transpose(c, in_real, f_real, bias_real, out_h, out_w);
  const auto [lo, hi] = std::minmax_element(r.real.begin(), r.real.end());
  // Symmetric around zero so that int8 and int16 share the zero-point-free reference below.
  const double extent = std::max({std::fabs(*lo), std::fabs(*hi), 0.5});
  r.output_scale = static_cast<float>(2 * extent / (qmax - qmin - 10));

  const int in = b.add_tensor(c.type, input_shape, QuantParams::per_tensor(input_scale, input_zp));
  const QuantParams filter_quant =
      c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(c.out_c, 0), 0)
                    : QuantParams::per_tensor(filter_scales[0], 0);
  const int w = b.add_constant<int8_t>(DataType::kInt8, filter_shape, filter, filter_quant);
  int bi = -1;
  if (c.bias) {
    const QuantParams bias_quant = QuantParams::per_channel(bias_scales, std::vector<int64_t>(c.out_c, 0), 0);
    if (!int16) {
      bi = b.add_constant<int32_t>(DataType::kInt32, {c.out_c},
                                   std::vector<int32_t>(bias_q.begin(), bias_q.end()), bias_quant);
    } else if (c.bias_type == DataType::kInt16) {
      bi = b.add_constant<int16_t>(DataType::kInt16, {c.out_c},
                                   std::vector<int16_t>(bias_q.begin(), bias_q.end()), bias_quant);
    } else {
      bi = b.add_constant<int64_t>(DataType::kInt64, {c.out_c}, bias_q, bias_quant);
    }
  }
  add_op(in, w, bi, b.add_tensor(c.type, r.output_shape, QuantParams::per_tensor(r.output_scale, 0)));
  return r;
}

void check_case(const TransposeCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const Built built = build(c, rng);
  OpRunner runner;
  Status status = runner.load(built.model);
  ASSERT_TRUE(status.is_ok()) << status.message();
  const int data_input = c.constant_output_shape ? 0 : 1;
  if (!c.constant_output_shape) runner.set_input(0, built.output_shape);
  if (c.type == DataType::kFloat32) {
    runner.set_input(data_input, built.float_input);
    ASSERT_TRUE(runner.invoke().is_ok());
    // Sums of at most a few dozen float32 products of magnitude <= 1.
    expect_float_near(runner.output<float>(0), built.real, c.activation, 1e-5);
    return;
  }
  const bool int16 = c.type == DataType::kInt16;
  // int64 accumulation: TFLite rounds the multiplier to 15 bits, one more step of error near 2^15.
  expect_near_ideal(runner, data_input, built.quantized_input, int16, built.real, built.output_scale, 0,
                    c.activation, int16 ? 2 : 1, describe(c));
}

TEST(TransposeConvFloat, HandComputedStrideTwo) {
  // 2x2 input 1,2,3,4 (one channel), 2x2 filter [1 10; 100 1000], stride 2, VALID: each input value stamps
  // the filter into its own 2x2 block of the 4x4 output.
  ModelBuilder b;
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 4, 4, 1});
  const int w = b.add_constant<float>(DataType::kFloat32, {1, 2, 2, 1}, {1, 10, 100, 1000});
  const int in = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1});
  const int out = b.add_tensor(DataType::kFloat32, {1, 4, 4, 1});
  b.add_op(BuiltinOp::kTransposeConv, {shape, w, in}, {out}, tflite::BuiltinOptions::TransposeConvOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateTransposeConvOptions(fbb, tflite::Padding::VALID, 2, 2).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  OpRunner runner;
  ASSERT_TRUE(runner.load(b.finish()).is_ok());
  runner.set_input(0, std::vector<float>{1, 2, 3, 4});
  ASSERT_TRUE(runner.invoke().is_ok());
  EXPECT_EQ(runner.output<float>(0), (std::vector<float>{1, 10, 2, 20, 100, 1000, 200, 2000,  //
                                                         3, 30, 4, 40, 300, 3000, 400, 4000}));
}

TEST(TransposeConvFloat, OverlappingTapsSumAndSamePaddingCrops) {
  // 1-D along width: input 1,2 (stride 1), filter 1,1,1 SAME: output width 2, full result 1,3,3,2 cropped
  // by one on the left (padding (2-1)*1 + 3 - 2 = 2, one before): 3, 3; plus bias 0.5.
  ModelBuilder b;
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 1, 2, 1});
  const int w = b.add_constant<float>(DataType::kFloat32, {1, 1, 3, 1}, {1, 1, 1});
  const int in = b.add_tensor(DataType::kFloat32, {1, 1, 2, 1});
  const int bias = b.add_constant<float>(DataType::kFloat32, {1}, {0.5f});
  const int out = b.add_tensor(DataType::kFloat32, {1, 1, 2, 1});
  b.add_op(BuiltinOp::kTransposeConv, {shape, w, in, bias}, {out},
           tflite::BuiltinOptions::TransposeConvOptions, [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateTransposeConvOptions(fbb, tflite::Padding::SAME, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  OpRunner runner;
  ASSERT_TRUE(runner.load(b.finish()).is_ok());
  runner.set_input(0, std::vector<float>{1, 2});
  ASSERT_TRUE(runner.invoke().is_ok());
  EXPECT_EQ(runner.output<float>(0), (std::vector<float>{3.5f, 3.5f}));
}

TEST(TransposeConvInt8, OutputStageByHandIgnoresFilterZeroPoint) {
  ConvParams p;
  p.batches = p.input_height = p.input_width = p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = 1;
  p.input_depth = p.filter_input_depth = 2;
  p.output_depth = 1;
  p.input_offset = -4;
  p.output_offset = 3;
  p.activation_min = -128;
  p.activation_max = 127;
  const int8_t input[] = {10, 0};
  const int8_t filter[] = {2, 9};
  const int32_t bias[] = {1};
  const int32_t multiplier = 1 << 30;
  const int32_t shift = -2;  // 0.125
  int8_t output = 0;
  int32_t scratch[1];
  transpose_conv_int8(p, &multiplier, &shift, input, filter, bias, &output, scratch);
  // 2 * 6 + 9 * (-4) + 1 = -23; -23 / 8 = -2.875 rounds to -3; + 3.
  EXPECT_EQ(output, 0);
}

TEST(TransposeConvInt16, Int16BiasIsWidened) {
  ConvParams p;
  p.batches = p.input_height = p.input_width = p.filter_height = p.filter_width = 1;
  p.output_height = p.output_width = 1;
  p.input_depth = p.filter_input_depth = 1;
  p.output_depth = 2;
  p.activation_min = -32768;
  p.activation_max = 32767;
  const int16_t input[] = {-1000};
  const int8_t filter[] = {3, -7};
  const int32_t multipliers[] = {1 << 30, 1 << 30};
  const int32_t shifts[] = {0, 0};
  const int16_t bias16[] = {-32000, 32000};
  const int64_t bias64[] = {-32000, 32000};
  int16_t out16[2], out64[2];
  int64_t scratch[2];
  transpose_conv_int16(p, multipliers, shifts, input, filter, bias16, out16, scratch);
  transpose_conv_int16(p, multipliers, shifts, input, filter, bias64, out64, scratch);
  EXPECT_EQ(out16[0], out64[0]);
  EXPECT_EQ(out16[1], out64[1]);
  EXPECT_EQ(out64[0], -17500);  // (-3000 - 32000) / 2
  EXPECT_EQ(out64[1], 19500);   // (7000 + 32000) / 2
}

std::vector<TransposeCase> sweep() {
  std::vector<TransposeCase> cases;
  const int sizes[][2] = {{1, 1}, {2, 3}, {4, 4}};
  const int filters[][2] = {{1, 1}, {2, 2}, {3, 3}, {4, 3}};
  int n = 0;
  for (auto padding : {tflite::Padding::SAME, tflite::Padding::VALID})
    for (const auto& size : sizes)
      for (const auto& filter : filters)
        for (int stride = 1; stride <= 3; ++stride) {
          TransposeCase c;
          c.in_h = size[0];
          c.in_w = size[1];
          c.filter_h = filter[0];
          c.filter_w = filter[1];
          c.stride_h = stride;
          c.stride_w = stride == 3 ? 2 : stride;
          c.padding = padding;
          ++n;
          c.extra_h = n % c.stride_h;
          c.extra_w = (n / 2) % c.stride_w;
          if (output_size(padding, c.in_h, c.filter_h, c.stride_h, c.extra_h) < 1 ||
              output_size(padding, c.in_w, c.filter_w, c.stride_w, c.extra_w) < 1)
            continue;
          c.batches = n % 5 == 0 ? 2 : 1;
          c.in_c = 1 + n % 3;
          c.out_c = 1 + (n * 5) % 4;
          c.activation = n % 4;
          c.bias = n % 3 != 2;
          c.bias_type = n % 2 ? DataType::kInt64 : DataType::kInt16;
          c.per_channel = n % 2 == 0;
          c.constant_output_shape = n % 4 != 1;
          cases.push_back(c);
        }
  return cases;
}

TEST(TransposeConv, SweepFloatInt8Int16AgainstDoubleReference) {
  std::mt19937 rng(11);
  for (DataType type : {DataType::kFloat32, DataType::kInt8, DataType::kInt16}) {
    for (TransposeCase c : sweep()) {
      c.type = type;
      check_case(c, rng);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(TransposeConvPrepare, RejectsInconsistentModels) {
  std::mt19937 rng(12);
  TransposeCase c;
  c.in_h = c.in_w = 3;
  c.stride_h = c.stride_w = 2;
  Built built = build(c, rng);
  EXPECT_TRUE(allocate_status_bytes(built.model).is_ok());

  // An output too large for the input under these strides.
  c.extra_h = -1;  // SAME: out = in * stride + 1
  Status status = allocate_status_bytes(build(c, rng).model);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("does not match input 3x3"), std::string::npos)
      << status.message();

  // A constant output_shape disagreeing with the output tensor.
  ModelBuilder b;
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 2, 2, 1});
  const int w = b.add_constant<float>(DataType::kFloat32, {1, 1, 1, 1}, {1});
  const int in = b.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  const int out = b.add_tensor(DataType::kFloat32, {1, 1, 1, 1});
  b.add_op(BuiltinOp::kTransposeConv, {shape, w, in}, {out}, tflite::BuiltinOptions::TransposeConvOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateTransposeConvOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(b, StatusCode::kInvalidModel, "output_shape[1] is 2, output tensor has 1");
}

TEST(TransposeConvPrepare, Rejects16x8WithInt32Bias) {
  ModelBuilder b;
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 1, 1, 1});
  const int w = b.add_constant<int8_t>(DataType::kInt8, {1, 1, 1, 1}, {1}, QuantParams::per_tensor(0.1f, 0));
  const int in = b.add_tensor(DataType::kInt16, {1, 1, 1, 1}, QuantParams::per_tensor(0.1f, 0));
  const int bias = b.add_constant<int32_t>(DataType::kInt32, {1}, {0});
  const int out = b.add_tensor(DataType::kInt16, {1, 1, 1, 1}, QuantParams::per_tensor(0.1f, 0));
  b.add_op(BuiltinOp::kTransposeConv, {shape, w, in, bias}, {out},
           tflite::BuiltinOptions::TransposeConvOptions, [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateTransposeConvOptions(fbb, tflite::Padding::VALID, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(b, StatusCode::kUnsupported, "bias is int32, expected int64");
}

// TensorFlow Lite's own results on the SEANet decoder's 16x8 transposed convolutions (int64 bias, output
// shape given as a run-time input).
TEST(TransposeConvConformance, SeanetInt16CasesAreExact) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(testing::expect_seanet_cases(shared / "conformance" / "seanet" / "transpose_conv",
                                         "transpose_conv", conv_kernels()),
            5);
}

}  // namespace
}  // namespace edgeinfer::conv_test
