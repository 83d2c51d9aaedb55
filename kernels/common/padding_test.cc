#include "kernels/common/padding.h"

#include <gtest/gtest.h>

#include <string>

namespace edgeinfer {
namespace {

TEST(ComputeOutSize, SameIsCeilOfInputOverStride) {
  EXPECT_EQ(compute_out_size(PaddingType::kSame, 10, 3, 1), 10);
  EXPECT_EQ(compute_out_size(PaddingType::kSame, 10, 3, 3), 4);
  EXPECT_EQ(compute_out_size(PaddingType::kSame, 9, 3, 3), 3);
  EXPECT_EQ(compute_out_size(PaddingType::kSame, 1, 7, 2, 4), 1);  // filter and dilation do not matter
}

TEST(ComputeOutSize, ValidFitsTheDilatedFilter) {
  EXPECT_EQ(compute_out_size(PaddingType::kValid, 10, 3, 1), 8);
  EXPECT_EQ(compute_out_size(PaddingType::kValid, 10, 3, 2), 4);     // windows at 0, 2, 4, 6
  EXPECT_EQ(compute_out_size(PaddingType::kValid, 10, 3, 1, 2), 6);  // effective filter 5
  EXPECT_EQ(compute_out_size(PaddingType::kValid, 10, 3, 3, 4), 1);  // effective filter 9
  EXPECT_LE(compute_out_size(PaddingType::kValid, 4, 5, 1), 0);      // filter larger than the input
  EXPECT_EQ(compute_out_size(PaddingType::kValid, 10, 3, 0), 0);     // no stride: no output
}

TEST(ComputePaddingWithOffset, SplitsOddTotalsWithTheExtraAfter) {
  int64_t offset = -1;
  // Total (10-1)*1 + 3 - 10 = 2: one on each side.
  EXPECT_EQ(compute_padding_with_offset(1, 1, 10, 3, 10, &offset), 1);
  EXPECT_EQ(offset, 0);
  // Total (4-1)*3 + 3 - 10 = 2 ... and (5-1)*2 + 2 - 9 = 1: none before, one after.
  EXPECT_EQ(compute_padding_with_offset(3, 1, 10, 3, 4, &offset), 1);
  EXPECT_EQ(offset, 0);
  EXPECT_EQ(compute_padding_with_offset(2, 1, 9, 2, 5, &offset), 0);
  EXPECT_EQ(offset, 1);
  // Dilated: (10-1)*1 + 5 - 10 = 4.
  EXPECT_EQ(compute_padding_with_offset(1, 2, 10, 3, 10, &offset), 2);
  EXPECT_EQ(offset, 0);
  // VALID-like negative totals clamp to zero.
  EXPECT_EQ(compute_padding_with_offset(1, 1, 10, 3, 8, &offset), 0);
  EXPECT_EQ(offset, 0);
}

Window2D window(PaddingType padding, int in_h, int in_w, int filter_h, int filter_w, int stride_h = 1,
                int stride_w = 1, int dilation_h = 1, int dilation_w = 1) {
  Window2D w;
  w.padding = padding;
  w.in_height = in_h;
  w.in_width = in_w;
  w.filter_height = filter_h;
  w.filter_width = filter_w;
  w.stride_height = stride_h;
  w.stride_width = stride_w;
  w.dilation_height = dilation_h;
  w.dilation_width = dilation_w;
  return w;
}

TEST(ComputePadding2D, HeightAndWidthIndependently) {
  Padding2D p;
  ASSERT_TRUE(compute_padding_2d(window(PaddingType::kSame, 9, 10, 2, 3, 2, 3), &p).is_ok());
  EXPECT_EQ(p.out_height, 5);
  EXPECT_EQ(p.out_width, 4);
  EXPECT_EQ(p.height, 0);  // total (5-1)*2 + 2 - 9 = 1
  EXPECT_EQ(p.height_offset, 1);
  EXPECT_EQ(p.width, 1);  // total (4-1)*3 + 3 - 10 = 2
  EXPECT_EQ(p.width_offset, 0);

  ASSERT_TRUE(compute_padding_2d(window(PaddingType::kValid, 7, 7, 3, 3, 2, 2, 2, 1), &p).is_ok());
  EXPECT_EQ(p.out_height, 2);  // effective filter 5
  EXPECT_EQ(p.out_width, 3);
  EXPECT_EQ(p.height, 0);
  EXPECT_EQ(p.width, 0);
}

void expect_error(const Window2D& w, StatusCode code, const char* fragment) {
  Padding2D p;
  const Status status = compute_padding_2d(w, &p);
  EXPECT_EQ(status.code(), code) << status.message();
  EXPECT_NE(std::string(status.message()).find(fragment), std::string::npos) << status.message();
}

TEST(ComputePadding2D, RejectsInvalidWindows) {
  expect_error(window(PaddingType::kSame, 4, 4, 2, 2, 0, 1), StatusCode::kInvalidModel,
               "strides must be >= 1");
  expect_error(window(PaddingType::kSame, 4, 4, 2, 2, 1, 1, 1, -1), StatusCode::kInvalidModel,
               "dilations must be >= 1");
  expect_error(window(PaddingType::kSame, 0, 4, 2, 2), StatusCode::kInvalidModel, "must be positive");
  expect_error(window(PaddingType::kValid, 4, 4, 3, 3, 1, 1, 2, 1), StatusCode::kInvalidModel,
               "empty output");
  expect_error(window(static_cast<PaddingType>(2), 4, 4, 2, 2), StatusCode::kInvalidModel, "unknown padding");
  // Sizes whose index arithmetic would overflow int32 in the kernels.
  expect_error(window(PaddingType::kSame, 4, 4, 3, 3, 1, 1, 1 << 30, 1), StatusCode::kUnsupported,
               "too large");
  expect_error(window(PaddingType::kValid, 1 << 30, 4, 1, 1), StatusCode::kUnsupported, "too large");
}

}  // namespace
}  // namespace edgeinfer
