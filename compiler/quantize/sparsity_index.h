// The block-sparsity index of a model's int8 weights (format and guarantees: edgeinfer/block_sparsity.h),
// written as one .tflite metadata entry. Host-only (C++20).
//
// For every constant int8 weight of an integer (int8 or int16x8) FULLY_CONNECTED [units, depth] or CONV_2D
// [out, kh, kw, in] with zero points 0, the bitmap of its non-zero blocks of kSparseBlock values along the
// innermost dimension. A tensor gets an entry only when enough of its blocks are zero for skipping them to
// pay on the Cortex-M kernels; a model with none gets no entry and runs exactly as before.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/graph/graph.h"
#include "edgeinfer/block_sparsity.h"

namespace edgeinfer::compiler::quantize {

// Zero blocks (of all blocks) from which a tensor is indexed: where the sparse loops of the Cortex-M
// kernels, which visit blocks one at a time, get faster than the dense ones, which share each load among
// four channels or four pixels (instructions per invoke on a Cortex-M4, bench/sparse_models.cc under
// QEMU: FULLY_CONNECTED 640x128 breaks even at about 57% zero blocks, CONV_2D 3x3 and 1x1 at 30-35%).
constexpr double kMinZeroBlocksFullyConnected = 0.6;
constexpr double kMinZeroBlocksConv2D = 0.4;

// One tensor's entry, before serialization.
struct BlockSparsityIndexEntry {
  int32_t tensor = 0;
  int32_t rows = 0;            // the outermost dimension
  int32_t blocks_per_row = 0;  // runs of the innermost dimension per row x blocks per run
  int64_t zero_blocks = 0;
  std::vector<uint8_t> bitmap;  // rows x block_sparsity_row_bytes(blocks_per_row)
};

// The entry of a constant int8 tensor of rank >= 2. Throws std::invalid_argument for anything else.
BlockSparsityIndexEntry block_sparsity_entry(int32_t tensor_index, const GraphTensor& tensor);

// The metadata bytes of `entries` (format version 1).
std::vector<uint8_t> serialize_block_sparsity_index(const std::vector<BlockSparsityIndexEntry>& entries);

// Sets the graph's kBlockSparsityMetadataName entry to the index of its weights as described above (CONV_2D
// weights only with input channels a multiple of 4: blocks of 1 to 3 values cost more to find than they save,
// and the Cortex-M kernel runs those dense), replacing an existing entry of that name, or removing it when no
// tensor qualifies. Idempotent. Returns the number of tensors indexed.
int add_block_sparsity_index(Graph& graph);

}  // namespace edgeinfer::compiler::quantize
