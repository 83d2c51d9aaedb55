// The block-sparsity index in the runtime: the reader of the metadata format (edgeinfer/block_sparsity.h)
// against the compiler's writer, Model::metadata(), and malformed or stale indexes (truncated, wrong tensor,
// wrong sizes, bitmap too short, a block marked zero that is not): the op ignores the index, runs dense and
// gives the same bytes; nothing crashes.
#include "edgeinfer/block_sparsity.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "compiler/quantize/sparsity_index.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_ir_generated.h"
#include "kernels/reference/block_sparse_test_util.h"

namespace edgeinfer {
namespace {

using compiler::quantize::block_sparsity_entry;
using compiler::quantize::BlockSparsityIndexEntry;
using compiler::quantize::serialize_block_sparsity_index;

// A [rows, row_length] int8 tensor of the graph IR with `values`.
compiler::GraphTensor int8_tensor(int rows, int row_length, const std::vector<int8_t>& values) {
  compiler::GraphTensor t;
  t.type = DataType::kInt8;
  t.shape = {rows, row_length};
  t.is_constant = true;
  t.set_values(DataType::kInt8, values);
  return t;
}

// A runtime view of the same tensor.
Tensor view_of(compiler::GraphTensor& t, int index) {
  Tensor v;
  v.type = t.type;
  v.shape.rank = static_cast<int32_t>(t.shape.size());
  for (int d = 0; d < v.shape.rank; ++d) v.shape.dims[d] = t.shape[d];
  v.data = t.data.data();
  v.bytes = t.data.size();
  v.is_constant = true;
  v.index = index;
  return v;
}

void put_u32(std::vector<uint8_t>& bytes, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Rows of 10 values: blocks of 4, 4 and 2.
std::vector<int8_t> sample_values() {
  return {1, 2, 3, 4, 0, 0, 0, 0, 5, 0,   // blocks: 1 0 1
          0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   // 0 0 0
          0, 0, 0, 9, 1, 0, 0, 0, 0, 0};  // 1 1 0
}

TEST(BlockSparsityIndex, WriterAndReaderAgree) {
  compiler::GraphTensor t = int8_tensor(3, 10, sample_values());
  const BlockSparsityIndexEntry written = block_sparsity_entry(7, t);
  EXPECT_EQ(written.rows, 3);
  EXPECT_EQ(written.blocks_per_row, 3);
  EXPECT_EQ(written.zero_blocks, 5);
  EXPECT_EQ(written.bitmap, (std::vector<uint8_t>{0b101, 0b000, 0b011}));
  compiler::GraphTensor other = int8_tensor(2, 33, std::vector<int8_t>(66, 1));
  const std::vector<uint8_t> bytes =
      serialize_block_sparsity_index({written, block_sparsity_entry(2, other)});
  // Header 8, entry 20 + 3 bitmap + 1 padding, entry 20 + 2 x 2 bitmap.
  EXPECT_EQ(bytes.size(), 8u + 24 + 24);

  BlockSparsityEntry entry;
  bool found = false;
  Status status = find_block_sparsity_entry(bytes.data(), bytes.size(), 7, &entry, &found);
  ASSERT_TRUE(status.is_ok()) << status.message();
  ASSERT_TRUE(found);
  EXPECT_EQ(entry.tensor, 7);
  EXPECT_EQ(entry.block, kSparseBlock);
  EXPECT_EQ(entry.rows, 3);
  EXPECT_EQ(entry.blocks_per_row, 3);
  EXPECT_EQ(entry.bitmap, bytes.data() + 28);  // in place, not copied
  EXPECT_EQ(std::vector<uint8_t>(entry.bitmap, entry.bitmap + entry.bitmap_bytes), written.bitmap);
  EXPECT_TRUE(check_block_sparsity_entry(entry, view_of(t, 7)).is_ok());

  status = find_block_sparsity_entry(bytes.data(), bytes.size(), 2, &entry, &found);
  ASSERT_TRUE(status.is_ok() && found);
  EXPECT_EQ(entry.rows, 2);
  EXPECT_EQ(entry.blocks_per_row, 9);
  EXPECT_TRUE(check_block_sparsity_entry(entry, view_of(other, 2)).is_ok());

  status = find_block_sparsity_entry(bytes.data(), bytes.size(), 3, &entry, &found);
  EXPECT_TRUE(status.is_ok());
  EXPECT_FALSE(found);
}

// A CONV_2D filter [out 2, kh 1, kw 2, in 5]: a row per output channel, the runs of 5 input channels (blocks
// of 4 and 1) of its two kernel positions one after the other.
TEST(BlockSparsityIndex, ConvFilterRowsHoldEveryKernelPosition) {
  compiler::GraphTensor t;
  t.type = DataType::kInt8;
  t.shape = {2, 1, 2, 5};
  t.is_constant = true;
  t.set_values(DataType::kInt8, std::vector<int8_t>{0, 0, 0, 0, 3, 1, 0, 0, 0, 0,    // blocks 0 1 | 1 0
                                                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // 0 0 | 0 0
  const BlockSparsityIndexEntry written = block_sparsity_entry(4, t);
  EXPECT_EQ(written.rows, 2);
  EXPECT_EQ(written.blocks_per_row, 4);
  EXPECT_EQ(written.zero_blocks, 6);
  EXPECT_EQ(written.bitmap, (std::vector<uint8_t>{0b0110, 0}));
  const std::vector<uint8_t> bytes = serialize_block_sparsity_index({written});
  BlockSparsityEntry entry;
  bool found = false;
  ASSERT_TRUE(find_block_sparsity_entry(bytes.data(), bytes.size(), 4, &entry, &found).is_ok());
  ASSERT_TRUE(found);
  Tensor view = view_of(t, 4);
  EXPECT_TRUE(check_block_sparsity_entry(entry, view).is_ok());
  view.shape.rank = 2;  // the same values as [2, 10]: other rows of blocks
  view.shape.dims[1] = 10;
  testing::expect_error(check_block_sparsity_entry(entry, view), StatusCode::kInvalidModel,
                        "2 rows of 4 blocks, the shape has 2 rows of 3");
}

TEST(BlockSparsityIndex, ReaderRejectsMalformedBytes) {
  compiler::GraphTensor t = int8_tensor(3, 10, sample_values());
  const std::vector<uint8_t> good = serialize_block_sparsity_index({block_sparsity_entry(7, t)});
  BlockSparsityEntry entry;
  bool found = true;
  // Every truncation, down to nothing.
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(find_block_sparsity_entry(cut.data(), cut.size(), 7, &entry, &found).is_ok()) << n;
    EXPECT_FALSE(found);
  }
  EXPECT_FALSE(find_block_sparsity_entry(nullptr, 0, 7, &entry, &found).is_ok());

  auto expect_error = [&](std::vector<uint8_t> bytes, StatusCode code, const char* text) {
    const Status status = find_block_sparsity_entry(bytes.data(), bytes.size(), 7, &entry, &found);
    testing::expect_error(status, code, text);
    EXPECT_FALSE(found);
  };
  std::vector<uint8_t> bad = good;
  put_u32(bad, 0, 2);
  expect_error(bad, StatusCode::kUnsupported, "version 2");
  bad = good;
  put_u32(bad, 4, 1000000);
  expect_error(bad, StatusCode::kInvalidModel, "claims 1000000 entries");
  bad = good;
  put_u32(bad, 4, 2);  // a second entry that is not there
  expect_error(bad, StatusCode::kInvalidModel, "claims 2 entries in 32 bytes");
  bad = good;  // a second entry header whose bitmap is missing
  put_u32(bad, 4, 2);
  bad.insert(bad.end(), good.begin() + 8, good.begin() + 28);
  expect_error(bad, StatusCode::kInvalidModel, "entry 1: bitmap of 3 bytes runs past");
  bad = good;
  put_u32(bad, 8 + 16, 4);  // bitmap_bytes inconsistent with rows and blocks
  expect_error(bad, StatusCode::kInvalidModel, "need 3");
  bad = good;
  put_u32(bad, 8 + 8, 0x7FFFFFFF);  // rows: a bitmap far longer than the bytes
  put_u32(bad, 8 + 16, 0x7FFFFFFF);
  expect_error(bad, StatusCode::kInvalidModel, "bitmap of 2147483647 bytes runs past");
  bad = good;
  put_u32(bad, 8 + 8, 0xFFFFFFFF);  // sizes beyond int32
  expect_error(bad, StatusCode::kInvalidModel, "out of range");
  bad = good;
  put_u32(bad, 8 + 4, 0);
  expect_error(bad, StatusCode::kInvalidModel, "block 0");
  bad = good;
  bad.back() = 1;
  expect_error(bad, StatusCode::kInvalidModel, "non-zero padding");
  bad = good;
  bad.insert(bad.end(), {0, 0, 0, 0});
  expect_error(bad, StatusCode::kInvalidModel, "after its 1 entries");
  // Two entries for one tensor.
  const std::vector<uint8_t> twice =
      serialize_block_sparsity_index({block_sparsity_entry(7, t), block_sparsity_entry(7, t)});
  expect_error(twice, StatusCode::kInvalidModel, "two entries for tensor 7");
  // Random bytes: errors or entries, never a crash (the sanitizer build checks the reads).
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> random = good;
    random[rng() % random.size()] = static_cast<uint8_t>(rng());
    if (i % 3 == 0) random.resize(rng() % (random.size() + 1));
    (void)find_block_sparsity_entry(random.data(), random.size(), 7, &entry, &found);
  }
}

TEST(BlockSparsityIndex, EntryMustMatchItsTensor) {
  compiler::GraphTensor t = int8_tensor(3, 10, sample_values());
  BlockSparsityIndexEntry written = block_sparsity_entry(7, t);
  std::vector<uint8_t> bytes = serialize_block_sparsity_index({written});
  BlockSparsityEntry entry;
  bool found = false;
  ASSERT_TRUE(find_block_sparsity_entry(bytes.data(), bytes.size(), 7, &entry, &found).is_ok());

  // Another shape with the same number of values: rows and blocks differ.
  compiler::GraphTensor reshaped = int8_tensor(5, 6, sample_values());
  testing::expect_error(check_block_sparsity_entry(entry, view_of(reshaped, 7)), StatusCode::kInvalidModel,
                        "3 rows of 3 blocks, the shape has 5 rows of 2");
  // A block marked zero that is not.
  compiler::GraphTensor changed = t;
  changed.data[4] = 1;
  testing::expect_error(check_block_sparsity_entry(entry, view_of(changed, 7)), StatusCode::kInvalidModel,
                        "block 1 of row 0 is marked zero but is not");
  // Bits past a row's blocks.
  std::vector<uint8_t> bits = bytes;
  bits[28 + 1] = 0b1000;
  ASSERT_TRUE(find_block_sparsity_entry(bits.data(), bits.size(), 7, &entry, &found).is_ok());
  testing::expect_error(check_block_sparsity_entry(entry, view_of(t, 7)), StatusCode::kInvalidModel,
                        "bits past its 3 blocks");
  // Another block size.
  put_u32(bytes, 8 + 4, 8);
  put_u32(bytes, 8 + 12, 2);
  ASSERT_TRUE(find_block_sparsity_entry(bytes.data(), bytes.size(), 7, &entry, &found).is_ok());
  testing::expect_error(check_block_sparsity_entry(entry, view_of(t, 7)), StatusCode::kUnsupported,
                        "block of 8 values");
  // Not int8, and a zero point other than 0.
  ASSERT_TRUE(find_block_sparsity_entry(serialize_block_sparsity_index({written}).data(), bytes.size(), 7,
                                        &entry, &found)
                  .is_ok());
  const std::vector<uint8_t> again = serialize_block_sparsity_index({written});
  ASSERT_TRUE(find_block_sparsity_entry(again.data(), again.size(), 7, &entry, &found).is_ok());
  Tensor as_uint8 = view_of(t, 7);
  as_uint8.type = DataType::kUInt8;
  testing::expect_error(check_block_sparsity_entry(entry, as_uint8), StatusCode::kInvalidModel,
                        "not a constant int8 tensor");
  const float scale = 0.5f;
  const int64_t zero_point = 3;
  Tensor asymmetric = view_of(t, 7);
  asymmetric.quant.scales = &scale;
  asymmetric.quant.zero_points = &zero_point;
  asymmetric.quant.count = 1;
  testing::expect_error(check_block_sparsity_entry(entry, asymmetric), StatusCode::kInvalidModel,
                        "zero point 3");
}

// ---- In a model: the kernels take a good index, ignore a bad one, and give the same bytes either way ----

const testing::KernelList& fc_kernels() {
  static const testing::KernelList kernels = {{BuiltinOp::kFullyConnected, &reference::fully_connected()}};
  return kernels;
}

struct FcModel {
  sparse_test::BuiltCase built;
  int weights = 1;  // tensor index of the weights
};

FcModel fc_model() {
  std::mt19937 rng(17);
  sparse_test::FcCase c;
  c.depth = 30;
  c.units = 6;
  c.batches = 2;
  c.sparsity = 0.75;
  return {sparse_test::build(c, rng), 1};
}

// The model's bytes with `index` as its block-sparsity metadata.
std::vector<uint8_t> with_metadata(const std::vector<uint8_t>& model, std::vector<uint8_t> index) {
  compiler::Graph g = compiler::Graph::read(model);
  g.metadata.emplace_back(kBlockSparsityMetadataName, std::move(index));
  return g.write();
}

TEST(BlockSparsityIndex, ModelMetadataLookup) {
  const FcModel m = fc_model();
  const std::vector<uint8_t> bytes = with_metadata(m.built.model, {1, 2, 3, 4, 5});
  host::LoadedModel loaded;
  ASSERT_TRUE(loaded.load_bytes(bytes.data(), bytes.size()).is_ok());
  const uint8_t* data = nullptr;
  size_t size = 0;
  ASSERT_TRUE(loaded.model().metadata(kBlockSparsityMetadataName, &data, &size));
  EXPECT_EQ(std::vector<uint8_t>(data, data + size), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  EXPECT_GE(data, loaded.bytes().data());  // in the model's bytes
  EXPECT_LT(data, loaded.bytes().data() + loaded.bytes().size());
  EXPECT_FALSE(loaded.model().metadata("edgeinfer.other", &data, &size));
  EXPECT_EQ(data, nullptr);

  // A metadata entry naming a buffer that does not exist: the loader does not check metadata, the lookup
  // does.
  auto unpacked = tflite_ir::UnPackModel(bytes.data());
  ASSERT_FALSE(unpacked->metadata.empty());
  unpacked->metadata.back()->buffer = 100000;
  flatbuffers::FlatBufferBuilder fbb;
  tflite_ir::FinishModelBuffer(fbb, tflite_ir::Model::Pack(fbb, unpacked.get()));
  host::LoadedModel broken;
  ASSERT_TRUE(broken.load_bytes(fbb.GetBufferPointer(), fbb.GetSize()).is_ok());
  EXPECT_FALSE(broken.model().metadata(kBlockSparsityMetadataName, &data, &size));
  const sparse_test::Run dense = sparse_test::run(m.built.model, fc_kernels(), m.built.input);
  std::vector<uint8_t> broken_bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  const sparse_test::Run run = sparse_test::run(broken_bytes, fc_kernels(), m.built.input);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  EXPECT_EQ(run.sparse_ops, 0);
  EXPECT_EQ(run.output, dense.output);
}

TEST(BlockSparsityIndex, MalformedIndexIsIgnoredAndOutputUnchanged) {
  const FcModel m = fc_model();
  const sparse_test::Run dense = sparse_test::run(m.built.model, fc_kernels(), m.built.input);
  ASSERT_TRUE(dense.status.is_ok()) << dense.status.message();
  const compiler::Graph g = compiler::Graph::read(m.built.model);
  const BlockSparsityIndexEntry good = block_sparsity_entry(m.weights, g.tensor(m.weights));

  // The good index is taken.
  const sparse_test::Run sparse = sparse_test::run(
      with_metadata(m.built.model, serialize_block_sparsity_index({good})), fc_kernels(), m.built.input);
  ASSERT_TRUE(sparse.status.is_ok()) << sparse.status.message();
  EXPECT_EQ(sparse.sparse_ops, 1);
  EXPECT_EQ(sparse.output, dense.output);
  EXPECT_EQ(sparse.arena, dense.arena);

  struct Bad {
    const char* what;
    std::vector<uint8_t> index;
    int ignored;  // ops that found an entry and ignored it
  };
  std::vector<Bad> cases;
  const std::vector<uint8_t> good_bytes = serialize_block_sparsity_index({good});
  cases.push_back({"truncated", {good_bytes.begin(), good_bytes.end() - 5}, 1});
  cases.push_back({"empty", {}, 0});  // an empty buffer is no metadata
  std::vector<uint8_t> short_bitmap = good_bytes;
  put_u32(short_bitmap, 8 + 16, static_cast<uint32_t>(good.bitmap.size() - 1));
  cases.push_back({"bitmap shorter than its rows", short_bitmap, 1});
  BlockSparsityIndexEntry other_tensor = good;
  other_tensor.tensor = 0;  // the input: not the op's weights, so the op finds no entry
  cases.push_back({"wrong tensor index", serialize_block_sparsity_index({other_tensor}), 0});
  other_tensor.tensor = 5000;  // out of range
  cases.push_back({"tensor index out of range", serialize_block_sparsity_index({other_tensor}), 0});
  BlockSparsityIndexEntry wrong_rows = good;
  wrong_rows.rows = good.rows - 1;
  wrong_rows.bitmap.resize(wrong_rows.bitmap.size() - block_sparsity_row_bytes(good.blocks_per_row));
  cases.push_back({"wrong rows", serialize_block_sparsity_index({wrong_rows}), 1});
  BlockSparsityIndexEntry lying = good;  // every block marked zero
  std::fill(lying.bitmap.begin(), lying.bitmap.end(), 0);
  cases.push_back({"zero blocks that are not", serialize_block_sparsity_index({lying}), 1});
  std::vector<uint8_t> version = good_bytes;
  put_u32(version, 0, 9);
  cases.push_back({"unknown version", version, 1});
  std::vector<uint8_t> garbage(64);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 97 + 13);
  cases.push_back({"garbage", garbage, 1});

  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.what);
    const sparse_test::Run run =
        sparse_test::run(with_metadata(m.built.model, bad.index), fc_kernels(), m.built.input);
    ASSERT_TRUE(run.status.is_ok()) << run.status.message();
    EXPECT_EQ(run.sparse_ops, 0);
    EXPECT_EQ(run.ignored_ops, bad.ignored);
    EXPECT_EQ(run.output, dense.output);
    EXPECT_EQ(run.arena, dense.arena);
  }
}

// Tensors renumbered after the index was written (a graph pass removed one): the stale entry no longer
// matches its tensor and is ignored.
TEST(BlockSparsityIndex, StaleIndexAfterRenumberingIsIgnored) {
  const FcModel m = fc_model();
  compiler::Graph g = compiler::Graph::read(sparse_test::with_forced_index(m.built.model));
  compiler::GraphTensor unused;
  unused.type = DataType::kInt8;
  unused.shape = {6, 30};
  unused.is_constant = true;
  unused.set_values(DataType::kInt8, std::vector<int8_t>(180, 1));
  // A tensor before the weights shifts every index from 1 on.
  g.tensors.insert(g.tensors.begin(), unused);
  for (auto& op : g.ops)
    for (int& t : op.inputs) t += t >= 0;
  for (auto& op : g.ops)
    for (int& t : op.outputs) ++t;
  for (int& t : g.inputs) ++t;
  for (int& t : g.outputs) ++t;
  // Now tensor 1 (the index's) is the input, 2 the weights: no entry for the weights, nothing taken.
  const sparse_test::Run run = sparse_test::run(g.write(), fc_kernels(), m.built.input);
  ASSERT_TRUE(run.status.is_ok()) << run.status.message();
  EXPECT_EQ(run.sparse_ops, 0);
  EXPECT_EQ(run.output, sparse_test::run(m.built.model, fc_kernels(), m.built.input).output);
}

}  // namespace
}  // namespace edgeinfer
