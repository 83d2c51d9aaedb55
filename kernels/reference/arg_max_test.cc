#include "kernels/reference/arg_max.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

TEST(ArgMaxFunction, FirstIndexOfMaximumAlongMiddleAxis) {
  // [2, 3, 2] along axis 1.
  const std::vector<int8_t> in = {1,  9,  5,  9,  5,  0,  // batch 0: columns (1,5,5) and (9,9,0)
                                  -3, -1, -2, -1, -3, -1};
  std::vector<int32_t> out(4);
  reference::arg_max_int8({2, 3, 2}, in.data(), out.data());
  // Ties keep the first index.
  EXPECT_EQ(out, (std::vector<int32_t>{1, 0, 1, 0}));
}

TEST(ArgMaxFunction, FloatNaNNeverReplaces) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> in = {1.0f, nan, 3.0f, nan, 2.0f, -1.0f};
  std::vector<int64_t> out(2);
  reference::arg_max_float({2, 3, 1}, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{2, 0}));
}

std::vector<uint8_t> arg_max_model(DataType in_type, std::vector<int32_t> in_shape, DataType out_type,
                                   std::vector<int32_t> out_shape, int32_t axis,
                                   DataType axis_type = DataType::kInt32) {
  ModelBuilder b;
  const QuantParams q = in_type == DataType::kFloat32 ? QuantParams{} : QuantParams::per_tensor(0.1f, 0);
  const int in = b.add_tensor(in_type, in_shape, q);
  const int ax = axis_type == DataType::kInt32 ? b.add_constant<int32_t>(DataType::kInt32, {1}, {axis})
                                               : b.add_constant<int64_t>(DataType::kInt64, {1}, {axis});
  const int out = b.add_tensor(out_type, out_shape);
  const auto tensor_type =
      out_type == DataType::kInt32 ? tflite::TensorType::INT32 : tflite::TensorType::INT64;
  b.add_op(BuiltinOp::kArgMax, {in, ax}, {out}, tflite::BuiltinOptions::ArgMaxOptions,
           [tensor_type](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateArgMaxOptions(fbb, tensor_type).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// Brute-force argmax by explicit index arithmetic.
template <class T>
std::vector<int64_t> brute_arg_max(const std::vector<T>& in, const std::vector<int32_t>& shape, int axis) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  std::vector<int64_t> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 0; k < shape[axis]; ++k)
        if (in[(o * shape[axis] + k) * inner + i] > in[(o * shape[axis] + best) * inner + i]) best = k;
      out.push_back(best);
    }
  return out;
}

template <class T>
void check_type(DataType type) {
  const std::vector<std::vector<int32_t>> shapes = {{10}, {3, 7}, {2, 3, 4}, {1, 1, 5, 6}, {2, 2, 2, 3, 2}};
  for (const auto& shape : shapes) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    const auto input = lcg_values<T>(n, static_cast<uint32_t>(n) * 7);
    for (int axis = 0; axis < static_cast<int>(shape.size()); ++axis) {
      if (shape.size() == 1 && axis > 0) break;
      std::vector<int32_t> out_shape;
      for (size_t d = 0; d < shape.size(); ++d)
        if (static_cast<int>(d) != axis) out_shape.push_back(shape[d]);
      const auto expected = brute_arg_max(input, shape, axis);
      for (DataType out_type : {DataType::kInt32, DataType::kInt64}) {
        // Negative axis for int64 outputs, to cover both spellings.
        const int32_t axis_value =
            out_type == DataType::kInt64 ? axis - static_cast<int>(shape.size()) : axis;
        const auto model = arg_max_model(type, shape, out_type, out_shape, axis_value,
                                         out_type == DataType::kInt64 ? DataType::kInt64 : DataType::kInt32);
        const auto result =
            run_model(model, {{BuiltinOp::kArgMax, &reference::arg_max()}}, {bytes_of(input)});
        ASSERT_TRUE(result.status.is_ok()) << result.status.message();
        std::vector<int64_t> got;
        if (out_type == DataType::kInt32) {
          for (int32_t v : values_of<int32_t>(result.outputs[0])) got.push_back(v);
        } else {
          got = values_of<int64_t>(result.outputs[0]);
        }
        EXPECT_EQ(got, expected) << "rank " << shape.size() << " axis " << axis;
      }
    }
  }
}

TEST(ArgMaxKernel, Float) {
  check_type<float>(DataType::kFloat32);
}
TEST(ArgMaxKernel, Int8) {
  check_type<int8_t>(DataType::kInt8);
}
TEST(ArgMaxKernel, Int16) {
  check_type<int16_t>(DataType::kInt16);
}

TEST(ArgMaxKernel, RejectsBadModels) {
  const std::vector<uint8_t> input(12 * 4);
  expect_error(run_model(arg_max_model(DataType::kFloat32, {3, 4}, DataType::kInt32, {4}, 1),
                         {{BuiltinOp::kArgMax, &reference::arg_max()}}, {input}),
               StatusCode::kInvalidModel, "shape");
  expect_error(run_model(arg_max_model(DataType::kFloat32, {3, 4}, DataType::kInt32, {3}, 2),
                         {{BuiltinOp::kArgMax, &reference::arg_max()}}, {input}),
               StatusCode::kInvalidModel, "axis");
  expect_error(run_model(arg_max_model(DataType::kFloat32, {3, 4}, DataType::kFloat32, {3}, 1),
                         {{BuiltinOp::kArgMax, &reference::arg_max()}}, {input}),
               StatusCode::kUnsupported, "type");
}

}  // namespace
}  // namespace edgeinfer::testing
