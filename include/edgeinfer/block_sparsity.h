// Block-sparsity index: which blocks of an int8 weight tensor hold a non-zero value, stored as one .tflite
// metadata entry so that the file stays a standard model (TFLM and TensorFlow Lite ignore metadata).
//
// Blocks lie along the innermost dimension: each run of innermost values (FULLY_CONNECTED [units, depth]:
// one unit's depth values; CONV_2D [out, kh, kw, in]: one output channel's input channels at one kernel
// position, so that a block never straddles kernel positions) splits into blocks of kSparseBlock consecutive
// values, the last one shorter when the run's length is not a multiple of it. A zero block's products are
// exactly 0 in the int32 (or int64) accumulator, so kernels that skip them compute the same bytes as the
// dense kernels.
//
// The bitmap has one row per index of the outermost dimension (a unit, an output channel): the blocks of
// its runs in memory order, run after run, so that a kernel walks one output's blocks in one pass.
//
// Metadata entry kBlockSparsityMetadataName, format version 1, every integer a little-endian uint32:
//   version (1), entry count N, then N entries, each
//     tensor          index of the weight tensor in subgraph 0 (rank >= 2)
//     block           values per block (kernels use the index only when it equals kSparseBlock)
//     rows            the outermost dimension
//     blocks_per_row  runs per row x ceil(innermost dimension / block); runs per row is the product of the
//                     dimensions between the outermost and the innermost (1 for FULLY_CONNECTED)
//     bitmap_bytes    rows x ceil(blocks_per_row / 8)
//     bitmap          bitmap_bytes bytes: row r starts at byte r x ceil(blocks_per_row / 8); block j of run p
//                     of a row is its bit p x ceil(innermost / block) + j, bit b being bit b % 8 (least
//                     significant first) of the row's byte b / 8; 1 = the block holds a non-zero value, 0 =
//                     all its values are 0; bits past blocks_per_row are 0
//     padding         zero bytes up to a multiple of 4
//   and nothing after the last entry.
//
// The runtime reads the bitmap in place (no copy) when an op's prepare() asks for its weights' index
// (KernelContext::block_sparsity()), and uses it only after checking it against the tensor: shape, block
// size, zero zero points, padding bits, and every block marked zero really zero. Anything else is ignored
// (the op runs dense, with the same result).
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {

// Values per block: the pruner prunes in blocks of this size, the compiler indexes them, the kernels skip
// them. 4 is one 32-bit word in the Cortex-M loops and the finest granularity for pruning; with blocks of 8
// or 16 these kernels ran FULLY_CONNECTED slower on a Cortex-M4 and CONV_2D at most 7% faster (instructions
// per invoke of edgeinfer_sparse_models' models at 75% zero blocks, under QEMU).
constexpr int kSparseBlock = 4;
inline constexpr char kBlockSparsityMetadataName[] = "edgeinfer.block_sparsity";
constexpr uint32_t kBlockSparsityVersion = 1;

// Bitmap bytes of one row.
constexpr int32_t block_sparsity_row_bytes(int32_t blocks_per_row) {
  return (blocks_per_row + 7) / 8;
}
// Blocks of one run of `run` values in blocks of kSparseBlock.
constexpr int32_t sparse_blocks(int32_t run) {
  return (run + kSparseBlock - 1) / kSparseBlock;
}

// Whether block `block` of the row whose bits start at `row_bits` holds a non-zero value.
inline bool block_is_nonzero(const uint8_t* row_bits, int32_t block) {
  return (row_bits[block >> 3] >> (block & 7)) & 1;
}

// One entry of the index, pointing into the metadata's bytes.
struct BlockSparsityEntry {
  int32_t tensor = -1;
  int32_t block = 0;
  int32_t rows = 0;
  int32_t blocks_per_row = 0;
  const uint8_t* bitmap = nullptr;
  size_t bitmap_bytes = 0;
};

// Checks the structure of the whole index in `data` (version, counts, sizes, padding, total length, no two
// entries for one tensor) and finds the entry of tensor `tensor`: *found false when it has none.
// kInvalidModel / kUnsupported (another version) naming what is wrong.
Status find_block_sparsity_entry(const uint8_t* data, size_t size, int32_t tensor, BlockSparsityEntry* entry,
                                 bool* found);

// Checks `entry` against the constant tensor it indexes: int8 of rank >= 2 with zero points 0, block
// kSparseBlock, rows and blocks matching the shape, bits past a row's blocks 0, every block marked zero all
// zeros.
Status check_block_sparsity_entry(const BlockSparsityEntry& entry, const Tensor& weights);

}  // namespace edgeinfer
