#include "kernels/reference/pooling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/common/padding.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

struct PoolCase {
  std::vector<int32_t> in_shape;  // NHWC
  int filter_h, filter_w, stride_h, stride_w;
  tflite::Padding padding;
  tflite::ActivationFunctionType activation;
};

std::vector<int32_t> out_shape(const PoolCase& c) {
  const auto padding = static_cast<PaddingType>(c.padding);
  return {
      c.in_shape[0], static_cast<int32_t>(compute_out_size(padding, c.in_shape[1], c.filter_h, c.stride_h)),
      static_cast<int32_t>(compute_out_size(padding, c.in_shape[2], c.filter_w, c.stride_w)), c.in_shape[3]};
}

std::vector<uint8_t> pool_model(BuiltinOp op, const PoolCase& c, DataType type, QuantParams in_q,
                                QuantParams out_q, std::vector<int32_t> output_shape = {}) {
  if (output_shape.empty()) output_shape = out_shape(c);
  return single_op_model(op, {{type, c.in_shape, in_q}}, {type, output_shape, out_q},
                         tflite::BuiltinOptions::Pool2DOptions, [c](flatbuffers::FlatBufferBuilder& fbb) {
                           return tflite::CreatePool2DOptions(fbb, c.padding, c.stride_w, c.stride_h,
                                                              c.filter_w, c.filter_h, c.activation)
                               .Union();
                         });
}

template <class T>
std::vector<T> run_pool(BuiltinOp op, const PoolCase& c, DataType type, QuantParams q,
                        const std::vector<T>& input) {
  const Kernel& kernel =
      op == BuiltinOp::kAveragePool2D ? reference::average_pool_2d() : reference::max_pool_2d();
  return run_values<T>(pool_model(op, c, type, q, q), {{op, &kernel}}, input);
}

// An independent, straightforward pooling in double: windows clipped to the input.
enum class Kind { kAverage, kMax };
std::vector<double> pool_exact(Kind kind, const PoolCase& c, const std::vector<double>& in) {
  const auto os = out_shape(c);
  const int H = c.in_shape[1], W = c.in_shape[2], C = c.in_shape[3];
  const int pad_h = std::max(0, ((os[1] - 1) * c.stride_h + c.filter_h - H) / 2);
  const int pad_w = std::max(0, ((os[2] - 1) * c.stride_w + c.filter_w - W) / 2);
  std::vector<double> out;
  for (int b = 0; b < os[0]; ++b)
    for (int oy = 0; oy < os[1]; ++oy)
      for (int ox = 0; ox < os[2]; ++ox)
        for (int ch = 0; ch < C; ++ch) {
          double acc = kind == Kind::kMax ? -1e300 : 0;
          int n = 0;
          for (int fy = 0; fy < c.filter_h; ++fy)
            for (int fx = 0; fx < c.filter_w; ++fx) {
              const int y = oy * c.stride_h - pad_h + fy, x = ox * c.stride_w - pad_w + fx;
              if (y < 0 || y >= H || x < 0 || x >= W) continue;
              const double v = in[((b * H + y) * W + x) * C + ch];
              acc = kind == Kind::kMax ? std::max(acc, v) : acc + v;
              ++n;
            }
          out.push_back(kind == Kind::kMax ? acc : acc / n);
        }
  return out;
}

TEST(PoolingFunction, HandComputed2x2) {
  reference::PoolParams p;
  p.batches = 1;
  p.in_height = p.in_width = 4;
  p.depth = 1;
  p.out_height = p.out_width = 2;
  p.stride_height = p.stride_width = 2;
  p.filter_height = p.filter_width = 2;
  p.float_min = -1e30f;
  p.float_max = 1e30f;
  std::vector<float> in(16);
  for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(i + 1);
  std::vector<float> out(4);
  reference::average_pool_float(p, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));
  reference::max_pool_float(p, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{6, 8, 14, 16}));
}

TEST(PoolingFunction, QuantizedAverageRoundsHalfAwayFromZero) {
  reference::PoolParams p;
  p.batches = 1;
  p.in_height = 1;
  p.in_width = 2;
  p.depth = 3;
  p.out_height = p.out_width = 1;
  p.filter_height = 1;
  p.filter_width = 2;
  p.quantized_min = -128;
  p.quantized_max = 127;
  // Channels: (2, 3) -> 2.5 -> 3; (-2, -3) -> -2.5 -> -3; (-1, 0) -> -0.5 -> -1.
  const std::vector<int8_t> in = {2, -2, -1, 3, -3, 0};
  std::vector<int8_t> out(3);
  reference::average_pool_int8(p, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{3, -3, -1}));
  p.quantized_min = -2;  // fused activation clamp
  reference::average_pool_int8(p, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{3, -2, -1}));
}

const std::vector<PoolCase>& cases() {
  using tflite::ActivationFunctionType;
  using tflite::Padding;
  static const std::vector<PoolCase> all = {
      {{1, 4, 4, 1}, 2, 2, 2, 2, Padding::VALID, ActivationFunctionType::NONE},
      {{1, 5, 5, 3}, 3, 3, 1, 1, Padding::SAME, ActivationFunctionType::NONE},
      {{2, 7, 6, 4}, 3, 2, 2, 3, Padding::SAME, ActivationFunctionType::RELU},
      {{1, 6, 5, 2}, 6, 5, 1, 1, Padding::VALID, ActivationFunctionType::NONE},  // global pooling
      {{1, 9, 9, 5}, 2, 3, 3, 2, Padding::SAME, ActivationFunctionType::RELU6},
      {{3, 1, 8, 2}, 1, 4, 1, 2, Padding::VALID, ActivationFunctionType::RELU_N1_TO_1},
      {{1, 10, 3, 1}, 4, 1, 3, 1, Padding::SAME, ActivationFunctionType::NONE},
  };
  return all;
}

double clamp_for(tflite::ActivationFunctionType a, double v) {
  switch (a) {
    case tflite::ActivationFunctionType::RELU: return std::max(0.0, v);
    case tflite::ActivationFunctionType::RELU6: return std::min(6.0, std::max(0.0, v));
    case tflite::ActivationFunctionType::RELU_N1_TO_1: return std::min(1.0, std::max(-1.0, v));
    default: return v;
  }
}

TEST(PoolingKernel, FloatMatchesExactPooling) {
  for (const auto& c : cases()) {
    const int64_t n = static_cast<int64_t>(c.in_shape[0]) * c.in_shape[1] * c.in_shape[2] * c.in_shape[3];
    auto input = lcg_values<float>(n, static_cast<uint32_t>(n));
    for (float& v : input) v *= 8;
    const std::vector<double> in_d(input.begin(), input.end());
    const auto avg = run_pool<float>(BuiltinOp::kAveragePool2D, c, DataType::kFloat32, {}, input);
    const auto max = run_pool<float>(BuiltinOp::kMaxPool2D, c, DataType::kFloat32, {}, input);
    const auto avg_exact = pool_exact(Kind::kAverage, c, in_d);
    const auto max_exact = pool_exact(Kind::kMax, c, in_d);
    ASSERT_EQ(avg.size(), avg_exact.size());
    ASSERT_EQ(max.size(), max_exact.size());
    for (size_t i = 0; i < avg.size(); ++i) {
      // Float summation of <= 30 values of magnitude <= 8.
      EXPECT_NEAR(avg[i], clamp_for(c.activation, avg_exact[i]), 1e-5);
      EXPECT_EQ(max[i], static_cast<float>(clamp_for(c.activation, max_exact[i])));
    }
  }
}

template <class T>
void check_quantized(DataType type, float scale, int32_t zp) {
  for (const auto& c : cases()) {
    const int64_t n = static_cast<int64_t>(c.in_shape[0]) * c.in_shape[1] * c.in_shape[2] * c.in_shape[3];
    const auto input = lcg_values<T>(n, static_cast<uint32_t>(n) * 3);
    const std::vector<double> in_d(input.begin(), input.end());
    const auto q = QuantParams::per_tensor(scale, zp);
    const auto avg = run_pool<T>(BuiltinOp::kAveragePool2D, c, type, q, input);
    const auto max = run_pool<T>(BuiltinOp::kMaxPool2D, c, type, q, input);
    const auto avg_exact = pool_exact(Kind::kAverage, c, in_d);
    const auto max_exact = pool_exact(Kind::kMax, c, in_d);
    ASSERT_EQ(avg.size(), avg_exact.size());
    // The activation clamp in quantized units: quantize(0), quantize(6), ... within the type.
    auto clamp_q = [&](double v) {
      const double lo_type = std::numeric_limits<T>::min(), hi_type = std::numeric_limits<T>::max();
      double lo = lo_type, hi = hi_type;
      switch (c.activation) {
        case tflite::ActivationFunctionType::RELU: lo = zp; break;
        case tflite::ActivationFunctionType::RELU6: lo = zp, hi = zp + std::round(6 / scale); break;
        case tflite::ActivationFunctionType::RELU_N1_TO_1:
          lo = zp + std::round(-1 / scale), hi = zp + std::round(1 / scale);
          break;
        default: break;
      }
      return std::min(std::min(hi, hi_type), std::max(std::max(lo, lo_type), v));
    };
    for (size_t i = 0; i < avg.size(); ++i) {
      // Integer mean rounded half away from zero: exact.
      EXPECT_EQ(avg[i], clamp_q(std::round(avg_exact[i]))) << i;
      EXPECT_EQ(max[i], clamp_q(max_exact[i])) << i;
    }
  }
}

TEST(PoolingKernel, Int8MatchesExactPooling) {
  check_quantized<int8_t>(DataType::kInt8, 0.05f, -7);
}
TEST(PoolingKernel, Int16MatchesExactPooling) {
  check_quantized<int16_t>(DataType::kInt16, 0.0004f, 0);
}

TEST(PoolingKernel, RejectsBadModels) {
  const PoolCase c = {{1, 4, 4, 1}, 2, 2, 2, 2, tflite::Padding::VALID, tflite::ActivationFunctionType::NONE};
  const std::vector<uint8_t> input(16 * 4);
  const auto avg = &reference::average_pool_2d();
  // Output shape differs from what the window gives.
  expect_error(run_model(pool_model(BuiltinOp::kAveragePool2D, c, DataType::kFloat32, {}, {}, {1, 3, 3, 1}),
                         {{BuiltinOp::kAveragePool2D, avg}}, {input}),
               StatusCode::kInvalidModel, "shape");
  // Different input and output quantization.
  expect_error(run_model(pool_model(BuiltinOp::kAveragePool2D, c, DataType::kInt8,
                                    QuantParams::per_tensor(0.1f, 0), QuantParams::per_tensor(0.2f, 0)),
                         {{BuiltinOp::kAveragePool2D, avg}}, {std::vector<uint8_t>(16)}),
               StatusCode::kUnsupported, "quantization");
  // Zero stride.
  PoolCase bad = c;
  bad.stride_h = 0;
  expect_error(run_model(pool_model(BuiltinOp::kMaxPool2D, bad, DataType::kFloat32, {}, {}, {1, 2, 2, 1}),
                         {{BuiltinOp::kMaxPool2D, &reference::max_pool_2d()}}, {input}),
               StatusCode::kInvalidModel, "stride");
  // Rank 3 input.
  const auto model = single_op_model(
      BuiltinOp::kMaxPool2D, {{DataType::kFloat32, {4, 4, 1}, {}}}, {DataType::kFloat32, {2, 2, 1}, {}},
      tflite::BuiltinOptions::Pool2DOptions, [](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreatePool2DOptions(fbb, tflite::Padding::VALID, 2, 2, 2, 2).Union();
      });
  expect_error(run_model(model, {{BuiltinOp::kMaxPool2D, &reference::max_pool_2d()}}, {input}),
               StatusCode::kUnsupported, "rank");
}

}  // namespace
}  // namespace edgeinfer::testing
