// cortex_m::add() against the reference kernel, byte for byte, on seeded random int8 tensors (same shapes:
// the table path above its size threshold; broadcasts and small tensors: the reference path), plus a
// hand-checked case and the other types.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using compiler::QuantParams;

struct AddCase {
  DataType type = DataType::kInt8;
  std::vector<int32_t> shape1, shape2, out_shape;
  float scale1 = 0.1f, scale2 = 0.1f, out_scale = 0.2f;
  int32_t zp1 = 0, zp2 = 0, out_zp = 0;
  int activation = 0;
};

std::string describe(const AddCase& c) {
  auto dims = [](const std::vector<int32_t>& s) {
    std::string text;
    for (int32_t d : s) text += std::to_string(d) + "x";
    return text;
  };
  char text[300];
  std::snprintf(text, sizeof(text), "%s %s + %s -> %s scales %g %g %g zps %d %d %d act %d",
                data_type_name(c.type), dims(c.shape1).c_str(), dims(c.shape2).c_str(),
                dims(c.out_shape).c_str(), static_cast<double>(c.scale1), static_cast<double>(c.scale2),
                static_cast<double>(c.out_scale), c.zp1, c.zp2, c.out_zp, c.activation);
  return text;
}

std::vector<uint8_t> model(const AddCase& c) {
  const bool quantized = c.type == DataType::kInt8 || c.type == DataType::kInt16;
  auto q = [&](float scale, int32_t zp) {
    return quantized ? QuantParams::per_tensor(scale, zp) : QuantParams{};
  };
  return testing::single_op_model(
      BuiltinOp::kAdd, {{c.type, c.shape1, q(c.scale1, c.zp1)}, {c.type, c.shape2, q(c.scale2, c.zp2)}},
      {c.type, c.out_shape, q(c.out_scale, c.out_zp)}, tflite::BuiltinOptions::AddOptions,
      [c](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateAddOptions(fbb, static_cast<tflite::ActivationFunctionType>(c.activation))
            .Union();
      });
}

std::vector<uint8_t> random_input(std::mt19937& rng, DataType type, const std::vector<int32_t>& shape) {
  const int64_t n = testing::element_count(shape);
  switch (type) {
    case DataType::kInt8: return testing::bytes_of(testing::random_ints<int8_t>(rng, n, -128, 127));
    case DataType::kInt16: return testing::bytes_of(testing::random_ints<int16_t>(rng, n, -32768, 32767));
    case DataType::kInt32: return testing::bytes_of(testing::random_ints<int32_t>(rng, n, -100000, 100000));
    default: return testing::bytes_of(testing::random_floats(rng, n, -5, 5));
  }
}

void expect_same_as_reference(const AddCase& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const auto bytes = model(c);
  const std::vector<std::vector<uint8_t>> inputs = {random_input(rng, c.type, c.shape1),
                                                    random_input(rng, c.type, c.shape2)};
  const auto want = testing::run_model(bytes, {{BuiltinOp::kAdd, &reference::add()}}, inputs);
  const auto got = testing::run_model(bytes, {{BuiltinOp::kAdd, &cortex_m::add()}}, inputs);
  ASSERT_TRUE(want.status.is_ok()) << want.status.message();
  ASSERT_TRUE(got.status.is_ok()) << got.status.message();
  ASSERT_EQ(got.outputs[0].size(), want.outputs[0].size());
  for (size_t i = 0; i < got.outputs[0].size(); ++i)
    ASSERT_EQ(got.outputs[0][i], want.outputs[0][i]) << "byte " << i;
}

int uniform(std::mt19937& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

AddCase random_case(std::mt19937& rng, DataType type, bool broadcast) {
  AddCase c;
  c.type = type;
  const int rank = uniform(rng, 1, 4);
  for (int i = 0; i < rank; ++i) c.out_shape.push_back(uniform(rng, 1, rank == 1 ? 2000 : 14));
  c.shape1 = c.shape2 = c.out_shape;
  if (broadcast) {
    c.shape2[uniform(rng, 0, rank - 1)] = 1;
    if (rng() % 2) std::swap(c.shape1, c.shape2);
  }
  auto scale = [&] {
    return std::exp(std::uniform_real_distribution<float>(std::log(0.002f), std::log(2.0f))(rng));
  };
  c.scale1 = scale();
  c.scale2 = rng() % 4 == 0 ? c.scale1 : scale();
  c.out_scale = scale();
  auto zp = [&] { return std::vector<int32_t>{-128, 127, 0, uniform(rng, -128, 127)}[rng() % 4]; };
  if (type == DataType::kInt8) {
    c.zp1 = zp();
    c.zp2 = zp();
    c.out_zp = zp();
  }
  c.activation = std::vector<int>{0, 0, 1, 2, 3}[rng() % 5];
  return c;
}

TEST(CortexMAdd, IsNamed) {
  EXPECT_STREQ(cortex_m::add().name, "cortex_m/add");
}

// Equal scales of 1 and zero points 0: out = clamp(x + y), over 600 elements (the table path).
TEST(CortexMAdd, HandCheckedSums) {
  AddCase c;
  c.shape1 = c.shape2 = c.out_shape = {600};
  c.scale1 = c.scale2 = c.out_scale = 1.0f;
  std::vector<int8_t> x(600), y(600);
  std::vector<int8_t> want(600);
  for (int i = 0; i < 600; ++i) {
    x[i] = static_cast<int8_t>(i % 256 - 128);
    y[i] = static_cast<int8_t>((i * 7) % 256 - 128);
    want[i] = static_cast<int8_t>(std::clamp(x[i] + y[i], -128, 127));
  }
  const auto result = testing::run_model(model(c), {{BuiltinOp::kAdd, &cortex_m::add()}},
                                         {testing::bytes_of(x), testing::bytes_of(y)});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(testing::values_of<int8_t>(result.outputs[0]), want);
}

TEST(CortexMAdd, MatchesReferenceOnSameShapeInt8) {
  std::mt19937 rng(31337);
  for (int i = 0; i < 300; ++i) {
    expect_same_as_reference(random_case(rng, DataType::kInt8, false), rng);
    if (HasFatalFailure()) return;
  }
}

TEST(CortexMAdd, BroadcastsAndOtherTypesMatchReference) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 200; ++i) {
    const DataType types[] = {DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kFloat32};
    expect_same_as_reference(random_case(rng, types[i % 4], i % 3 != 0), rng);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace edgeinfer
