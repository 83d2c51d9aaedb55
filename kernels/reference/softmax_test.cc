#include "kernels/reference/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

// Double-precision softmax of one row.
std::vector<double> softmax_exact(const std::vector<double>& x, double beta) {
  double max = x[0];
  for (double v : x) max = std::max(max, v);
  std::vector<double> y(x.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += y[i] = std::exp((x[i] - max) * beta);
  for (double& v : y) v /= sum;
  return y;
}

TEST(SoftmaxFunction, FloatFollowsTFLiteOperationOrder) {
  const std::vector<float> in = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f, 0.5f};
  std::vector<float> out(in.size());
  reference::softmax_float(0.7f, 2, 3, in.data(), out.data());
  for (int row = 0; row < 2; ++row) {
    const float* x = in.data() + 3 * row;
    const float max = std::max(x[0], std::max(x[1], x[2]));
    const float e[3] = {std::exp((x[0] - max) * 0.7f), std::exp((x[1] - max) * 0.7f),
                        std::exp((x[2] - max) * 0.7f)};
    const float sum = e[0] + e[1] + e[2];
    for (int c = 0; c < 3; ++c) EXPECT_EQ(out[3 * row + c], e[c] / sum);
  }
  EXPECT_NEAR(out[0], 0.14146, 1e-5);  // exp(-1.4) / (exp(-1.4) + exp(-0.7) + 1) = 0.2466 / 1.7432
}

TEST(SoftmaxFunction, Int8HandComputed) {
  reference::SoftmaxInt8Params p;
  ASSERT_TRUE(reference::make_softmax_int8_params(0.1f, 1.0f, &p).is_ok());
  // Equal inputs share the probability: 1/4 -> 64 / 256 -> -64; 1/2 -> 0; a lone element -> 1 -> 127.
  const std::vector<int8_t> in = {5, 5, 5, 5, -7, -7, 100};
  std::vector<int8_t> out(in.size());
  reference::softmax_int8(p, 1, 4, in.data(), out.data());
  reference::softmax_int8(p, 1, 2, in.data() + 4, out.data() + 4);
  reference::softmax_int8(p, 1, 1, in.data() + 6, out.data() + 6);
  EXPECT_EQ(out, (std::vector<int8_t>{-64, -64, -64, -64, 0, 0, 127}));
  // Differences far below the maximum contribute nothing and give the minimum output.
  const std::vector<int8_t> far = {127, -128};
  std::vector<int8_t> far_out(2);
  ASSERT_TRUE(reference::make_softmax_int8_params(1.0f, 1.0f, &p).is_ok());
  EXPECT_LT(p.diff_min, 0);
  EXPECT_GT(p.diff_min, -255);
  reference::softmax_int8(p, 1, 2, far.data(), far_out.data());
  EXPECT_EQ(far_out, (std::vector<int8_t>{127, -128}));
}

// gemmlowp's exp and reciprocal are accurate to ~1e-6: int8 output is the exact softmax rounded to 1/256
// (within one step at rounding ties); int16 output within 2 steps of 1/65536.
TEST(SoftmaxFunction, Int8AndInt8ToInt16TrackFloat) {
  for (float scale : {0.02f, 0.1f, 0.0625f, 0.25f}) {
    for (float beta : {1.0f, 0.5f}) {
      for (int depth : {2, 3, 10, 64, 200}) {
        reference::SoftmaxInt8Params p;
        ASSERT_TRUE(reference::make_softmax_int8_params(scale, beta, &p).is_ok());
        const auto in = lcg_values<int8_t>(3 * depth, depth * 31 + static_cast<uint32_t>(scale * 1000));
        std::vector<int8_t> out8(in.size());
        std::vector<int16_t> out16(in.size());
        reference::softmax_int8(p, 3, depth, in.data(), out8.data());
        reference::softmax_int8_int16(p, 3, depth, in.data(), out16.data());
        for (int row = 0; row < 3; ++row) {
          std::vector<double> x(depth);
          for (int c = 0; c < depth; ++c) x[c] = scale * in[row * depth + c];
          const auto y = softmax_exact(x, beta);
          for (int c = 0; c < depth; ++c) {
            const int i = row * depth + c;
            EXPECT_NEAR(out8[i], std::min(127.0, y[c] * 256 - 128), 1.0) << scale << " " << depth;
            EXPECT_NEAR(out16[i], std::min(32767.0, y[c] * 65536 - 32768), 2.0) << scale << " " << depth;
          }
        }
      }
    }
  }
}

TEST(SoftmaxFunction, Int16LookupTables) {
  std::vector<int16_t> exp_lut(reference::kSoftmaxLutSize);
  std::vector<int16_t> recip_lut(reference::kSoftmaxLutSize);
  reference::make_softmax_int16_luts(exp_lut.data(), recip_lut.data());
  // Ends: exp(0) and 1 / (1 + 0) saturate at 32767; 1 / (1 + 1) = 16384; exp(-10) * 32768 = 1.49.
  EXPECT_EQ(exp_lut[512], 32767);
  EXPECT_EQ(recip_lut[0], 32767);
  EXPECT_EQ(recip_lut[512], 16384);
  EXPECT_NEAR(exp_lut[0], 1.49, 1);
  // Interpolated lookups follow the functions within a few LSBs over the whole input range.
  for (int v = -32768; v <= 32767; v += 13) {
    const double x_exp =
        -10.0 + 10.0 * (v + 32768) / 65536.0;  // table index (v >> 7) + 256 of 512 over [-10, 0]
    EXPECT_NEAR(reference::lut_lookup_int16(static_cast<int16_t>(v), exp_lut.data()), 32768 * std::exp(x_exp),
                3)
        << v;
    const double x_recip = (v + 32768) / 65536.0;
    EXPECT_NEAR(reference::lut_lookup_int16(static_cast<int16_t>(v), recip_lut.data()),
                std::min(32767.0, 32768 / (1 + x_recip)), 3)
        << v;
  }
}

// Table interpolation errors of a few 1/32768 in exp and the reciprocal: output within 1e-3 of the exact
// softmax (33 steps would be a clear bug: e.g. a wrong table offset moves results by > 1%).
TEST(SoftmaxFunction, Int16TracksFloat) {
  std::vector<int16_t> luts(2 * reference::kSoftmaxLutSize);
  reference::make_softmax_int16_luts(luts.data(), luts.data() + reference::kSoftmaxLutSize);
  for (float scale : {0.0001f, 0.0005f, 1.0f / 4096, 0.001f}) {
    for (int depth : {1, 2, 5, 32, 300}) {
      reference::SoftmaxInt16Params p;
      p.exp_lut = luts.data();
      p.one_over_one_plus_x_lut = luts.data() + reference::kSoftmaxLutSize;
      ASSERT_TRUE(reference::make_softmax_int16_params(scale, 1.0f, &p).is_ok());
      const auto in = lcg_values<int16_t>(2 * depth, depth + 17);
      std::vector<int16_t> out(in.size());
      reference::softmax_int16(p, 2, depth, in.data(), out.data());
      for (int row = 0; row < 2; ++row) {
        std::vector<double> x(depth);
        for (int c = 0; c < depth; ++c) x[c] = scale * in[row * depth + c];
        const auto y = softmax_exact(x, 1.0);
        for (int c = 0; c < depth; ++c) {
          // exp() below -10 counts as 0 in the kernel.
          EXPECT_NEAR(out[row * depth + c] / 32768.0, y[c], 1e-3) << scale << " " << depth << " " << c;
        }
      }
    }
  }
}

std::vector<uint8_t> softmax_model(const TensorSpec& in, const TensorSpec& out, float beta) {
  return single_op_model(BuiltinOp::kSoftmax, {in}, out, tflite::BuiltinOptions::SoftmaxOptions,
                         [beta](flatbuffers::FlatBufferBuilder& fbb) {
                           return tflite::CreateSoftmaxOptions(fbb, beta).Union();
                         });
}

template <class Out, class In>
std::vector<Out> run_softmax(const TensorSpec& in, const TensorSpec& out, float beta,
                             const std::vector<In>& input) {
  return run_values<Out>(softmax_model(in, out, beta), {{BuiltinOp::kSoftmax, &reference::softmax()}}, input);
}

TEST(SoftmaxKernel, AllTypeCombinationsAndShapes) {
  for (const auto& shape : std::vector<std::vector<int32_t>>{{5}, {1, 4}, {3, 7}, {2, 2, 3, 10}}) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    const int32_t depth = shape.back();
    const int64_t outer = n / depth;

    const auto f = lcg_values<float>(n, 1);
    std::vector<float> expected_f(n);
    reference::softmax_float(0.8f, outer, depth, f.data(), expected_f.data());
    EXPECT_EQ(run_softmax<float>(TensorSpec{DataType::kFloat32, shape, {}},
                                 TensorSpec{DataType::kFloat32, shape, {}}, 0.8f, f),
              expected_f);

    const auto i8 = lcg_values<int8_t>(n, 2);
    reference::SoftmaxInt8Params p8;
    ASSERT_TRUE(reference::make_softmax_int8_params(0.05f, 1.0f, &p8).is_ok());
    std::vector<int8_t> expected8(n);
    reference::softmax_int8(p8, outer, depth, i8.data(), expected8.data());
    EXPECT_EQ(run_softmax<int8_t>(
                  TensorSpec{DataType::kInt8, shape, QuantParams::per_tensor(0.05f, 3)},
                  TensorSpec{DataType::kInt8, shape, QuantParams::per_tensor(1.0f / 256, -128)}, 1.0f, i8),
              expected8);
    std::vector<int16_t> expected816(n);
    reference::softmax_int8_int16(p8, outer, depth, i8.data(), expected816.data());
    EXPECT_EQ(
        run_softmax<int16_t>(
            TensorSpec{DataType::kInt8, shape, QuantParams::per_tensor(0.05f, 3)},
            TensorSpec{DataType::kInt16, shape, QuantParams::per_tensor(1.0f / 65536, -32768)}, 1.0f, i8),
        expected816);

    const auto i16 = lcg_values<int16_t>(n, 3);
    std::vector<int16_t> luts(2 * reference::kSoftmaxLutSize);
    reference::make_softmax_int16_luts(luts.data(), luts.data() + reference::kSoftmaxLutSize);
    reference::SoftmaxInt16Params p16;
    p16.exp_lut = luts.data();
    p16.one_over_one_plus_x_lut = luts.data() + reference::kSoftmaxLutSize;
    ASSERT_TRUE(reference::make_softmax_int16_params(0.0003f, 1.0f, &p16).is_ok());
    std::vector<int16_t> expected16(n);
    reference::softmax_int16(p16, outer, depth, i16.data(), expected16.data());
    EXPECT_EQ(run_softmax<int16_t>(
                  TensorSpec{DataType::kInt16, shape, QuantParams::per_tensor(0.0003f, 0)},
                  TensorSpec{DataType::kInt16, shape, QuantParams::per_tensor(1.0f / 32768, 0)}, 1.0f, i16),
              expected16);
  }
}

TEST(SoftmaxKernel, RejectsBadOutputs) {
  const std::vector<uint8_t> in(4);
  auto run = [&](const TensorSpec& i, const TensorSpec& o) {
    return run_model(softmax_model(i, o, 1.0f), {{BuiltinOp::kSoftmax, &reference::softmax()}},
                     {std::vector<uint8_t>(4 * data_type_size(i.type))});
  };
  expect_error(run({DataType::kInt8, {4}, QuantParams::per_tensor(0.1f, 0)},
                   {DataType::kInt8, {4}, QuantParams::per_tensor(1.0f / 128, -128)}),
               StatusCode::kUnsupported, "1/256");
  expect_error(run({DataType::kInt16, {4}, QuantParams::per_tensor(0.1f, 0)},
                   {DataType::kInt16, {4}, QuantParams::per_tensor(1.0f / 32768, 5)}),
               StatusCode::kUnsupported, "zero point 0");
  expect_error(run({DataType::kFloat32, {4}, {}}, {DataType::kFloat32, {2, 2}, {}}),
               StatusCode::kInvalidModel, "shape");
  expect_error(run({DataType::kInt8, {4}, QuantParams::per_tensor(0.1f, 0)}, {DataType::kFloat32, {4}, {}}),
               StatusCode::kUnsupported, "type");
  (void)in;
}

}  // namespace
}  // namespace edgeinfer::testing
