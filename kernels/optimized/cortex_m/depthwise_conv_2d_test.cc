// cortex_m::depthwise_conv_2d() against the reference kernel, byte for byte, on seeded random layers (both
// run through the interpreter on the same model and input), plus a hand-checked case and the fallbacks.
#include "kernels/reference/depthwise_conv_2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;
using testing::random_float;
using testing::random_floats;
using testing::random_ints;

struct Layer {
  DataType type = DataType::kInt8;
  int batches = 1, in_h = 5, in_w = 5, in_c = 4, multiplier = 1;
  int filter_h = 3, filter_w = 3, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  tflite::Padding padding = tflite::Padding::SAME;
  int activation = 0;  // tflite::ActivationFunctionType: 0 none, 1 RELU, 2 RELU_N1_TO_1, 3 RELU6
  bool bias = true;
  bool per_channel = true;
  int32_t input_zp = 0;
  int32_t output_zp = 0;
  float output_scale = 0.05f;
};

std::string describe(const Layer& c) {
  char text[256];
  std::snprintf(text, sizeof(text),
                "%s b%d %dx%dx%d x%d filter %dx%d stride %dx%d dil %dx%d %s act %d%s%s zp %d/%d scale %g",
                data_type_name(c.type), c.batches, c.in_h, c.in_w, c.in_c, c.multiplier, c.filter_h,
                c.filter_w, c.stride_h, c.stride_w, c.dil_h, c.dil_w,
                c.padding == tflite::Padding::SAME ? "SAME" : "VALID", c.activation, c.bias ? " bias" : "",
                c.per_channel ? " per-channel" : "", c.input_zp, c.output_zp,
                static_cast<double>(c.output_scale));
  return text;
}

int out_size(tflite::Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - effective + stride) / stride;
}

// The layer's model and a random input (raw bytes).
struct Built {
  std::vector<uint8_t> model;
  std::vector<uint8_t> input;
};

Built build(const Layer& c, std::mt19937& rng) {
  const int out_c = c.in_c * c.multiplier;
  const int out_h = out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h);
  const int out_w = out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w);
  const int input_count = c.batches * c.in_h * c.in_w * c.in_c;
  const int filter_count = c.filter_h * c.filter_w * out_c;
  const std::vector<int32_t> input_shape = {c.batches, c.in_h, c.in_w, c.in_c};
  const std::vector<int32_t> filter_shape = {1, c.filter_h, c.filter_w, out_c};
  const std::vector<int32_t> output_shape = {c.batches, out_h, out_w, out_c};
  ModelBuilder b;
  Built r;
  int in, w, bi = -1, out;
  if (c.type == DataType::kFloat32) {
    r.input = testing::bytes_of(random_floats(rng, input_count, -1, 1));
    in = b.add_tensor(DataType::kFloat32, input_shape);
    w = b.add_constant<float>(DataType::kFloat32, filter_shape, random_floats(rng, filter_count, -1, 1));
    if (c.bias) bi = b.add_constant<float>(DataType::kFloat32, {out_c}, random_floats(rng, out_c, -1, 1));
    out = b.add_tensor(DataType::kFloat32, output_shape);
  } else {
    const bool int16 = c.type == DataType::kInt16;
    const float input_scale = random_float(rng, 0.01f, 0.1f);
    std::vector<float> filter_scales(c.per_channel ? out_c : 1);
    for (auto& s : filter_scales) s = random_float(rng, 0.002f, 0.02f);
    if (int16) {
      r.input = testing::bytes_of(random_ints<int16_t>(rng, input_count, -32768, 32767));
    } else {
      r.input = testing::bytes_of(random_ints<int8_t>(rng, input_count, -128, 127));
    }
    in = b.add_tensor(c.type, input_shape, QuantParams::per_tensor(input_scale, int16 ? 0 : c.input_zp));
    const QuantParams filter_quant =
        c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(out_c, 0), 3)
                      : QuantParams::per_tensor(filter_scales[0], 0);
    w = b.add_constant<int8_t>(DataType::kInt8, filter_shape,
                               random_ints<int8_t>(rng, filter_count, -128, 127), filter_quant);
    if (c.bias) {
      std::vector<float> bias_scales(out_c);
      for (int oc = 0; oc < out_c; ++oc)
        bias_scales[oc] = input_scale * filter_scales[c.per_channel ? oc : 0];
      const QuantParams bias_quant = QuantParams::per_channel(bias_scales, std::vector<int64_t>(out_c, 0), 0);
      bi = int16 ? b.add_constant<int64_t>(DataType::kInt64, {out_c},
                                           random_ints<int64_t>(rng, out_c, -100000, 100000), bias_quant)
                 : b.add_constant<int32_t>(DataType::kInt32, {out_c},
                                           random_ints<int32_t>(rng, out_c, -30000, 30000), bias_quant);
    }
    out =
        b.add_tensor(c.type, output_shape, QuantParams::per_tensor(c.output_scale, int16 ? 0 : c.output_zp));
  }
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bi}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [c](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(
                        fbb, c.padding, c.stride_w, c.stride_h, c.multiplier,
                        static_cast<tflite::ActivationFunctionType>(c.activation), c.dil_w, c.dil_h)
                 .Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  r.model = b.finish();
  return r;
}

// Runs the layer with the reference and the optimized kernel: the outputs must be the same bytes.
void expect_same_as_reference(const Layer& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const Built built = build(c, rng);
  const testing::RunResult want = testing::run_model(
      built.model, {{BuiltinOp::kDepthwiseConv2D, &reference::depthwise_conv_2d()}}, {built.input});
  const testing::RunResult got = testing::run_model(
      built.model, {{BuiltinOp::kDepthwiseConv2D, &cortex_m::depthwise_conv_2d()}}, {built.input});
  ASSERT_TRUE(want.status.is_ok()) << want.status.message();
  ASSERT_TRUE(got.status.is_ok()) << got.status.message();
  ASSERT_EQ(got.outputs.size(), 1u);
  const std::vector<uint8_t>& a = got.outputs[0];
  const std::vector<uint8_t>& e = want.outputs[0];
  ASSERT_EQ(a.size(), e.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], e[i]) << "output byte " << i;
}

int pick(std::mt19937& rng, std::initializer_list<int> values) {
  return values.begin()[std::uniform_int_distribution<int>(0, static_cast<int>(values.size()) - 1)(rng)];
}

int uniform(std::mt19937& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

Layer random_layer(std::mt19937& rng, DataType type) {
  Layer c;
  c.type = type;
  c.batches = pick(rng, {1, 1, 1, 2});
  c.multiplier = pick(rng, {1, 1, 1, 1, 2, 3, 4, 8});
  c.in_c = c.multiplier == 1 ? uniform(rng, 1, 21) : uniform(rng, 1, 5);
  c.filter_h = pick(rng, {1, 2, 3, 3, 3, 5});
  c.filter_w = rng() % 4 == 0 ? uniform(rng, 1, 5) : c.filter_h;
  c.stride_h = pick(rng, {1, 1, 2, 3});
  c.stride_w = rng() % 4 == 0 ? uniform(rng, 1, 3) : c.stride_h;
  c.dil_h = pick(rng, {1, 1, 1, 2});
  c.dil_w = rng() % 4 == 0 ? uniform(rng, 1, 3) : c.dil_h;
  c.padding = rng() % 3 == 0 ? tflite::Padding::VALID : tflite::Padding::SAME;
  const int min_h = c.padding == tflite::Padding::VALID ? (c.filter_h - 1) * c.dil_h + 1 : 1;
  const int min_w = c.padding == tflite::Padding::VALID ? (c.filter_w - 1) * c.dil_w + 1 : 1;
  c.in_h = uniform(rng, min_h, min_h + 9);
  c.in_w = uniform(rng, min_w, min_w + 9);
  c.activation = pick(rng, {0, 0, 1, 2, 3});
  c.bias = rng() % 4 != 0;
  c.per_channel = rng() % 4 != 0;
  c.input_zp = pick(rng, {-128, 127, 0, uniform(rng, -128, 127)});
  c.output_zp = pick(rng, {-128, 127, 0, uniform(rng, -128, 127)});
  // Small scales saturate most outputs, large ones round most to the zero point: both ends get tested.
  c.output_scale =
      pick(rng, {0, 1, 2}) == 0 ? random_float(rng, 0.001f, 0.01f) : random_float(rng, 0.01f, 2.0f);
  return c;
}

// The optimized output stage equals requantize_acc32() on extreme and random accumulators, multipliers
// (including the negative ones it hands back) and every shift the kernels accept.
TEST(RequantizeAcc32Fast, EqualsRequantizeAcc32) {
  std::mt19937 rng(31);
  const int32_t edge_accs[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -65536,        -2,       -1, 0, 1,
                               2,         65535,         1 << 30,    INT32_MAX - 1, INT32_MAX};
  const int32_t edge_multipliers[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX, -1, INT32_MIN};
  std::uniform_int_distribution<int32_t> any_int32(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> multiplier_range(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int> shift_range(-31, 30);
  int64_t checked = 0;
  auto check = [&](int32_t acc, int32_t multiplier, int shift, int32_t offset, int32_t min, int32_t max) {
    const int32_t want = reference::requantize_acc32(acc, multiplier, shift, offset, min, max);
    const int32_t got = reference::requantize_acc32_fast(acc, multiplier, shift, offset, min, max);
    ++checked;
    if (got != want) {
      ADD_FAILURE() << "acc " << acc << " multiplier " << multiplier << " shift " << shift << ": " << got
                    << ", want " << want;
      return false;
    }
    return true;
  };
  for (int32_t acc : edge_accs)
    for (int32_t multiplier : edge_multipliers)
      for (int shift = -31; shift <= 30; ++shift)
        if (!check(acc, multiplier, shift, 0, INT32_MIN, INT32_MAX)) return;
  for (int i = 0; i < 2000000; ++i) {
    // Accumulators of all magnitudes: random bits shifted right by a random amount.
    const int32_t acc = any_int32(rng) >> (rng() % 32);
    const int32_t multiplier = i % 64 == 0 ? any_int32(rng) : multiplier_range(rng);
    const int shift = i % 2 ? shift_range(rng) : -static_cast<int>(rng() % 12);
    const int32_t offset = static_cast<int32_t>(rng() % 256) - 128;
    if (!check(acc, multiplier, shift, offset, -128, 127)) return;
  }
  EXPECT_GT(checked, 2000000);
}

TEST(CortexMDepthwiseConv2D, IsNamedAndRegistrable) {
  EXPECT_STREQ(cortex_m::depthwise_conv_2d().name, "cortex_m/depthwise_conv_2d");
}

// A 1x1 input with 4 channels and a 1x1 filter: out = requantize((in - zp) * f + bias), all by hand.
// input_scale 0.5, filter_scale 0.25, output_scale 0.125: multiplier 1.0, so out = acc + output_zp.
TEST(CortexMDepthwiseConv2D, HandCheckedValues) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, 1, 1, 4}, QuantParams::per_tensor(0.5f, 3));
  const int w =
      b.add_constant<int8_t>(DataType::kInt8, {1, 1, 1, 4}, {2, -1, 3, 0}, QuantParams::per_tensor(0.25f, 0));
  const int bi =
      b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 2, -3, 4},
                              QuantParams::per_channel({0.125f, 0.125f, 0.125f, 0.125f}, {0, 0, 0, 0}, 0));
  const int out = b.add_tensor(DataType::kInt8, {1, 1, 1, 4}, QuantParams::per_tensor(0.125f, -10));
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bi}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::VALID, 1, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  const std::vector<int8_t> input = {13, -7, 103, 50};
  const auto got = testing::run_values<int8_t>(
      b.finish(), {{BuiltinOp::kDepthwiseConv2D, &cortex_m::depthwise_conv_2d()}}, input);
  // (13-3)*2+1-10 = 11; (-7-3)*-1+2-10 = 2; (103-3)*3-3-10 = 287 -> 127; (50-3)*0+4-10 = -6.
  EXPECT_EQ(got, (std::vector<int8_t>{11, 2, 127, -6}));
}

TEST(CortexMDepthwiseConv2D, MatchesReferenceOnRandomInt8Layers) {
  std::mt19937 rng(20261125);
  for (int i = 0; i < 600; ++i) {
    expect_same_as_reference(random_layer(rng, DataType::kInt8), rng);
    if (HasFatalFailure()) return;
  }
}

// MobileNet-like layers: 3x3, many channels, stride 1 and 2, both paddings.
TEST(CortexMDepthwiseConv2D, MatchesReferenceOnMobileNetLayers) {
  std::mt19937 rng(7);
  for (int channels : {8, 16, 17, 32, 35, 64}) {
    for (int stride : {1, 2}) {
      for (auto padding : {tflite::Padding::SAME, tflite::Padding::VALID}) {
        Layer c;
        c.in_c = channels;
        c.in_h = 12;
        c.in_w = 11;
        c.stride_h = c.stride_w = stride;
        c.padding = padding;
        c.activation = 3;
        c.input_zp = -128;
        c.output_zp = -128;
        c.output_scale = 0.03f;
        expect_same_as_reference(c, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// micro_speech's layer: one input channel, multiplier 8, 10x8 filter, stride 2.
TEST(CortexMDepthwiseConv2D, MatchesReferenceOnMultiplierEight) {
  std::mt19937 rng(8);
  Layer c;
  c.in_h = 49;
  c.in_w = 40;
  c.in_c = 1;
  c.multiplier = 8;
  c.filter_h = 10;
  c.filter_w = 8;
  c.stride_h = c.stride_w = 2;
  c.activation = 1;
  c.input_zp = -128;
  expect_same_as_reference(c, rng);
}

// int16 and float32 run the reference code.
TEST(CortexMDepthwiseConv2D, FallbackTypesMatchReference) {
  std::mt19937 rng(99);
  for (int i = 0; i < 60; ++i) {
    expect_same_as_reference(random_layer(rng, i % 2 ? DataType::kInt16 : DataType::kFloat32), rng);
    if (HasFatalFailure()) return;
  }
}

// prepare() is the reference one: a bad model fails the same way.
TEST(CortexMDepthwiseConv2D, RejectsWhatReferenceRejects) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, 4, 4, 4}, QuantParams::per_tensor(0.5f, 0));
  const int w = b.add_constant<int8_t>(DataType::kInt8, {1, 3, 3, 4}, std::vector<int8_t>(36, 1),
                                       QuantParams::per_tensor(0.25f, 0));
  const int out = b.add_tensor(DataType::kInt8, {1, 4, 4, 5}, QuantParams::per_tensor(0.125f, 0));
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, -1}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, 1).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  const auto model = b.finish();
  const Status want =
      testing::allocate_status(model, {{BuiltinOp::kDepthwiseConv2D, &reference::depthwise_conv_2d()}});
  const Status got =
      testing::allocate_status(model, {{BuiltinOp::kDepthwiseConv2D, &cortex_m::depthwise_conv_2d()}});
  EXPECT_FALSE(got.is_ok());
  EXPECT_EQ(got.code(), want.code());
  EXPECT_STREQ(got.message(), want.message());
}

}  // namespace
}  // namespace edgeinfer
