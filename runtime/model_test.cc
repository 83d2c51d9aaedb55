// Model::from_bytes: what it accepts and the errors it gives for malformed bytes.
#include "edgeinfer/model.h"

#include <gtest/gtest.h>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;

std::vector<uint8_t> fully_connected_model(bool checks = true, size_t weight_bytes = 6 * 4) {
  ModelBuilder builder;
  builder.set_checks(checks);
  const int in = builder.add_tensor(DataType::kFloat32, {1, 3});
  std::vector<uint8_t> weights(weight_bytes, 0);
  const int w = builder.add_constant(DataType::kFloat32, {2, 3}, weights.data(), weights.size());
  const int out = builder.add_tensor(DataType::kFloat32, {1, 2});
  builder.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {out});
  builder.set_inputs({in});
  builder.set_outputs({out});
  return builder.finish();
}

Status load(const std::vector<uint8_t>& bytes, host::LoadedModel* loaded) {
  return loaded->load_bytes(bytes.data(), bytes.size());
}

TEST(ModelTest, AcceptsAValidModel) {
  host::LoadedModel loaded;
  ASSERT_TRUE(load(fully_connected_model(), &loaded).is_ok());
  const Model& model = loaded.model();
  EXPECT_EQ(model.num_tensors(), 3);
  EXPECT_EQ(model.num_ops(), 1);
  EXPECT_STREQ(model.op_name(0), "FULLY_CONNECTED");
  EXPECT_TRUE(model.tensor_is_constant(1));
  EXPECT_FALSE(model.tensor_is_constant(0));
  EXPECT_EQ(model.tensor(1).bytes, 24u);
}

TEST(ModelTest, RejectsBufferSizeMismatchNamingTensorAndShape) {
  host::LoadedModel loaded;
  const Status status = load(fully_connected_model(false, 20), &loaded);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_STREQ(status.message(), "tensor 1: buffer 1 has 20 bytes, shape [2,3] float32 needs 24");
}

TEST(ModelTest, RejectsMisalignedBytes) {
  const auto bytes = fully_connected_model();
  host::AlignedBuffer buffer(bytes.size() + 16);
  std::memcpy(buffer.data() + 4, bytes.data(), bytes.size());
  Model model;
  EXPECT_EQ(Model::from_bytes(buffer.data() + 4, bytes.size(), &model).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(model.is_valid());
}

TEST(ModelTest, RejectsWrongIdentifierAndTruncation) {
  auto bytes = fully_connected_model();
  host::LoadedModel loaded;
  EXPECT_EQ(loaded.load_bytes(bytes.data(), 0).code(), StatusCode::kInvalidModel);
  EXPECT_EQ(loaded.load_bytes(bytes.data(), bytes.size() / 2).code(), StatusCode::kInvalidModel);
  bytes[4] = 'X';
  const Status status = load(bytes, &loaded);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("TFL3"), std::string::npos);
}

TEST(ModelTest, RejectsOutOfRangeTensorIndex) {
  ModelBuilder builder;
  builder.set_checks(false);
  const int in = builder.add_tensor(DataType::kFloat32, {1});
  builder.add_op(BuiltinOp::kRelu, {in}, {7});
  builder.set_inputs({in});
  builder.set_outputs({in});
  host::LoadedModel loaded;
  const Status status = load(builder.finish(), &loaded);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_STREQ(status.message(), "op 0 (RELU): output 0 refers to tensor 7 of 1");
}

TEST(ModelTest, RejectsNegativeDimension) {
  ModelBuilder builder;
  builder.set_checks(false);
  const int in = builder.add_tensor(DataType::kFloat32, {1, -4});
  builder.set_inputs({in});
  builder.set_outputs({in});
  host::LoadedModel loaded;
  const Status status = load(builder.finish(), &loaded);
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("tensor 0: dimension 1 is -4"), std::string::npos);
}

TEST(ModelTest, RejectsShapeOverflow) {
  ModelBuilder builder;
  builder.set_checks(false);
  const int in = builder.add_tensor(DataType::kFloat32, {65536, 65536, 65536});
  builder.set_inputs({in});
  builder.set_outputs({in});
  host::LoadedModel loaded;
  EXPECT_EQ(load(builder.finish(), &loaded).code(), StatusCode::kInvalidModel);
}

}  // namespace
}  // namespace edgeinfer
