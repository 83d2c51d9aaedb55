#include "kernels/reference/cast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

TEST(CastFunction, FloatToIntegerTruncatesThenWraps) {
  EXPECT_EQ(reference::cast_value<int32_t>(2.9f), 2);
  EXPECT_EQ(reference::cast_value<int32_t>(-2.9f), -2);
  EXPECT_EQ(reference::cast_value<int8_t>(200.0f), -56);  // through int32, then wrapped like TFLM's builds
  EXPECT_EQ(reference::cast_value<uint8_t>(-1.0f), 255);
  EXPECT_EQ(reference::cast_value<int16_t>(40000.5f), -25536);
  EXPECT_EQ(reference::cast_value<int32_t>(3e9f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(reference::cast_value<int32_t>(-3e9f), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(reference::cast_value<uint32_t>(3e9f), 3000000000u);
  EXPECT_EQ(reference::cast_value<uint32_t>(-1.0f), 0xFFFFFFFFu);
  EXPECT_EQ(reference::cast_value<int64_t>(-1e30f), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(reference::cast_value<int32_t>(std::numeric_limits<float>::quiet_NaN()), 0);
}

TEST(CastFunction, IntegersWrapAndConvertToFloat) {
  EXPECT_EQ(reference::cast_value<int8_t>(int32_t{300}), 44);
  EXPECT_EQ(reference::cast_value<uint32_t>(int32_t{-1}), 0xFFFFFFFFu);
  EXPECT_EQ(reference::cast_value<int32_t>(uint32_t{0x80000000u}), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(reference::cast_value<float>(int32_t{16777217}), 16777216.0f);  // rounds to nearest float
  EXPECT_EQ(reference::cast_value<float>(int16_t{-3}), -3.0f);
}

TEST(CastFunction, Bools) {
  const float in[] = {0.0f, -0.0f, 0.5f, std::numeric_limits<float>::quiet_NaN()};
  uint8_t out[4];
  reference::cast_to_bool(in, 4, out);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), (std::vector<uint8_t>{0, 0, 1, 1}));
  const uint8_t bools[] = {0, 1, 7};
  int32_t ints[3];
  reference::cast_from_bool(bools, 3, ints);
  EXPECT_EQ(std::vector<int32_t>(ints, ints + 3), (std::vector<int32_t>{0, 1, 1}));
}

std::vector<uint8_t> cast_model(DataType in, DataType out, std::vector<int32_t> shape,
                                std::vector<int32_t> out_shape = {}) {
  return single_op_model(BuiltinOp::kCast, {{in, shape}}, {out, out_shape.empty() ? shape : out_shape},
                         tflite::BuiltinOptions::CastOptions, nullptr);
}

RunResult run_cast(const std::vector<uint8_t>& model, std::vector<uint8_t> input) {
  return run_model(model, {{BuiltinOp::kCast, &reference::cast()}}, {input});
}

TEST(CastKernel, AudioFrontEndConversions) {
  // uint32 <-> int32 and int16 -> float32 / int32 / int32 -> int8, as in TFLM's audio preprocessor models.
  auto result =
      run_cast(cast_model(DataType::kUInt32, DataType::kInt32, {3}), bytes_of<uint32_t>({0, 5, 0xFFFFFFFEu}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{0, 5, -2}));
  result = run_cast(cast_model(DataType::kInt32, DataType::kUInt32, {2}), bytes_of<int32_t>({-2, 7}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<uint32_t>(result.outputs[0]), (std::vector<uint32_t>{0xFFFFFFFEu, 7}));
  result =
      run_cast(cast_model(DataType::kInt16, DataType::kFloat32, {1, 3}), bytes_of<int16_t>({-32768, 0, 17}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{-32768, 0, 17}));
  result = run_cast(cast_model(DataType::kInt32, DataType::kInt8, {3}), bytes_of<int32_t>({-129, 127, 128}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), (std::vector<int8_t>{127, 127, -128}));
}

// The int8 model's log-mel CAST: int16 -> int32 sign-extends.
TEST(CastKernel, Int16ToInt32SignExtends) {
  const auto result = run_cast(cast_model(DataType::kInt16, DataType::kInt32, {4}),
                               bytes_of<int16_t>({663, -1, -32768, 32767}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{663, -1, -32768, 32767}));
}

TEST(CastKernel, EveryTypePairRunsASmallValue) {
  const DataType types[] = {DataType::kBool,   DataType::kInt8,   DataType::kUInt8,
                            DataType::kInt16,  DataType::kUInt16, DataType::kInt32,
                            DataType::kUInt32, DataType::kInt64,  DataType::kFloat32};
  for (DataType in : types) {
    for (DataType out : types) {
      SCOPED_TRACE(std::string(data_type_name(in)) + " -> " + data_type_name(out));
      // The value 1 (and 0) in every input type; both must come out as 1 and 0 in every output type.
      std::vector<uint8_t> input(2 * data_type_size(in), 0);
      if (in == DataType::kFloat32) {
        const float one = 1.0f;
        std::memcpy(input.data() + data_type_size(in), &one, sizeof(one));
      } else {
        input[data_type_size(in)] = 1;  // little-endian 1
      }
      const auto result = run_cast(cast_model(in, out, {2}), input);
      ASSERT_TRUE(result.status.is_ok()) << result.status.message();
      std::vector<uint8_t> expected(2 * data_type_size(out), 0);
      if (out == DataType::kFloat32) {
        const float one = 1.0f;
        std::memcpy(expected.data() + data_type_size(out), &one, sizeof(one));
      } else {
        expected[data_type_size(out)] = 1;
      }
      EXPECT_EQ(result.outputs[0], expected);
    }
  }
}

TEST(CastKernel, RejectsUnsupportedOrMalformed) {
  expect_error(run_cast(cast_model(DataType::kFloat16, DataType::kFloat32, {2}), {0, 0, 0, 0}),
               StatusCode::kUnsupported, "CAST from float16 to float32");
  expect_error(run_cast(cast_model(DataType::kInt8, DataType::kInt16, {4}, {2}), {0, 0, 0, 0}),
               StatusCode::kInvalidModel, "input has 4 elements, output 2");
}

}  // namespace
}  // namespace edgeinfer::testing
