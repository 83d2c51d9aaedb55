#include "kernels/reference/resize_nearest_neighbor.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using reference::ResizeNearestNeighborParams;

std::vector<int32_t> indices(int32_t in, int32_t out, bool align_corners, bool half_pixel_centers) {
  ResizeNearestNeighborParams params;
  params.align_corners = align_corners;
  params.half_pixel_centers = half_pixel_centers;
  std::vector<int32_t> result;
  for (int32_t o = 0; o < out; ++o) result.push_back(reference::nearest_neighbor_index(o, in, out, params));
  return result;
}

using V = std::vector<int32_t>;

// Expected indices computed by hand with single-precision scale and products.
TEST(NearestNeighborIndex, AllOptionCombinations) {
  EXPECT_EQ(indices(3, 5, false, false), (V{0, 0, 1, 1, 2}));
  EXPECT_EQ(indices(3, 5, false, true), (V{0, 0, 1, 2, 2}));
  EXPECT_EQ(indices(3, 5, true, false), (V{0, 1, 1, 2, 2}));  // halves round away from zero
  EXPECT_EQ(indices(3, 5, true, true), (V{0, 1, 1, 2, 2}));
  EXPECT_EQ(indices(5, 2, false, false), (V{0, 2}));
  EXPECT_EQ(indices(5, 2, false, true), (V{1, 3}));
  EXPECT_EQ(indices(5, 2, true, false), (V{0, 4}));
  EXPECT_EQ(indices(5, 2, true, true), (V{2, 4}));
  EXPECT_EQ(indices(2, 6, true, true), (V{0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(indices(3, 1, true, false), (V{0}));
  EXPECT_EQ(indices(3, 1, true, true), (V{2}));
  EXPECT_EQ(indices(4, 7, false, true), (V{0, 0, 1, 2, 2, 3, 3}));
}

TEST(ResizeNearestNeighborData, CopiesWholePixels) {
  // [1, 2, 2, 2] -> [1, 3, 3, 2] without options: rows/columns 0, 0, 1.
  const std::vector<int16_t> in = {1, 2, 3, 4, 5, 6, 7, 8};
  Shape in_shape, out_shape;
  in_shape.rank = out_shape.rank = 4;
  const int32_t in_dims[] = {1, 2, 2, 2}, out_dims[] = {1, 3, 3, 2};
  for (int i = 0; i < 4; ++i) {
    in_shape.dims[i] = in_dims[i];
    out_shape.dims[i] = out_dims[i];
  }
  std::vector<int16_t> out(18, 0);
  reference::resize_nearest_neighbor_data({}, in_shape, in.data(), out_shape, 2, out.data());
  EXPECT_EQ(out, (std::vector<int16_t>{1, 2, 1, 2, 3, 4, 1, 2, 1, 2, 3, 4, 5, 6, 5, 6, 7, 8}));
}

std::vector<uint8_t> resize_model(DataType type, std::vector<int32_t> in_shape, std::vector<int32_t> size,
                                  std::vector<int32_t> out_shape, bool align_corners, bool half_pixel_centers,
                                  bool constant_size = true) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape);
  const int s = constant_size
                    ? b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(size.size())}, size)
                    : b.add_tensor(DataType::kInt32, {static_cast<int32_t>(size.size())});
  const int out = b.add_tensor(type, out_shape);
  b.add_op(
      BuiltinOp::kResizeNearestNeighbor, {in, s}, {out}, tflite::BuiltinOptions::ResizeNearestNeighborOptions,
      [align_corners, half_pixel_centers](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateResizeNearestNeighborOptions(fbb, align_corners, half_pixel_centers).Union();
      });
  b.set_inputs(constant_size ? std::vector<int>{in} : std::vector<int>{in, s});
  b.set_outputs({out});
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kResizeNearestNeighbor, &reference::resize_nearest_neighbor()}};

TEST(ResizeNearestNeighbor, Int8UpsampleTwoBatches) {
  // Width 2 -> 3 (columns 0, 0, 1), height 1 -> 2 (rows 0, 0).
  auto r = run_model(resize_model(DataType::kInt8, {2, 1, 2, 1}, {2, 3}, {2, 2, 3, 1}, false, false),
                     kKernels, {bytes_of<int8_t>({1, 2, -3, -4})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{1, 1, 2, 1, 1, 2, -3, -3, -4, -3, -3, -4}));
}

TEST(ResizeNearestNeighbor, FloatHalfPixelDownsample) {
  // Width 5 -> 2 with half-pixel centers picks columns 1 and 3.
  auto r = run_model(resize_model(DataType::kFloat32, {1, 1, 5, 1}, {1, 2}, {1, 1, 2, 1}, false, true),
                     kKernels, {bytes_of<float>({0.5f, 1.5f, 2.5f, 3.5f, 4.5f})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1.5f, 3.5f}));
}

TEST(ResizeNearestNeighbor, Int16AlignCorners) {
  // Height 3 -> 5 with aligned corners picks rows 0, 1, 1, 2, 2.
  auto r = run_model(resize_model(DataType::kInt16, {1, 3, 1, 1}, {5, 1}, {1, 5, 1, 1}, true, false),
                     kKernels, {bytes_of<int16_t>({10, 20, 30})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int16_t>(r.outputs[0]), (std::vector<int16_t>{10, 20, 20, 30, 30}));
}

TEST(ResizeNearestNeighborErrors, BadModels) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({1, 2, 3, 4})};
  expect_error(run_model(resize_model(DataType::kFloat32, {1, 2, 2, 1}, {3, 3}, {1, 3, 2, 1}, false, false),
                         kKernels, in),
               StatusCode::kInvalidModel, "expected [1,3,3,1]");
  expect_error(
      run_model(resize_model(DataType::kFloat32, {2, 2}, {2, 2}, {2, 2}, false, false), kKernels, in),
      StatusCode::kInvalidModel, "rank 2");
  expect_error(
      run_model(resize_model(DataType::kFloat32, {1, 2, 2, 1}, {2, 2, 1}, {1, 2, 2, 1}, false, false),
                kKernels, in),
      StatusCode::kInvalidModel, "shape [2]");
  expect_error(
      run_model(resize_model(DataType::kFloat32, {1, 2, 2, 1}, {2, 2}, {1, 2, 2, 1}, false, false, false),
                kKernels, {in[0], bytes_of<int32_t>({2, 2})}),
      StatusCode::kUnsupported, "constant");
}

}  // namespace
}  // namespace edgeinfer::testing
