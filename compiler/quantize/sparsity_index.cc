#include "compiler/quantize/sparsity_index.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

namespace edgeinfer::compiler::quantize {
namespace {

void append_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The weights input of the integer FULLY_CONNECTED and CONV_2D ops the kernels index, or -1;
// `min_zero_blocks` gets the op's threshold.
int indexable_weights(const Graph& g, const GraphOp& op, double* min_zero_blocks) {
  int rank = 0;
  if (op.is(BuiltinOp::kFullyConnected)) rank = 2, *min_zero_blocks = kMinZeroBlocksFullyConnected;
  if (op.is(BuiltinOp::kConv2D)) rank = 4, *min_zero_blocks = kMinZeroBlocksConv2D;
  if (rank == 0 || op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0) return -1;
  const GraphTensor& input = g.tensor(op.inputs[0]);
  const GraphTensor& weights = g.tensor(op.inputs[1]);
  if (input.type != DataType::kInt8 && input.type != DataType::kInt16) return -1;  // hybrid: float input
  if (!weights.is_constant || weights.type != DataType::kInt8 ||
      static_cast<int>(weights.shape.size()) != rank)
    return -1;
  if (rank == 4 && weights.shape[3] % 4 != 0) return -1;  // the Cortex-M kernel runs these dense
  // A zero block adds nothing only when 0 is the real zero.
  if (std::any_of(weights.quant.zero_points.begin(), weights.quant.zero_points.end(),
                  [](int64_t z) { return z != 0; }))
    return -1;
  return op.inputs[1];
}

}  // namespace

BlockSparsityIndexEntry block_sparsity_entry(int32_t tensor_index, const GraphTensor& tensor) {
  if (tensor.type != DataType::kInt8 || tensor.shape.size() < 2 ||
      static_cast<int64_t>(tensor.data.size()) != tensor.num_elements())
    throw std::invalid_argument("block sparsity: tensor " + std::to_string(tensor_index) +
                                " is not a constant int8 tensor of rank >= 2");
  const int32_t run = tensor.shape.back();
  int64_t runs_per_row = 1;
  for (size_t d = 1; d + 1 < tensor.shape.size(); ++d) runs_per_row *= tensor.shape[d];
  BlockSparsityIndexEntry entry;
  entry.tensor = tensor_index;
  entry.rows = tensor.shape[0];
  entry.blocks_per_row = static_cast<int32_t>(runs_per_row * sparse_blocks(run));
  const int32_t row_bytes = block_sparsity_row_bytes(entry.blocks_per_row);
  entry.bitmap.assign(static_cast<size_t>(entry.rows) * static_cast<size_t>(row_bytes), 0);
  const auto* values = reinterpret_cast<const int8_t*>(tensor.data.data());
  for (int32_t r = 0; r < entry.rows; ++r) {
    uint8_t* bits = entry.bitmap.data() + static_cast<size_t>(r) * row_bytes;
    int32_t bit = 0;
    for (int64_t p = 0; p < runs_per_row; ++p, values += run) {
      for (int32_t begin = 0; begin < run; begin += kSparseBlock, ++bit) {
        const int32_t end = std::min(begin + kSparseBlock, run);
        if (std::all_of(values + begin, values + end, [](int8_t v) { return v == 0; })) {
          ++entry.zero_blocks;
        } else {
          bits[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
        }
      }
    }
  }
  return entry;
}

std::vector<uint8_t> serialize_block_sparsity_index(const std::vector<BlockSparsityIndexEntry>& entries) {
  std::vector<uint8_t> out;
  append_u32(out, kBlockSparsityVersion);
  append_u32(out, static_cast<uint32_t>(entries.size()));
  for (const BlockSparsityIndexEntry& e : entries) {
    append_u32(out, static_cast<uint32_t>(e.tensor));
    append_u32(out, kSparseBlock);
    append_u32(out, static_cast<uint32_t>(e.rows));
    append_u32(out, static_cast<uint32_t>(e.blocks_per_row));
    append_u32(out, static_cast<uint32_t>(e.bitmap.size()));
    out.insert(out.end(), e.bitmap.begin(), e.bitmap.end());
    out.resize((out.size() + 3) & ~size_t{3}, 0);
  }
  return out;
}

int add_block_sparsity_index(Graph& graph) {
  std::vector<BlockSparsityIndexEntry> entries;
  std::set<int> seen;  // a weight shared by two ops gets one entry
  for (const GraphOp& op : graph.ops) {
    double min_zero_blocks = 1;
    const int t = indexable_weights(graph, op, &min_zero_blocks);
    if (t < 0 || !seen.insert(t).second) continue;
    BlockSparsityIndexEntry entry = block_sparsity_entry(t, graph.tensor(t));
    const int64_t blocks = static_cast<int64_t>(entry.rows) * entry.blocks_per_row;
    if (blocks > 0 && static_cast<double>(entry.zero_blocks) >= min_zero_blocks * static_cast<double>(blocks))
      entries.push_back(std::move(entry));
  }
  // Replaces the entry in place (the first, dropping any other of that name), or appends it.
  auto& metadata = graph.metadata;
  const auto named = [](const auto& m) { return m.first == kBlockSparsityMetadataName; };
  const auto first = std::find_if(metadata.begin(), metadata.end(), named);
  const size_t position = static_cast<size_t>(first - metadata.begin());
  std::erase_if(metadata, named);
  if (entries.empty()) return 0;
  metadata.emplace(metadata.begin() + static_cast<std::ptrdiff_t>(std::min(position, metadata.size())),
                   kBlockSparsityMetadataName, serialize_block_sparsity_index(entries));
  return static_cast<int>(entries.size());
}

}  // namespace edgeinfer::compiler::quantize
