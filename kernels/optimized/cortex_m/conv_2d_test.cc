// cortex_m::conv_2d against reference::conv_2d: byte-identical outputs on seeded random int8 cases (odd
// depths, padding, strides, dilations, batches, per-tensor and per-channel filters, extreme zero points,
// fused activations), on the cases that fall back to the reference code (float32, int16, grouped,
// non-constant filter or bias), and the matrix core against a direct computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/quant_math.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/optimized/cortex_m/matmul_int8.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;
using testing::bytes_of;
using testing::KernelList;
using testing::run_model;

struct Case {
  DataType type = DataType::kInt8;
  int batches = 1, in_h = 5, in_w = 5, in_c = 3, out_c = 4, groups = 1;
  int filter_h = 3, filter_w = 3, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  tflite::Padding padding = tflite::Padding::SAME;
  int activation = 0;  // tflite::ActivationFunctionType: NONE, RELU, RELU_N1_TO_1, RELU6
  bool bias = true;
  bool per_channel = true;
  bool constant_filter = true;
  bool constant_bias = true;
  int32_t input_zp = 0;
  int32_t output_zp = 0;
  int32_t bias_limit = 5000;
  float output_scale_factor = 1.0f;  // relative to a scale that spreads typical outputs over the range
};

std::string describe(const Case& c) {
  char text[320];
  std::snprintf(text, sizeof(text),
                "%s b%d %dx%dx%d -> %d (groups %d) filter %dx%d stride %dx%d dil %dx%d %s act %d bias %d "
                "per-channel %d const filter %d bias %d zp in %d out %d",
                data_type_name(c.type), c.batches, c.in_h, c.in_w, c.in_c, c.out_c, c.groups, c.filter_h,
                c.filter_w, c.stride_h, c.stride_w, c.dil_h, c.dil_w,
                c.padding == tflite::Padding::SAME ? "SAME" : "VALID", c.activation, c.bias, c.per_channel,
                c.constant_filter, c.constant_bias, c.input_zp, c.output_zp);
  return text;
}

int out_size(tflite::Padding padding, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - effective + stride) / stride;
}

template <class T>
std::vector<T> random_values(std::mt19937& rng, size_t n, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

float random_scale(std::mt19937& rng, float lo, float hi) {
  return std::uniform_real_distribution<float>(lo, hi)(rng);
}

// A one-op model of `c` with random data, and its input bytes (data input, then the non-constant filter and
// bias when the case has them as graph inputs).
struct BuiltCase {
  std::vector<uint8_t> model;
  std::vector<std::vector<uint8_t>> inputs;
};

BuiltCase build_case(const Case& c, std::mt19937& rng) {
  const int out_h = out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h);
  const int out_w = out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w);
  const int in_per_group = c.in_c / c.groups;
  const std::vector<int32_t> in_shape = {c.batches, c.in_h, c.in_w, c.in_c};
  const std::vector<int32_t> filter_shape = {c.out_c, c.filter_h, c.filter_w, in_per_group};
  const std::vector<int32_t> out_shape = {c.batches, out_h, out_w, c.out_c};
  const size_t in_count = static_cast<size_t>(c.batches) * c.in_h * c.in_w * c.in_c;
  const size_t filter_count = static_cast<size_t>(c.out_c) * c.filter_h * c.filter_w * in_per_group;
  const int taps = c.filter_h * c.filter_w * in_per_group;
  ModelBuilder b;
  BuiltCase built;
  auto options = [c](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateConv2DOptions(fbb, c.padding, c.stride_w, c.stride_h,
                                       static_cast<tflite::ActivationFunctionType>(c.activation), c.dil_w,
                                       c.dil_h)
        .Union();
  };
  int in = -1, w = -1, bi = -1, out = -1;
  std::vector<int> graph_inputs;
  if (c.type == DataType::kFloat32) {
    in = b.add_tensor(DataType::kFloat32, in_shape);
    const auto input = testing::random_floats(rng, static_cast<int>(in_count), -1, 1);
    const auto filter = testing::random_floats(rng, static_cast<int>(filter_count), -1, 1);
    const auto bias = testing::random_floats(rng, c.out_c, -1, 1);
    built.inputs.push_back(bytes_of(input));
    w = b.add_constant<float>(DataType::kFloat32, filter_shape, filter);
    if (c.bias) bi = b.add_constant<float>(DataType::kFloat32, {c.out_c}, bias);
    out = b.add_tensor(DataType::kFloat32, out_shape);
  } else {
    const bool int16 = c.type == DataType::kInt16;
    const float input_scale = random_scale(rng, 0.01f, 0.1f);
    std::vector<float> filter_scales(c.per_channel ? c.out_c : 1);
    for (auto& s : filter_scales) s = random_scale(rng, 0.002f, 0.02f);
    std::vector<float> bias_scales(c.out_c);
    for (int oc = 0; oc < c.out_c; ++oc)
      bias_scales[oc] = input_scale * filter_scales[c.per_channel ? oc : 0];
    // Typical |accumulator| ~ 128 * 128 * sqrt(taps) / 3: map it to ~100 output steps.
    const float nominal = input_scale * filter_scales[0] * 128.0f * 128.0f *
                          std::sqrt(static_cast<float>(taps)) / 3.0f / 100.0f;
    const float output_scale = nominal * c.output_scale_factor;
    in = b.add_tensor(c.type, in_shape, QuantParams::per_tensor(input_scale, c.input_zp));
    const auto input = random_values<int32_t>(rng, in_count, int16 ? -32768 : -128, int16 ? 32767 : 127);
    const auto filter = random_values<int8_t>(rng, filter_count, -128, 127);
    const auto bias = random_values<int32_t>(rng, c.out_c, -c.bias_limit, c.bias_limit);
    if (int16) {
      built.inputs.push_back(bytes_of(std::vector<int16_t>(input.begin(), input.end())));
    } else {
      built.inputs.push_back(bytes_of(std::vector<int8_t>(input.begin(), input.end())));
    }
    const QuantParams filter_quant =
        c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(c.out_c, 0), 0)
                      : QuantParams::per_tensor(filter_scales[0], 0);
    if (c.constant_filter) {
      w = b.add_constant<int8_t>(DataType::kInt8, filter_shape, filter, filter_quant);
    } else {
      w = b.add_tensor(DataType::kInt8, filter_shape, filter_quant);
      graph_inputs.push_back(w);
      built.inputs.push_back(bytes_of(filter));
    }
    if (c.bias) {
      const QuantParams bias_quant =
          QuantParams::per_channel(bias_scales, std::vector<int64_t>(c.out_c, 0), 0);
      if (c.constant_bias) {
        bi = b.add_constant<int32_t>(DataType::kInt32, {c.out_c}, bias, bias_quant);
      } else {
        bi = b.add_tensor(DataType::kInt32, {c.out_c}, bias_quant);
        graph_inputs.push_back(bi);
        built.inputs.push_back(bytes_of(bias));
      }
    }
    out = b.add_tensor(c.type, out_shape, QuantParams::per_tensor(output_scale, c.output_zp));
  }
  b.add_op(BuiltinOp::kConv2D, {in, w, bi}, {out}, tflite::BuiltinOptions::Conv2DOptions, options);
  graph_inputs.insert(graph_inputs.begin(), in);
  b.set_inputs(graph_inputs);
  b.set_outputs({out});
  built.model = b.finish();
  return built;
}

const KernelList& reference_kernels() {
  static const KernelList kernels = {{BuiltinOp::kConv2D, &reference::conv_2d()}};
  return kernels;
}
const KernelList& optimized_kernels() {
  static const KernelList kernels = {{BuiltinOp::kConv2D, &cortex_m::conv_2d()}};
  return kernels;
}

// Runs `c` with both kernels and expects identical bytes; returns the output (for spread checks).
std::vector<uint8_t> expect_same_as_reference(const Case& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const BuiltCase built = build_case(c, rng);
  const testing::RunResult want = run_model(built.model, reference_kernels(), built.inputs);
  const testing::RunResult got = run_model(built.model, optimized_kernels(), built.inputs);
  EXPECT_TRUE(want.status.is_ok()) << want.status.message();
  EXPECT_TRUE(got.status.is_ok()) << got.status.message();
  if (!want.status.is_ok() || !got.status.is_ok()) return {};
  EXPECT_EQ(got.outputs, want.outputs);
  return want.outputs[0];
}

Case random_case(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  c.batches = pick(1, 4) == 1 ? 2 : 1;
  c.in_h = pick(1, 11);
  c.in_w = pick(1, 11);
  const int depths[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 64};
  c.in_c = depths[pick(0, 14)];
  c.out_c = pick(1, 13);
  const int shape = pick(0, 5);
  if (shape <= 1) {  // pointwise, the models' commonest
    c.filter_h = c.filter_w = 1;
  } else {
    c.filter_h = pick(1, 5);
    c.filter_w = pick(1, 5);
  }
  c.stride_h = pick(1, 3);
  c.stride_w = pick(1, 3);
  if (pick(0, 2) == 0) {
    c.dil_h = pick(1, 2);
    c.dil_w = pick(1, 3);
  }
  c.padding = pick(0, 1) ? tflite::Padding::SAME : tflite::Padding::VALID;
  if (out_size(c.padding, c.in_h, c.filter_h, c.stride_h, c.dil_h) < 1 ||
      out_size(c.padding, c.in_w, c.filter_w, c.stride_w, c.dil_w) < 1) {
    c.padding = tflite::Padding::SAME;
  }
  c.activation = pick(0, 3);
  c.bias = pick(0, 3) != 0;
  c.per_channel = pick(0, 2) != 0;
  const int zp = pick(0, 5);
  c.input_zp = zp == 0 ? -128 : zp == 1 ? 127 : pick(-128, 127);
  const int out_zp = pick(0, 5);
  c.output_zp = out_zp == 0 ? -128 : out_zp == 1 ? 127 : pick(-60, 60);
  c.output_scale_factor = std::uniform_real_distribution<float>(0.3f, 3.0f)(rng);
  if (pick(0, 19) == 0) c.bias_limit = 2147483647;  // sums that wrap
  return c;
}

TEST(CortexMConv2D, RandomInt8CasesMatchReferenceBytes) {
  std::mt19937 rng(12345);
  int distinct_total = 0;
  for (int i = 0; i < 400; ++i) {
    const Case c = random_case(rng);
    const std::vector<uint8_t> out = expect_same_as_reference(c, rng);
    if (HasFailure()) return;
    std::vector<uint8_t> sorted = out;
    std::sort(sorted.begin(), sorted.end());
    distinct_total += static_cast<int>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  }
  // The cases exercise the arithmetic, not just saturation: outputs take many values.
  EXPECT_GT(distinct_total, 400 * 8);
}

TEST(CortexMConv2D, ModelShapedLayersMatchReference) {
  std::mt19937 rng(7);
  Case pointwise;  // MobileNet pointwise: 1x1, stride 1, depth multiple of 8
  pointwise.in_h = pointwise.in_w = 6;
  pointwise.in_c = 32;
  pointwise.out_c = 64;
  pointwise.filter_h = pointwise.filter_w = 1;
  pointwise.activation = 3;
  pointwise.input_zp = -128;
  pointwise.output_zp = -128;
  expect_same_as_reference(pointwise, rng);
  Case first = pointwise;  // first layer: 3x3 stride 2 SAME over 3 (or 1) channels
  first.in_h = first.in_w = 12;
  first.in_c = 3;
  first.out_c = 8;
  first.filter_h = first.filter_w = 3;
  first.stride_h = first.stride_w = 2;
  expect_same_as_reference(first, rng);
  first.in_c = 1;
  expect_same_as_reference(first, rng);
  Case resnet = first;  // ResNet: 3x3 stride 1 SAME, 16 channels
  resnet.in_h = resnet.in_w = 8;
  resnet.in_c = resnet.out_c = 16;
  resnet.stride_h = resnet.stride_w = 1;
  resnet.activation = 1;
  expect_same_as_reference(resnet, rng);
  Case kws = first;  // KWS: 10x4 stride 2 over one channel
  kws.in_h = 49;
  kws.in_w = 10;
  kws.in_c = 1;
  kws.out_c = 64;
  kws.filter_h = 10;
  kws.filter_w = 4;
  expect_same_as_reference(kws, rng);
}

TEST(CortexMConv2D, AccumulatorWrapsLikeReference) {
  // 70000 products of 127 * 255 overflow int32: the folded offset term and the sum must wrap the same way.
  std::mt19937 rng(3);
  Case c;
  c.in_h = c.in_w = 1;
  c.in_c = 70001;
  c.out_c = 3;
  c.filter_h = c.filter_w = 1;
  c.input_zp = -128;
  c.output_scale_factor = 0.001f;
  expect_same_as_reference(c, rng);
}

TEST(CortexMConv2D, FallbackCasesMatchReference) {
  std::mt19937 rng(99);
  for (int i = 0; i < 60; ++i) {
    Case c = random_case(rng);
    switch (i % 5) {
      case 0: c.type = DataType::kFloat32; break;
      case 1:
        c.type = DataType::kInt16;
        c.input_zp = c.output_zp = 0;
        break;
      case 2:  // grouped
        c.in_c = 4 * (1 + i % 3);
        c.groups = 2;
        c.out_c = 2 * (1 + i % 4);
        break;
      case 3: c.constant_filter = false; break;
      default:
        c.bias = true;
        c.constant_bias = false;
        break;
    }
    expect_same_as_reference(c, rng);
    if (HasFailure()) return;
  }
}

// The one-rounding output stage against TensorFlow Lite's two roundings, on ties and extremes.
TEST(CortexMMatmulInt8, ScaleMatchesMultiplyByQuantizedMultiplier) {
  std::mt19937 rng(11);
  std::vector<int32_t> multipliers = {0, 1, 1 << 30, (1 << 30) + 1, 0x7FFFFFFF, 1518500250};
  for (int i = 0; i < 20; ++i)
    multipliers.push_back(std::uniform_int_distribution<int32_t>(1 << 30, 0x7FFFFFFF)(rng));
  std::vector<int32_t> accs = {INT32_MIN, INT32_MIN + 1, INT32_MAX, INT32_MAX - 1};
  for (int32_t a = -3000; a <= 3000; ++a) accs.push_back(a);
  for (int i = 0; i < 3000; ++i)
    accs.push_back(std::uniform_int_distribution<int32_t>(INT32_MIN, INT32_MAX)(rng));
  for (int shift = -31; shift <= 30; ++shift) {
    for (const int32_t m : multipliers) {
      int64_t rounding = 0;
      if (shift < 0) rounding = (int64_t{1} << 30) + (int64_t{1} << (30 - shift));
      for (const int32_t acc : accs) {
        const int32_t want = multiply_by_quantized_multiplier(acc, m, shift);
        const int32_t got = shift < 0 ? cortex_m::scale_right_shift(acc, m, rounding, -shift - 1)
                                      : cortex_m::scale_left_shift(acc, m, shift);
        ASSERT_EQ(got, want) << "acc " << acc << " multiplier " << m << " shift " << shift;
      }
    }
  }
}

// The matrix core alone (one, two or four rows) against a direct int64 computation of TensorFlow Lite's
// formula.
TEST(CortexMMatmulInt8, RowsMatchDirectComputation) {
  std::mt19937 rng(5);
  for (int iteration = 0; iteration < 300; ++iteration) {
    const int depth = std::uniform_int_distribution<int>(1, 40)(rng);
    const int channels = std::uniform_int_distribution<int>(1, 9)(rng);
    const int num_rows = iteration % 3 == 0 ? 1 : iteration % 3 == 1 ? 2 : 4;
    const bool per_channel = iteration % 2 == 0;
    const int32_t input_offset = std::uniform_int_distribution<int>(-127, 128)(rng);
    const auto rows = random_values<int8_t>(rng, 4 * depth, -128, 127);
    const auto filter = random_values<int8_t>(rng, static_cast<size_t>(channels) * depth, -128, 127);
    const auto bias = random_values<int32_t>(rng, channels, -100000, 100000);
    std::vector<int32_t> multipliers(channels), shifts(channels);
    for (int c = 0; c < channels; ++c) {
      int shift = 0;
      quantize_multiplier(std::uniform_real_distribution<double>(1e-4, 0.05)(rng), &multipliers[c], &shift);
      shifts[c] = shift;
    }
    std::vector<int32_t> terms(channels);
    cortex_m::compute_channel_terms(filter.data(), depth, channels, bias.data(), input_offset, terms.data());
    cortex_m::Int8OutputStage stage;
    stage.channel_terms = terms.data();
    stage.multipliers = multipliers.data();
    stage.shifts = shifts.data();
    stage.per_channel = per_channel;
    stage.output_offset = std::uniform_int_distribution<int>(-128, 127)(rng);
    // Full range (SSAT) or a ReLU-like clamp.
    stage.activation_min = iteration % 4 < 2 ? -128 : -100;
    stage.activation_max = iteration % 4 < 2 ? 127 : 100;
    std::vector<std::vector<int8_t>> out(4, std::vector<int8_t>(channels, 55));
    const int8_t* row_ptrs[4] = {rows.data(), rows.data() + depth, rows.data() + 2 * depth,
                                 rows.data() + 3 * depth};
    int8_t* out_ptrs[4] = {out[0].data(), out[1].data(), out[2].data(), out[3].data()};
    if (num_rows == 4) {
      std::vector<uint64_t> expanded(cortex_m::expanded_entries(depth) + 1);
      cortex_m::expand_four_rows(row_ptrs, depth, expanded.data());
      // Outputs 16 bytes apart in one buffer.
      std::vector<int8_t> flat(4 * 16, 55);
      cortex_m::matmul_int8_four_rows(row_ptrs, expanded.data(), depth, filter.data(), channels, stage,
                                      flat.data(), 16);
      for (int r = 0; r < 4; ++r)
        std::copy(flat.begin() + 16 * r, flat.begin() + 16 * r + channels, out[r].begin());
    } else {
      cortex_m::matmul_int8_rows(row_ptrs[0], num_rows == 2 ? row_ptrs[1] : nullptr, depth, filter.data(),
                                 channels, stage, out_ptrs[0], num_rows == 2 ? out_ptrs[1] : nullptr);
    }
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < channels; ++c) {
        if (r >= num_rows) {  // rows beyond those asked for are untouched
          EXPECT_EQ(out[r][c], 55);
          continue;
        }
        int64_t acc = bias[c];
        for (int k = 0; k < depth; ++k)
          acc += int64_t{filter[c * depth + k]} * (rows[r * depth + k] + input_offset);
        const int q = per_channel ? c : 0;
        const int32_t scaled =
            multiply_by_quantized_multiplier(static_cast<int32_t>(acc), multipliers[q], shifts[q]) +
            stage.output_offset;
        EXPECT_EQ(out[r][c], std::clamp(scaled, stage.activation_min, stage.activation_max))
            << "row " << r << " channel " << c << " depth " << depth;
      }
    }
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace edgeinfer
