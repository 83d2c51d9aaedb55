#include "kernels/common/strided_copy.h"

#include <cstring>

namespace edgeinfer {
namespace {

// Merges axes that walk both buffers contiguously into one, and drops size-1 axes, so the innermost loop
// is as long as possible (a dense copy becomes a single memcpy). Returns false when nothing is copied.
bool simplify(const StridedCopy& plan, StridedCopy* out) {
  *out = StridedCopy();
  out->src_offset = plan.src_offset;
  out->dst_offset = plan.dst_offset;
  for (int i = 0; i < plan.rank; ++i) {
    if (plan.dims[i] == 0) return false;
    if (plan.dims[i] == 1) continue;
    const int last = out->rank - 1;
    if (last >= 0 && out->src_strides[last] == plan.src_strides[i] * plan.dims[i] &&
        out->dst_strides[last] == plan.dst_strides[i] * plan.dims[i]) {
      out->dims[last] *= plan.dims[i];
      out->src_strides[last] = plan.src_strides[i];
      out->dst_strides[last] = plan.dst_strides[i];
      continue;
    }
    out->dims[out->rank] = plan.dims[i];
    out->src_strides[out->rank] = plan.src_strides[i];
    out->dst_strides[out->rank] = plan.dst_strides[i];
    ++out->rank;
  }
  return true;
}

// One innermost row: `count` elements of a fixed size, copied through memcpy of a constant size (which the
// compiler turns into plain loads and stores without alignment assumptions).
template <size_t kBytes>
void copy_row(const uint8_t* src, int64_t src_step, uint8_t* dst, int64_t dst_step, int64_t count) {
  for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * dst_step, src + i * src_step, kBytes);
}

void copy_row_any(const uint8_t* src, int64_t src_step, uint8_t* dst, int64_t dst_step, int64_t count,
                  size_t element_bytes) {
  if (src_step == static_cast<int64_t>(element_bytes) && dst_step == static_cast<int64_t>(element_bytes)) {
    std::memcpy(dst, src, static_cast<size_t>(count) * element_bytes);
    return;
  }
  switch (element_bytes) {
    case 1: copy_row<1>(src, src_step, dst, dst_step, count); return;
    case 2: copy_row<2>(src, src_step, dst, dst_step, count); return;
    case 4: copy_row<4>(src, src_step, dst, dst_step, count); return;
    case 8: copy_row<8>(src, src_step, dst, dst_step, count); return;
    default:
      for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * dst_step, src + i * src_step, element_bytes);
  }
}

}  // namespace

void row_major_strides(const Shape& shape, int64_t* strides) {
  int64_t stride = 1;
  for (int i = shape.rank - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= shape.dims[i];
  }
}

StridedCopy dense_copy_plan(const Shape& shape) {
  StridedCopy plan;
  plan.rank = shape.rank;
  for (int i = 0; i < shape.rank; ++i) plan.dims[i] = shape.dims[i];
  row_major_strides(shape, plan.src_strides);
  row_major_strides(shape, plan.dst_strides);
  return plan;
}

StridedCopy block_into_plan(const Shape& block, const Shape& whole, int axis, int64_t offset) {
  StridedCopy plan = dense_copy_plan(block);
  row_major_strides(whole, plan.dst_strides);
  plan.dst_offset = offset * plan.dst_strides[axis];
  return plan;
}

StridedCopy reversed_plan(const StridedCopy& plan) {
  StridedCopy reversed = plan;
  reversed.src_offset = plan.dst_offset;
  reversed.dst_offset = plan.src_offset;
  for (int i = 0; i < plan.rank; ++i) {
    reversed.src_strides[i] = plan.dst_strides[i];
    reversed.dst_strides[i] = plan.src_strides[i];
  }
  return reversed;
}

bool strided_copy_in_bounds(const StridedCopy& plan, int64_t src_elements, int64_t dst_elements) {
  if (plan.rank < 0 || plan.rank > kMaxRank) return false;
  for (int i = 0; i < plan.rank; ++i) {
    if (plan.dims[i] < 0) return false;
    if (plan.dims[i] == 0) return true;  // nothing is read or written
  }
  int64_t src_min = plan.src_offset, src_max = plan.src_offset;
  int64_t dst_min = plan.dst_offset, dst_max = plan.dst_offset;
  for (int i = 0; i < plan.rank; ++i) {
    const int64_t last = plan.dims[i] - 1;
    (plan.src_strides[i] < 0 ? src_min : src_max) += last * plan.src_strides[i];
    (plan.dst_strides[i] < 0 ? dst_min : dst_max) += last * plan.dst_strides[i];
  }
  return src_min >= 0 && src_max < src_elements && dst_min >= 0 && dst_max < dst_elements;
}

void strided_copy(const StridedCopy& plan, size_t element_bytes, const void* src, void* dst) {
  StridedCopy p;
  if (!simplify(plan, &p)) return;
  const int64_t esize = static_cast<int64_t>(element_bytes);
  const uint8_t* src_bytes = static_cast<const uint8_t*>(src);
  uint8_t* dst_bytes = static_cast<uint8_t*>(dst);
  if (p.rank == 0) {
    std::memcpy(dst_bytes + p.dst_offset * esize, src_bytes + p.src_offset * esize, element_bytes);
    return;
  }
  const int inner = p.rank - 1;
  const int64_t row = p.dims[inner];
  const int64_t src_step = p.src_strides[inner] * esize;
  const int64_t dst_step = p.dst_strides[inner] * esize;
  // Odometer over the outer axes; offsets are kept as integers so no pointer ever leaves the buffers.
  int32_t index[kMaxRank] = {};
  int64_t s = p.src_offset;
  int64_t d = p.dst_offset;
  while (true) {
    copy_row_any(src_bytes + s * esize, src_step, dst_bytes + d * esize, dst_step, row, element_bytes);
    int axis = inner - 1;
    for (; axis >= 0; --axis) {
      if (++index[axis] < p.dims[axis]) {
        s += p.src_strides[axis];
        d += p.dst_strides[axis];
        break;
      }
      s -= p.src_strides[axis] * (p.dims[axis] - 1);
      d -= p.dst_strides[axis] * (p.dims[axis] - 1);
      index[axis] = 0;
    }
    if (axis < 0) return;
  }
}

void fill_elements(void* dst, int64_t count, size_t element_bytes, const void* value) {
  uint8_t* out = static_cast<uint8_t*>(dst);
  switch (element_bytes) {
    case 1: {
      if (count > 0) std::memset(out, *static_cast<const uint8_t*>(value), static_cast<size_t>(count));
      return;
    }
    default:
      for (int64_t i = 0; i < count; ++i) {
        std::memcpy(out, value, element_bytes);
        out += element_bytes;
      }
  }
}

}  // namespace edgeinfer
