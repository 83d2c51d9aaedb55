#include "edgeinfer/block_sparsity.h"

#include <cstring>

namespace edgeinfer {
namespace {

constexpr size_t kHeaderBytes = 8;
constexpr size_t kEntryHeaderBytes = 20;

uint32_t read_u32(const uint8_t* p) {
  // Little-endian whatever the host: the format is, and the targets are.
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

// Whether `count` (<= kSparseBlock) values are all 0: a whole block word by word (this check reads every
// zero block of the model once in prepare()).
bool all_zero(const int8_t* values, int32_t count) {
  if (kSparseBlock % 4 == 0 && count == kSparseBlock) {
    uint32_t any = 0;
    for (int32_t k = 0; k < kSparseBlock; k += 4) {
      uint32_t word;
      std::memcpy(&word, values + k, sizeof word);
      any |= word;
    }
    return any == 0;
  }
  for (int32_t k = 0; k < count; ++k)
    if (values[k] != 0) return false;
  return true;
}

}  // namespace

Status find_block_sparsity_entry(const uint8_t* data, size_t size, int32_t tensor, BlockSparsityEntry* entry,
                                 bool* found) {
  *entry = BlockSparsityEntry();
  *found = false;
  // Filled in as the entries go by, returned only when the whole index checks out.
  BlockSparsityEntry match;
  bool matched = false;
  if (data == nullptr || size < kHeaderBytes)
    return Status::error(StatusCode::kInvalidModel, "block-sparsity index of %lu bytes has no header",
                         static_cast<unsigned long>(size));
  const uint32_t version = read_u32(data);
  if (version != kBlockSparsityVersion)
    return Status::error(StatusCode::kUnsupported, "block-sparsity index version %u (supported: %u)", version,
                         kBlockSparsityVersion);
  const uint32_t count = read_u32(data + 4);
  if (count > (size - kHeaderBytes) / kEntryHeaderBytes)
    return Status::error(StatusCode::kInvalidModel, "block-sparsity index claims %u entries in %lu bytes",
                         count, static_cast<unsigned long>(size));
  size_t offset = kHeaderBytes;
  for (uint32_t i = 0; i < count; ++i) {
    if (size - offset < kEntryHeaderBytes)
      return Status::error(StatusCode::kInvalidModel, "block-sparsity entry %u is truncated", i);
    const uint8_t* p = data + offset;
    const uint32_t index = read_u32(p), block = read_u32(p + 4), rows = read_u32(p + 8),
                   blocks_per_row = read_u32(p + 12), bitmap_bytes = read_u32(p + 16);
    if (index > INT32_MAX || block == 0 || block > INT32_MAX || rows > INT32_MAX ||
        blocks_per_row > INT32_MAX)
      return Status::error(
          StatusCode::kInvalidModel,
          "block-sparsity entry %u: tensor %u, block %u, rows %u, blocks per row %u out of range", i, index,
          block, rows, blocks_per_row);
    const uint64_t expected_bytes =
        static_cast<uint64_t>(rows) *
        static_cast<uint64_t>(block_sparsity_row_bytes(static_cast<int32_t>(blocks_per_row)));
    if (bitmap_bytes != expected_bytes)
      return Status::error(StatusCode::kInvalidModel,
                           "block-sparsity entry %u: bitmap of %u bytes, %u rows of %u blocks need %lu", i,
                           bitmap_bytes, rows, blocks_per_row, static_cast<unsigned long>(expected_bytes));
    offset += kEntryHeaderBytes;
    const size_t padded = (static_cast<size_t>(bitmap_bytes) + 3) & ~static_cast<size_t>(3);
    if (bitmap_bytes > size - offset || padded > size - offset)
      return Status::error(StatusCode::kInvalidModel,
                           "block-sparsity entry %u: bitmap of %u bytes runs past the index's %lu bytes", i,
                           bitmap_bytes, static_cast<unsigned long>(size));
    for (size_t k = bitmap_bytes; k < padded; ++k) {
      if (data[offset + k] != 0)
        return Status::error(StatusCode::kInvalidModel, "block-sparsity entry %u: non-zero padding", i);
    }
    if (static_cast<int32_t>(index) == tensor) {
      if (matched)
        return Status::error(StatusCode::kInvalidModel, "block-sparsity index has two entries for tensor %d",
                             static_cast<int>(tensor));
      matched = true;
      match.tensor = static_cast<int32_t>(index);
      match.block = static_cast<int32_t>(block);
      match.rows = static_cast<int32_t>(rows);
      match.blocks_per_row = static_cast<int32_t>(blocks_per_row);
      match.bitmap = data + offset;
      match.bitmap_bytes = bitmap_bytes;
    }
    offset += padded;
  }
  if (offset != size)
    return Status::error(StatusCode::kInvalidModel, "block-sparsity index has %lu bytes after its %u entries",
                         static_cast<unsigned long>(size - offset), count);
  *entry = match;
  *found = matched;
  return Status::ok();
}

Status check_block_sparsity_entry(const BlockSparsityEntry& e, const Tensor& weights) {
  if (weights.type != DataType::kInt8 || weights.data == nullptr || weights.shape.rank < 2)
    return Status::error(StatusCode::kInvalidModel,
                         "block-sparsity index of tensor %d: not a constant int8 tensor of rank >= 2",
                         static_cast<int>(e.tensor));
  for (int c = 0; c < weights.quant.count; ++c) {
    // A zero block contributes nothing only when 0 is the real zero.
    if (weights.quant.zero_point(c) != 0)
      return Status::error(StatusCode::kInvalidModel,
                           "block-sparsity index of tensor %d: zero point %d of channel %d is not 0",
                           static_cast<int>(e.tensor), static_cast<int>(weights.quant.zero_point(c)), c);
  }
  if (e.block != kSparseBlock)
    return Status::error(StatusCode::kUnsupported,
                         "block-sparsity index of tensor %d: block of %d values (kernels use %d)",
                         static_cast<int>(e.tensor), static_cast<int>(e.block), kSparseBlock);
  const Shape& shape = weights.shape;
  const int32_t run = shape.dim_from_end(1);
  const int64_t runs_per_row = shape.product(1, shape.rank - 1);
  const int64_t blocks_per_row = runs_per_row * sparse_blocks(run);
  if (shape.dims[0] != e.rows || blocks_per_row != e.blocks_per_row)
    return Status::error(
        StatusCode::kInvalidModel,
        "block-sparsity index of tensor %d: %d rows of %d blocks, the shape has %d rows of %ld",
        static_cast<int>(e.tensor), static_cast<int>(e.rows), static_cast<int>(e.blocks_per_row),
        static_cast<int>(shape.dims[0]), static_cast<long>(blocks_per_row));
  const int32_t row_bytes = block_sparsity_row_bytes(e.blocks_per_row);
  const int8_t* run_values = weights.data_as<const int8_t>();
  for (int32_t r = 0; r < e.rows; ++r) {
    const uint8_t* bits = e.bitmap + static_cast<size_t>(r) * static_cast<size_t>(row_bytes);
    if (e.blocks_per_row % 8 != 0 && (bits[row_bytes - 1] >> (e.blocks_per_row % 8)) != 0)
      return Status::error(
          StatusCode::kInvalidModel, "block-sparsity index of tensor %d: row %d has bits past its %d blocks",
          static_cast<int>(e.tensor), static_cast<int>(r), static_cast<int>(e.blocks_per_row));
    int32_t bit = 0;
    for (int64_t p = 0; p < runs_per_row; ++p, run_values += run) {
      for (int32_t begin = 0; begin < run; begin += kSparseBlock, ++bit) {
        if (block_is_nonzero(bits, bit)) continue;
        const int32_t end = begin + kSparseBlock < run ? begin + kSparseBlock : run;
        if (!all_zero(run_values + begin, end - begin))
          return Status::error(
              StatusCode::kInvalidModel,
              "block-sparsity index of tensor %d: block %d of row %d is marked zero but is not",
              static_cast<int>(e.tensor), static_cast<int>(bit), static_cast<int>(r));
      }
    }
  }
  return Status::ok();
}

}  // namespace edgeinfer
