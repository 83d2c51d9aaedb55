// What kernels' prepare() functions share: checks of tensor counts, types, shapes, per-tensor quantization,
// and the integer parameter tensors of shape ops (paddings, begin/end/strides, perm, axis, size), each with
// an error message naming what is wrong and the values; storing the op data.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {

// The op has between `min_inputs` and `max_inputs` inputs, all present, and exactly `outputs` outputs.
Status check_tensor_counts(const KernelContext& context, int min_inputs, int max_inputs, int outputs);

// `tensor`'s type is one of `types`.
Status check_type(const Tensor& tensor, const char* what, std::initializer_list<DataType> types);

// `tensor` has the type of `reference` (e.g. output and input of a data-movement op).
Status check_same_type(const Tensor& tensor, const char* what, const Tensor& reference,
                       const char* reference_what);

// `actual` equals `expected`; the message shows both shapes.
Status check_shape(const Shape& actual, const char* what, const Shape& expected);

// `tensor` (named `what` in errors) has per-tensor quantization: one finite positive scale and a zero point
// inside its type's range. Missing parameters are an invalid model, per-channel ones unsupported.
Status check_per_tensor_quantization(const Tensor& tensor, const char* what);

// check_per_tensor_quantization(), then the scale and zero point.
Status per_tensor_quantization(const Tensor& tensor, const char* what, float* scale, int32_t* zero_point);

// Reads the int32 or int64 tensor `tensor` (named `what` in errors) into `values`. Fails when it has another
// type, more than `max_count` elements, no data, or (when `require_constant`) is not a constant of the
// model: TFLM sizes outputs when it prepares and so needs such parameters constant.
Status read_index_tensor(const Tensor& tensor, const char* what, bool require_constant, int64_t* values,
                         int max_count, int* count);

// Maps a possibly negative `axis` into [0, rank) (-1 is the last axis).
Status resolve_axis(int64_t axis, int rank, const char* what, int* resolved);

// Copies `data` into persistent memory and makes it the op's data (read in eval() with op_data_as<OpData>()).
template <class OpData>
Status store_op_data(KernelContext& context, const OpData& data) {
  void* memory = context.allocate_persistent(sizeof(OpData));
  if (memory == nullptr) return context.arena_full_error();
  *static_cast<OpData*>(memory) = data;
  context.set_op_data(memory);
  return Status::ok();
}

}  // namespace edgeinfer
