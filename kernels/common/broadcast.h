// N-d broadcasting for elementwise ops, with TensorFlow Lite's (NumPy's) rules: shapes are aligned at their
// last dimension, missing leading dimensions count as 1, and a dimension of 1 stretches to the other's size.
//
// Kernels describe the iteration once in prepare() (BinaryBroadcast, stored in op data) and run it in eval()
// with for_each_broadcast(). The description merges dimensions that need no separate loop (e.g. [2,3,4] +
// [2,3,4] is one loop of 24; [1,8,8,16] + [16] is 64 x 16), so eval() spends its time in a plain inner loop.
//
// Element order is the output's row-major order, as in TensorFlow Lite, so the results are the same.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>

#include "edgeinfer/tensor.h"

namespace edgeinfer {

// The broadcast shape of `a` and `b` (rank = max of both ranks). False when some dimension pair is neither
// equal nor has a 1.
inline bool broadcast_shape(const Shape& a, const Shape& b, Shape* out) {
  const int rank = a.rank > b.rank ? a.rank : b.rank;
  if (rank > kMaxRank || a.rank < 0 || b.rank < 0) return false;
  Shape result;
  result.rank = rank;
  for (int i = 1; i <= rank; ++i) {
    const int32_t da = i <= a.rank ? a.dim_from_end(i) : 1;
    const int32_t db = i <= b.rank ? b.dim_from_end(i) : 1;
    if (da != db && da != 1 && db != 1) return false;
    result.dims[rank - i] = da == 1 ? db : da;
  }
  *out = result;
  return true;
}

// Iteration over an output with two (possibly broadcast) inputs. dims[] are the loop extents, outermost
// first; strides1/strides2 the inputs' element strides per loop (0 where the input is broadcast along it).
struct BinaryBroadcast {
  int32_t rank = 1;  // loops, >= 1
  int32_t dims[kMaxRank] = {1};
  int32_t strides1[kMaxRank] = {};
  int32_t strides2[kMaxRank] = {};
  int32_t size = 1;  // output elements
};

namespace broadcast_internal {

// Row-major strides of `input` read at the indices of `output` (rank kMaxRank, leading 1s), 0 along the
// dimensions `input` broadcasts. Requires input.rank <= kMaxRank and dims that are equal or 1.
inline void extended_strides(const Shape& input, const Shape& output, int32_t strides[kMaxRank]) {
  int32_t stride = 1;
  for (int i = 1; i <= kMaxRank; ++i) {
    const int32_t in_dim = i <= input.rank ? input.dim_from_end(i) : 1;
    const int32_t out_dim = i <= output.rank ? output.dim_from_end(i) : 1;
    strides[kMaxRank - i] = (in_dim == 1 && out_dim != 1) ? 0 : stride;
    stride *= in_dim;
  }
}

}  // namespace broadcast_internal

// Describes out = f(in1, in2) with broadcasting. False when the shapes do not broadcast to `output` exactly
// (the caller reports the error), when a dimension is negative, or when the output has more than 2^31 - 1
// elements.
inline bool init_binary_broadcast(const Shape& input1, const Shape& input2, const Shape& output,
                                  BinaryBroadcast* result) {
  for (const Shape* shape : {&input1, &input2, &output}) {
    if (shape->rank < 0 || shape->rank > kMaxRank) return false;
    int64_t elements = 1;  // checked at each step: num_elements() could overflow on absurd shapes
    for (int i = 0; i < shape->rank; ++i) {
      if (shape->dims[i] < 0) return false;
      elements *= shape->dims[i];
      if (elements > std::numeric_limits<int32_t>::max()) return false;
    }
  }
  Shape expected;
  if (!broadcast_shape(input1, input2, &expected) || expected != output) return false;

  int32_t dims[kMaxRank];
  int32_t strides1[kMaxRank];
  int32_t strides2[kMaxRank];
  for (int i = 1; i <= kMaxRank; ++i) dims[kMaxRank - i] = i <= output.rank ? output.dim_from_end(i) : 1;
  broadcast_internal::extended_strides(input1, output, strides1);
  broadcast_internal::extended_strides(input2, output, strides2);

  // Drop unit loops, then merge each loop into the next inner one when both inputs walk them contiguously
  // (stride_outer == stride_inner * dim_inner; true for two broadcast loops too, 0 == 0 * d).
  BinaryBroadcast b;
  b.rank = 0;
  for (int i = 0; i < kMaxRank; ++i) {
    if (dims[i] == 1) continue;
    if (b.rank > 0) {
      const int last = b.rank - 1;
      if (b.strides1[last] == strides1[i] * dims[i] && b.strides2[last] == strides2[i] * dims[i]) {
        b.dims[last] *= dims[i];
        b.strides1[last] = strides1[i];
        b.strides2[last] = strides2[i];
        continue;
      }
    }
    b.dims[b.rank] = dims[i];
    b.strides1[b.rank] = strides1[i];
    b.strides2[b.rank] = strides2[i];
    ++b.rank;
  }
  if (b.rank == 0) {  // every dimension is 1 (or a scalar)
    b.rank = 1;
    b.dims[0] = 1;
    b.strides1[0] = 1;
    b.strides2[0] = 1;
  }
  b.size = static_cast<int32_t>(output.num_elements());  // fits: checked above
  *result = b;
  return true;
}

// Calls f(output_index, input1_index, input2_index) for every output element, in row-major output order.
template <class F>
inline void for_each_broadcast(const BinaryBroadcast& b, F&& f) {
  if (b.size == 0) return;
  const int inner = b.rank - 1;
  const int32_t inner_size = b.dims[inner];
  const int32_t inner_stride1 = b.strides1[inner];
  const int32_t inner_stride2 = b.strides2[inner];
  int32_t counters[kMaxRank] = {};
  int32_t base1 = 0;
  int32_t base2 = 0;
  int32_t out = 0;
  while (true) {
    int32_t i1 = base1;
    int32_t i2 = base2;
    for (int32_t k = 0; k < inner_size; ++k) {
      f(out, i1, i2);
      ++out;
      i1 += inner_stride1;
      i2 += inner_stride2;
    }
    // Odometer step over the outer loops.
    int d = inner - 1;
    for (; d >= 0; --d) {
      base1 += b.strides1[d];
      base2 += b.strides2[d];
      if (++counters[d] < b.dims[d]) break;
      base1 -= b.strides1[d] * b.dims[d];
      base2 -= b.strides2[d] * b.dims[d];
      counters[d] = 0;
    }
    if (d < 0) return;
  }
}

// output[o] = f(input1[i1], input2[i2]) over the broadcast `b`.
template <class In, class Out, class F>
inline void broadcast_binary(const BinaryBroadcast& b, const In* input1, const In* input2, Out* output,
                             F&& f) {
  for_each_broadcast(b, [&](int32_t o, int32_t i1, int32_t i2) { output[o] = f(input1[i1], input2[i2]); });
}

}  // namespace edgeinfer
