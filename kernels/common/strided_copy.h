// The one N-d element copy behind every data-movement kernel (transpose, slices, concatenation, split,
// pack/unpack, pad): each of them is a walk over an index space that reads the source and writes the
// destination at affine offsets. Values are moved as raw bytes, so float data keeps its exact bits and one
// instance serves every element type of the same size.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/tensor.h"

namespace edgeinfer {

// Copies element `dst_offset + sum(i[k] * dst_strides[k])` = element `src_offset + sum(i[k] *
// src_strides[k])` for every index i in [0, dims[0]) x ... x [0, dims[rank - 1]), in row-major order of i.
// Offsets and strides count elements and may be negative (reversed walks). rank 0 copies one element.
struct StridedCopy {
  int32_t rank = 0;
  int32_t dims[kMaxRank] = {};
  int64_t src_offset = 0;
  int64_t src_strides[kMaxRank] = {};
  int64_t dst_offset = 0;
  int64_t dst_strides[kMaxRank] = {};

  int64_t num_elements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
};

// Row-major element strides of `shape` (the last dimension has stride 1).
void row_major_strides(const Shape& shape, int64_t* strides);

// A plan copying a whole tensor of `shape` from a dense source into a dense destination (both row-major).
StridedCopy dense_copy_plan(const Shape& shape);

// Copies a dense `block` into its place in a dense `whole` of the same shape except along `axis`, where the
// block starts at index `offset` (concatenation, pack). Reversed, it extracts the block (split, unpack).
StridedCopy block_into_plan(const Shape& block, const Shape& whole, int axis, int64_t offset);

// The same walk with source and destination exchanged.
StridedCopy reversed_plan(const StridedCopy& plan);

// True when every element `plan` reads lies in [0, src_elements) and every element it writes lies in
// [0, dst_elements). Kernels check their plans with it in prepare(), so eval() cannot go out of bounds.
bool strided_copy_in_bounds(const StridedCopy& plan, int64_t src_elements, int64_t dst_elements);

// Runs `plan` on elements of `element_bytes` bytes. Source and destination must not overlap.
void strided_copy(const StridedCopy& plan, size_t element_bytes, const void* src, void* dst);

// Writes `count` copies of the element at `value` (element_bytes long) to `dst`.
void fill_elements(void* dst, int64_t count, size_t element_bytes, const void* value);

}  // namespace edgeinfer
