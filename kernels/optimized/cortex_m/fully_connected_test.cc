// cortex_m::fully_connected against reference::fully_connected: byte-identical outputs on seeded random int8
// cases (odd depths and unit counts, batches, per-tensor and per-channel filters, extreme zero points, fused
// activations, keep_num_dims), and on the cases that fall back to the reference code (float32, int16, a
// filter zero point, non-constant filter or bias).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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
using testing::bytes_of;
using testing::KernelList;
using testing::run_model;

struct Case {
  DataType type = DataType::kInt8;
  int batches = 1, depth = 10, units = 4;
  bool input_rank3 = false;  // input [batches, 1, depth] instead of [batches, depth]
  int activation = 0;        // NONE, RELU, RELU_N1_TO_1, RELU6
  bool bias = true;
  bool per_channel = false;
  bool constant_filter = true;
  bool constant_bias = true;
  int32_t input_zp = 0;
  int32_t filter_zp = 0;
  int32_t output_zp = 0;
  int32_t bias_limit = 5000;
  float output_scale_factor = 1.0f;
};

std::string describe(const Case& c) {
  char text[256];
  std::snprintf(
      text, sizeof(text),
      "%s batches %d depth %d units %d act %d bias %d per-channel %d const filter %d bias %d zp in %d "
      "filter %d out %d",
      data_type_name(c.type), c.batches, c.depth, c.units, c.activation, c.bias, c.per_channel,
      c.constant_filter, c.constant_bias, c.input_zp, c.filter_zp, c.output_zp);
  return text;
}

template <class T>
std::vector<T> random_values(std::mt19937& rng, size_t n, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

struct BuiltCase {
  std::vector<uint8_t> model;
  std::vector<std::vector<uint8_t>> inputs;
};

BuiltCase build_case(const Case& c, std::mt19937& rng) {
  const std::vector<int32_t> in_shape =
      c.input_rank3 ? std::vector<int32_t>{c.batches, 1, c.depth} : std::vector<int32_t>{c.batches, c.depth};
  const std::vector<int32_t> filter_shape = {c.units, c.depth};
  const std::vector<int32_t> out_shape = {c.batches, c.units};
  const size_t in_count = static_cast<size_t>(c.batches) * c.depth;
  const size_t filter_count = static_cast<size_t>(c.units) * c.depth;
  ModelBuilder b;
  BuiltCase built;
  auto options = [c](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateFullyConnectedOptions(fbb, static_cast<tflite::ActivationFunctionType>(c.activation))
        .Union();
  };
  int in = -1, w = -1, bi = -1, out = -1;
  std::vector<int> graph_inputs;
  if (c.type == DataType::kFloat32) {
    in = b.add_tensor(DataType::kFloat32, in_shape);
    built.inputs.push_back(bytes_of(testing::random_floats(rng, static_cast<int64_t>(in_count), -1, 1)));
    w = b.add_constant<float>(DataType::kFloat32, filter_shape,
                              testing::random_floats(rng, static_cast<int64_t>(filter_count), -1, 1));
    if (c.bias)
      bi = b.add_constant<float>(DataType::kFloat32, {c.units}, testing::random_floats(rng, c.units, -1, 1));
    out = b.add_tensor(DataType::kFloat32, out_shape);
  } else {
    const bool int16 = c.type == DataType::kInt16;
    const float input_scale = std::uniform_real_distribution<float>(0.01f, 0.1f)(rng);
    std::vector<float> filter_scales(c.per_channel ? c.units : 1);
    for (auto& s : filter_scales) s = std::uniform_real_distribution<float>(0.002f, 0.02f)(rng);
    const float nominal = input_scale * filter_scales[0] * 128.0f * 128.0f *
                          std::sqrt(static_cast<float>(c.depth)) / 3.0f / 100.0f;
    in = b.add_tensor(c.type, in_shape, QuantParams::per_tensor(input_scale, c.input_zp));
    const auto input = random_values<int32_t>(rng, in_count, int16 ? -32768 : -128, int16 ? 32767 : 127);
    if (int16) {
      built.inputs.push_back(bytes_of(std::vector<int16_t>(input.begin(), input.end())));
    } else {
      built.inputs.push_back(bytes_of(std::vector<int8_t>(input.begin(), input.end())));
    }
    const auto filter = random_values<int8_t>(rng, filter_count, -128, 127);
    const QuantParams filter_quant =
        c.per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(c.units, 0), 0)
                      : QuantParams::per_tensor(filter_scales[0], c.filter_zp);
    if (c.constant_filter) {
      w = b.add_constant<int8_t>(DataType::kInt8, filter_shape, filter, filter_quant);
    } else {
      w = b.add_tensor(DataType::kInt8, filter_shape, filter_quant);
      graph_inputs.push_back(w);
      built.inputs.push_back(bytes_of(filter));
    }
    if (c.bias) {
      const auto bias = random_values<int32_t>(rng, c.units, -c.bias_limit, c.bias_limit);
      const QuantParams bias_quant = QuantParams::per_tensor(input_scale * filter_scales[0], 0);
      if (c.constant_bias) {
        bi = b.add_constant<int32_t>(DataType::kInt32, {c.units}, bias, bias_quant);
      } else {
        bi = b.add_tensor(DataType::kInt32, {c.units}, bias_quant);
        graph_inputs.push_back(bi);
        built.inputs.push_back(bytes_of(bias));
      }
    }
    out = b.add_tensor(c.type, out_shape,
                       QuantParams::per_tensor(nominal * c.output_scale_factor, c.output_zp));
  }
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bi}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           options);
  graph_inputs.insert(graph_inputs.begin(), in);
  b.set_inputs(graph_inputs);
  b.set_outputs({out});
  built.model = b.finish();
  return built;
}

std::vector<uint8_t> expect_same_as_reference(const Case& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  static const KernelList reference_kernels = {{BuiltinOp::kFullyConnected, &reference::fully_connected()}};
  static const KernelList optimized_kernels = {{BuiltinOp::kFullyConnected, &cortex_m::fully_connected()}};
  const BuiltCase built = build_case(c, rng);
  const testing::RunResult want = run_model(built.model, reference_kernels, built.inputs);
  const testing::RunResult got = run_model(built.model, optimized_kernels, built.inputs);
  EXPECT_TRUE(want.status.is_ok()) << want.status.message();
  EXPECT_TRUE(got.status.is_ok()) << got.status.message();
  if (!want.status.is_ok() || !got.status.is_ok()) return {};
  EXPECT_EQ(got.outputs, want.outputs);
  return want.outputs[0];
}

Case random_case(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Case c;
  c.batches = pick(0, 3) == 0 ? pick(2, 9) : 1;
  c.depth = pick(0, 3) == 0 ? pick(1, 9) : pick(10, 700);
  c.units = pick(1, 17);
  c.input_rank3 = pick(0, 4) == 0;
  c.activation = pick(0, 3);
  c.bias = pick(0, 3) != 0;
  c.per_channel = pick(0, 2) == 0;
  const int zp = pick(0, 5);
  c.input_zp = zp == 0 ? -128 : zp == 1 ? 127 : pick(-128, 127);
  const int out_zp = pick(0, 5);
  c.output_zp = out_zp == 0 ? -128 : out_zp == 1 ? 127 : pick(-60, 60);
  c.output_scale_factor = std::uniform_real_distribution<float>(0.3f, 3.0f)(rng);
  if (pick(0, 19) == 0) c.bias_limit = 2147483647;
  return c;
}

TEST(CortexMFullyConnected, RandomInt8CasesMatchReferenceBytes) {
  std::mt19937 rng(12345);
  int distinct_total = 0;
  for (int i = 0; i < 400; ++i) {
    const std::vector<uint8_t> out = expect_same_as_reference(random_case(rng), rng);
    if (HasFailure()) return;
    std::vector<uint8_t> sorted = out;
    std::sort(sorted.begin(), sorted.end());
    distinct_total += static_cast<int>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
  }
  EXPECT_GT(distinct_total, 400 * 4);  // many output values, not just saturation
}

TEST(CortexMFullyConnected, AccumulatorWrapsLikeReference) {
  std::mt19937 rng(3);
  Case c;
  c.depth = 70001;
  c.units = 3;
  c.batches = 3;
  c.input_zp = -128;
  c.output_scale_factor = 0.001f;
  expect_same_as_reference(c, rng);
}

TEST(CortexMFullyConnected, FallbackCasesMatchReference) {
  std::mt19937 rng(99);
  for (int i = 0; i < 50; ++i) {
    Case c = random_case(rng);
    switch (i % 5) {
      case 0: c.type = DataType::kFloat32; break;
      case 1:
        c.type = DataType::kInt16;
        c.input_zp = c.output_zp = 0;
        break;
      case 2:  // asymmetric per-tensor filter
        c.per_channel = false;
        c.filter_zp = i % 2 ? 3 : -128;
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

// The fast path needs no arena beyond the reference kernel's but its own op data (one 16-byte persistent
// block): no per-channel terms, no copy of the input row (8 KB of scratch for this 4000-deep layer, as in
// micro_speech).
TEST(CortexMFullyConnected, NeedsNoMoreArenaThanReference) {
  std::mt19937 rng(11);
  Case c;
  c.depth = 4000;
  c.units = 64;
  c.input_zp = -3;
  const BuiltCase built = build_case(c, rng);
  size_t arena[2] = {0, 0};
  const Kernel* kernels[2] = {&reference::fully_connected(), &cortex_m::fully_connected()};
  for (int k = 0; k < 2; ++k) {
    testing::ModelSession session;
    const Status status = session.open(built.model, {{BuiltinOp::kFullyConnected, kernels[k]}});
    ASSERT_TRUE(status.is_ok()) << status.message();
    arena[k] = session.interpreter().arena_used_bytes();
  }
  EXPECT_LE(arena[1], arena[0] + 16) << "reference " << arena[0] << " bytes, cortex_m " << arena[1]
                                     << " bytes";
}

}  // namespace
}  // namespace edgeinfer
