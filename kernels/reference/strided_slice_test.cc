#include "kernels/reference/strided_slice.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;
using reference::StridedSliceParams;

struct Spec {
  std::vector<int64_t> begin, end, strides;
  int32_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
  bool offset = false;

  StridedSliceParams params() const {
    StridedSliceParams p;
    p.count = static_cast<int32_t>(begin.size());
    for (size_t i = 0; i < begin.size(); ++i) {
      p.begin[i] = begin[i];
      p.end[i] = end[i];
      p.strides[i] = strides[i];
    }
    p.begin_mask = begin_mask;
    p.end_mask = end_mask;
    p.ellipsis_mask = ellipsis_mask;
    p.new_axis_mask = new_axis_mask;
    p.shrink_axis_mask = shrink_axis_mask;
    p.offset = offset;
    return p;
  }
};

// Slices 0, 1, 2, ... of `input_dims` with `spec` through the pure functions; checks the shape.
std::vector<int32_t> slice_iota(const std::vector<int32_t>& input_dims, const Spec& spec,
                                const std::vector<int32_t>& expected_shape) {
  return copy_iota(
      make_shape(input_dims),
      [&](const Shape& input, Shape* output, StridedCopy* plan) {
        return reference::strided_slice_plan(spec.params(), input, output, plan);
      },
      expected_shape);
}

StatusCode plan_error(const std::vector<int32_t>& input_dims, const Spec& spec) {
  Shape output;
  StridedCopy plan;
  return reference::strided_slice_plan(spec.params(), make_shape(input_dims), &output, &plan).code();
}

using V = std::vector<int32_t>;

TEST(StridedSlicePlan, Basic) {
  EXPECT_EQ(slice_iota({4}, {{1}, {3}, {1}}, {2}), (V{1, 2}));
  EXPECT_EQ(slice_iota({8}, {{0}, {8}, {3}}, {3}), (V{0, 3, 6}));
  EXPECT_EQ(slice_iota({8}, {{1}, {7}, {3}}, {2}), (V{1, 4}));
}

TEST(StridedSlicePlan, NegativeIndicesAndClamping) {
  EXPECT_EQ(slice_iota({4}, {{-3}, {-1}, {1}}, {2}), (V{1, 2}));
  EXPECT_EQ(slice_iota({4}, {{-10}, {10}, {1}}, {4}), (V{0, 1, 2, 3}));
  EXPECT_EQ(slice_iota({4}, {{3}, {1}, {1}}, {0}), V{});
}

TEST(StridedSlicePlan, NegativeStrides) {
  EXPECT_EQ(slice_iota({4}, {{3}, {0}, {-1}}, {3}), (V{3, 2, 1}));
  Spec all_reversed{{0}, {0}, {-1}};
  all_reversed.begin_mask = all_reversed.end_mask = 1;
  EXPECT_EQ(slice_iota({4}, all_reversed, {4}), (V{3, 2, 1, 0}));
  EXPECT_EQ(slice_iota({5}, {{-1}, {-10}, {-2}}, {3}), (V{4, 2, 0}));
  EXPECT_EQ(slice_iota({2, 3}, {{0, 2}, {2, -4}, {1, -1}}, {2, 3}), (V{2, 1, 0, 5, 4, 3}));
}

TEST(StridedSlicePlan, BeginAndEndMasks) {
  Spec spec{{1, 5}, {1, 2}, {1, 1}};
  spec.begin_mask = 0b10;  // dimension 1 from its start
  spec.end_mask = 0b01;    // dimension 0 to its end
  EXPECT_EQ(slice_iota({3, 4}, spec, {2, 2}), (V{4, 5, 8, 9}));
}

TEST(StridedSlicePlan, ShrinkAxis) {
  Spec row{{1, 0}, {2, 3}, {1, 1}};
  row.shrink_axis_mask = 1;
  EXPECT_EQ(slice_iota({2, 3}, row, {3}), (V{3, 4, 5}));
  Spec last_column{{0, -1}, {2, 0}, {1, 1}};
  last_column.shrink_axis_mask = 2;  // end is ignored for a shrunk axis
  EXPECT_EQ(slice_iota({2, 3}, last_column, {2}), (V{2, 5}));
  Spec scalar{{1, 2}, {0, 0}, {1, 1}};
  scalar.shrink_axis_mask = 3;
  EXPECT_EQ(slice_iota({2, 3}, scalar, {}), (V{5}));
  // A negative stride still selects the named element (TensorFlow's meaning).
  Spec reversed{{-1}, {0}, {-1}};
  reversed.shrink_axis_mask = 1;
  EXPECT_EQ(slice_iota({4}, reversed, {}), (V{3}));
  // An index below the dimension is clamped to 0 for a positive stride, as TensorFlow Lite does.
  Spec below{{-5}, {0}, {1}};
  below.shrink_axis_mask = 1;
  EXPECT_EQ(slice_iota({4}, below, {}), (V{0}));
}

TEST(StridedSlicePlan, EllipsisAtTheFront) {
  Spec spec{{0, 1}, {0, 3}, {1, 1}};  // [..., 1:3]
  spec.ellipsis_mask = 1;
  EXPECT_EQ(slice_iota({2, 3, 4}, spec, {2, 3, 2}), (V{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22}));
}

TEST(StridedSlicePlan, EllipsisInTheMiddle) {
  Spec spec{{1, 0, 0}, {2, 0, 1}, {1, 1, 1}};  // [1, ..., 0]
  spec.ellipsis_mask = 2;
  spec.shrink_axis_mask = 5;
  EXPECT_EQ(slice_iota({2, 3, 4}, spec, {3}), (V{12, 16, 20}));
}

TEST(StridedSlicePlan, NewAxis) {
  Spec spec{{0, 0, 1}, {1, 2, 3}, {1, 1, 1}};  // [newaxis, 0:2, 1:3]
  spec.new_axis_mask = 1;
  EXPECT_EQ(slice_iota({2, 3}, spec, {1, 2, 2}), (V{1, 2, 4, 5}));
  Spec middle{{0, 0, 2}, {2, 0, 3}, {1, 1, 1}};  // [:, newaxis, 2:3]
  middle.new_axis_mask = 2;
  EXPECT_EQ(slice_iota({2, 3}, middle, {2, 1, 1}), (V{2, 5}));
}

TEST(StridedSlicePlan, Offset) {
  Spec spec{{1, 0}, {3, 2}, {1, 1}};  // end counts from begin
  spec.offset = true;
  EXPECT_EQ(slice_iota({5, 2}, spec, {3, 2}), (V{2, 3, 4, 5, 6, 7}));
  Spec negative_begin{{-2}, {2}, {1}};
  negative_begin.offset = true;
  EXPECT_EQ(slice_iota({5}, negative_begin, {2}), (V{3, 4}));
}

TEST(StridedSlicePlan, SixDimensions) {
  Spec spec{{0, 1, 0, 0, 0, 1}, {1, 2, 2, 1, 1, 3}, {1, 1, 1, 1, 1, 1}};
  EXPECT_EQ(slice_iota({1, 2, 2, 1, 1, 3}, spec, {1, 1, 2, 1, 1, 2}), (V{7, 8, 10, 11}));
}

TEST(StridedSlicePlan, Errors) {
  EXPECT_EQ(plan_error({4}, {{0}, {4}, {0}}), StatusCode::kInvalidModel);  // zero stride
  Spec out_of_range{{4}, {5}, {1}};
  out_of_range.shrink_axis_mask = 1;
  EXPECT_EQ(plan_error({4}, out_of_range), StatusCode::kInvalidModel);
  Spec below_reversed{{-5}, {0}, {-1}};  // clamped to -1 for a negative stride
  below_reversed.shrink_axis_mask = 1;
  EXPECT_EQ(plan_error({4}, below_reversed), StatusCode::kInvalidModel);
  Spec too_many{{0, 0}, {1, 1}, {1, 1}};
  too_many.new_axis_mask = 3;
  EXPECT_EQ(plan_error({1, 1, 1, 1, 1}, too_many), StatusCode::kUnsupported);
}

// Like TensorFlow Lite: entries beyond the input's rank are ignored, missing ones select whole dimensions.
TEST(StridedSlicePlan, EntryCountDiffersFromRank) {
  EXPECT_EQ(slice_iota({4}, {{1, 0}, {2, 1}, {1, 1}}, {1}), (V{1}));
  EXPECT_EQ(slice_iota({2, 3}, {{1}, {2}, {1}}, {1, 3}), (V{3, 4, 5}));
}

// One STRIDED_SLICE op with constant begin/end/strides.
struct SliceModel {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> in_shape;
  Spec spec;
  std::vector<int32_t> out_shape;
  bool constant_begin = true;

  std::vector<uint8_t> build() const {
    ModelBuilder b;
    const int in = b.add_tensor(type, in_shape);
    const int n = static_cast<int>(spec.begin.size());
    const auto to32 = [](const std::vector<int64_t>& v) { return std::vector<int32_t>(v.begin(), v.end()); };
    const int begin = constant_begin ? b.add_constant<int32_t>(DataType::kInt32, {n}, to32(spec.begin))
                                     : b.add_tensor(DataType::kInt32, {n});
    const int end = b.add_constant<int32_t>(DataType::kInt32, {n}, to32(spec.end));
    const int strides = b.add_constant<int32_t>(DataType::kInt32, {n}, to32(spec.strides));
    const int out = b.add_tensor(type, out_shape);
    const Spec s = spec;
    b.add_op(BuiltinOp::kStridedSlice, {in, begin, end, strides}, {out},
             tflite::BuiltinOptions::StridedSliceOptions, [s](flatbuffers::FlatBufferBuilder& fbb) {
               return tflite::CreateStridedSliceOptions(fbb, s.begin_mask, s.end_mask, s.ellipsis_mask,
                                                        s.new_axis_mask, s.shrink_axis_mask, s.offset)
                   .Union();
             });
    b.set_inputs(constant_begin ? std::vector<int>{in} : std::vector<int>{in, begin});
    b.set_outputs({out});
    return b.finish();
  }
};

RunResult run_slice(const SliceModel& m, const std::vector<uint8_t>& input) {
  return run_model(m.build(), {{BuiltinOp::kStridedSlice, &reference::strided_slice()}}, {input});
}

TEST(StridedSlice, Float2D) {
  SliceModel m{DataType::kFloat32, {3, 4}, {{1, -1}, {3, 0}, {1, -2}}, {2, 2}};
  auto r = run_slice(m, bytes_of<float>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{7, 5, 11, 9}));
}

TEST(StridedSlice, Int8WithShrink) {
  Spec spec{{0, 1}, {0, 2}, {1, 1}};
  spec.begin_mask = spec.end_mask = 1;
  spec.shrink_axis_mask = 2;
  SliceModel m{DataType::kInt8, {2, 3}, spec, {2}};
  auto r = run_slice(m, bytes_of<int8_t>({-1, -2, -3, 4, 5, 6}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{-2, 5}));
}

TEST(StridedSlice, Int16FiveDimensions) {
  SliceModel m{DataType::kInt16,
               {2, 1, 2, 1, 2},
               {{1, 0, 0, 0, 1}, {2, 1, 2, 1, 2}, {1, 1, 1, 1, 1}},
               {1, 1, 2, 1, 1}};
  auto r = run_slice(m, bytes_of<int16_t>({0, 1, 2, 3, 4, 5, 6, 7}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int16_t>(r.outputs[0]), (std::vector<int16_t>{5, 7}));
}

TEST(StridedSlice, Int32WithNewAxisAndOffset) {
  Spec spec{{0, 1}, {0, 2}, {1, 1}};
  spec.new_axis_mask = 1;
  spec.offset = true;
  SliceModel m{DataType::kInt32, {4}, spec, {1, 2}};
  auto r = run_slice(m, bytes_of<int32_t>({10, 20, 30, 40}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{20, 30}));
}

TEST(StridedSliceErrors, OutputShapeMismatch) {
  SliceModel m{DataType::kFloat32, {4}, {{0}, {4}, {2}}, {3}};
  expect_error(run_slice(m, bytes_of<float>({1, 2, 3, 4})), StatusCode::kInvalidModel, "expected [2]");
}

TEST(StridedSliceErrors, ZeroStride) {
  SliceModel m{DataType::kFloat32, {4}, {{0}, {4}, {0}}, {4}};
  expect_error(run_slice(m, bytes_of<float>({1, 2, 3, 4})), StatusCode::kInvalidModel, "stride");
}

TEST(StridedSliceErrors, NonConstantBegin) {
  SliceModel m{DataType::kFloat32, {4}, {{0}, {4}, {1}}, {4}};
  m.constant_begin = false;
  auto r = run_model(m.build(), {{BuiltinOp::kStridedSlice, &reference::strided_slice()}},
                     {bytes_of<float>({1, 2, 3, 4}), bytes_of<int32_t>({0})});
  expect_error(r, StatusCode::kUnsupported, "constant");
}

TEST(StridedSliceErrors, ShrinkIndexOutOfRange) {
  Spec spec{{7}, {8}, {1}};
  spec.shrink_axis_mask = 1;
  SliceModel m{DataType::kFloat32, {4}, spec, {}};
  expect_error(run_slice(m, bytes_of<float>({1, 2, 3, 4})), StatusCode::kInvalidModel, "outside");
}

TEST(StridedSliceErrors, EntryCountsDiffer) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {2, 2});
  const int begin = b.add_constant<int32_t>(DataType::kInt32, {2}, {0, 0});
  const int end = b.add_constant<int32_t>(DataType::kInt32, {1}, {1});
  const int strides = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 1});
  const int out = b.add_tensor(DataType::kFloat32, {1, 2});
  b.add_op(BuiltinOp::kStridedSlice, {in, begin, end, strides}, {out},
           tflite::BuiltinOptions::StridedSliceOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), {{BuiltinOp::kStridedSlice, &reference::strided_slice()}},
                         {bytes_of<float>({1, 2, 3, 4})}),
               StatusCode::kInvalidModel, "entries");
}

// The int16 STRIDED_SLICE cases of TFLM's SEANet conformance suite must match their goldens exactly.
TEST(StridedSliceConformance, SeanetInt16) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(expect_seanet_cases(shared / "conformance" / "seanet" / "strided_slice", "strided_slice",
                                {{BuiltinOp::kStridedSlice, &reference::strided_slice()}}),
            34);
}

}  // namespace
}  // namespace edgeinfer::testing
