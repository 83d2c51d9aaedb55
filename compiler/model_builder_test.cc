#include "compiler/model_builder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "edgeinfer/model.h"

namespace edgeinfer::compiler {
namespace {

// The model bytes copied to 16-byte-aligned storage, as Model::from_bytes requires.
class AlignedBytes {
 public:
  explicit AlignedBytes(const std::vector<uint8_t>& bytes)
      : blocks_((bytes.size() + 15) / 16), size_(bytes.size()) {
    if (size_ != 0) std::memcpy(blocks_.data(), bytes.data(), size_);
  }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(blocks_.data()); }
  size_t size() const { return size_; }

 private:
  struct alignas(16) Block {
    uint8_t b[16];
  };
  std::vector<Block> blocks_;
  size_t size_;
};

// Verifies the flatbuffer and returns the root; fails the test when the verifier rejects it.
const tflite::Model* verified(const AlignedBytes& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  EXPECT_TRUE(tflite::VerifyModelBuffer(verifier));
  EXPECT_TRUE(tflite::ModelBufferHasIdentifier(bytes.data()));
  return tflite::GetModel(bytes.data());
}

std::vector<int32_t> vec(const flatbuffers::Vector<int32_t>* v) {
  return v ? std::vector<int32_t>(v->begin(), v->end()) : std::vector<int32_t>{};
}

// A float FULLY_CONNECTED [1,4] x [2,4]' + bias -> [1,2].
ModelBuilder fc_model(bool with_bias) {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "input");
  int w = b.add_constant<float>(DataType::kFloat32, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}, {}, "weights");
  int bias = with_bias ? b.add_constant<float>(DataType::kFloat32, {2}, {0.5f, -0.5f}, {}, "bias") : -1;
  int out = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "output");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) {
             return tflite::CreateFullyConnectedOptions(fbb, tflite::ActivationFunctionType::RELU).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b;
}

TEST(ModelBuilderTest, EmptyModelHasHeaderSentinelBufferAndOneSubgraph) {
  ModelBuilder b;
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  EXPECT_EQ(m->version(), 3u);
  ASSERT_NE(m->buffers(), nullptr);
  ASSERT_EQ(m->buffers()->size(), 1u);
  EXPECT_TRUE(m->buffers()->Get(0)->data() == nullptr || m->buffers()->Get(0)->data()->size() == 0);
  ASSERT_NE(m->subgraphs(), nullptr);
  ASSERT_EQ(m->subgraphs()->size(), 1u);
  EXPECT_EQ(m->subgraphs()->Get(0)->name()->str(), "main");
  EXPECT_EQ(m->description(), nullptr);
  EXPECT_EQ(m->operator_codes()->size(), 0u);
}

TEST(ModelBuilderTest, TensorFieldsReadBack) {
  ModelBuilder b;
  int a = b.add_tensor(DataType::kInt8, {1, 8, 8, 3}, QuantParams::per_tensor(0.5f, -3), "act");
  int f = b.add_tensor(DataType::kFloat32, {}, {}, "scalar");
  int c = b.add_constant<int8_t>(DataType::kInt8, {2, 1, 1, 3}, {1, 2, 3, 4, 5, 6},
                                 QuantParams::per_channel({0.25f, 0.125f}, {0, 0}, 0), "filter");
  int v = b.add_variable(DataType::kInt16, {1, 16}, QuantParams::per_tensor(1.0f / 256, 0), "state");
  int u = b.add_tensor(DataType::kUInt8, {5});
  EXPECT_EQ(b.num_tensors(), 5);
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  const auto* tensors = m->subgraphs()->Get(0)->tensors();
  ASSERT_EQ(tensors->size(), 5u);

  const tflite::Tensor* ta = tensors->Get(a);
  EXPECT_EQ(vec(ta->shape()), (std::vector<int32_t>{1, 8, 8, 3}));
  EXPECT_EQ(ta->type(), tflite::TensorType::INT8);
  EXPECT_EQ(ta->buffer(), 0u);
  EXPECT_EQ(ta->name()->str(), "act");
  EXPECT_FALSE(ta->is_variable());
  ASSERT_NE(ta->quantization(), nullptr);
  ASSERT_EQ(ta->quantization()->scale()->size(), 1u);
  EXPECT_EQ(ta->quantization()->scale()->Get(0), 0.5f);
  EXPECT_EQ(ta->quantization()->zero_point()->Get(0), -3);

  const tflite::Tensor* tf = tensors->Get(f);
  ASSERT_NE(tf->shape(), nullptr);  // scalars have an empty shape, not a missing one
  EXPECT_EQ(tf->shape()->size(), 0u);
  EXPECT_EQ(tf->quantization(), nullptr);

  const tflite::Tensor* tc = tensors->Get(c);
  EXPECT_EQ(tc->buffer(), 1u);
  const auto* q = tc->quantization();
  ASSERT_EQ(q->scale()->size(), 2u);
  EXPECT_EQ(q->scale()->Get(1), 0.125f);
  EXPECT_EQ(q->zero_point()->size(), 2u);
  EXPECT_EQ(q->quantized_dimension(), 0);

  const tflite::Tensor* tv = tensors->Get(v);
  EXPECT_TRUE(tv->is_variable());
  EXPECT_EQ(tv->buffer(), 0u);
  EXPECT_EQ(tv->type(), tflite::TensorType::INT16);

  const tflite::Tensor* tu = tensors->Get(u);
  EXPECT_EQ(tu->name(), nullptr);
  EXPECT_EQ(tu->type(), tflite::TensorType::UINT8);
}

TEST(ModelBuilderTest, ConstantDataIsExactAnd16ByteAligned) {
  ModelBuilder b;
  // Odd sizes so that unaligned packing would show.
  std::vector<std::vector<uint8_t>> datas;
  for (size_t n : {1u, 3u, 17u, 0u, 33u, 100000u, 5u}) {
    std::vector<uint8_t> d(n);
    for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(i * 7 + n);
    datas.push_back(d);
    b.add_tensor(DataType::kInt8, {2});  // interleave activations
    b.add_constant(DataType::kUInt8, {static_cast<int32_t>(n)}, d.data(), d.size());
  }
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  ASSERT_EQ(m->buffers()->size(), datas.size() + 1);
  const auto* tensors = m->subgraphs()->Get(0)->tensors();
  for (size_t k = 0; k < datas.size(); ++k) {
    const tflite::Tensor* t = tensors->Get(2 * k + 1);
    ASSERT_EQ(t->buffer(), k + 1);
    const auto* data = m->buffers()->Get(t->buffer())->data();
    ASSERT_NE(data, nullptr) << "constant " << k;
    ASSERT_EQ(data->size(), datas[k].size());
    if (!datas[k].empty()) {
      EXPECT_EQ(std::memcmp(data->data(), datas[k].data(), datas[k].size()), 0) << "constant " << k;
      EXPECT_EQ((data->data() - bytes.data()) % 16, 0) << "constant " << k;
    }
    EXPECT_EQ(tensors->Get(2 * k)->buffer(), 0u);
  }
  EXPECT_EQ(bytes.size() % 16, 0u);
}

TEST(ModelBuilderTest, TypedConstantsAreLittleEndianValues) {
  ModelBuilder b;
  b.add_constant<int32_t>(DataType::kInt32, {3}, {1, -2, 0x01020304});
  b.add_constant<float>(DataType::kFloat32, {2}, {1.5f, -0.25f});
  b.add_constant<int16_t>(DataType::kInt16, {1, 2}, {-300, 300});
  b.add_constant<int64_t>(DataType::kInt64, {1}, {int64_t{1} << 40});
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  auto data = [&](int buffer) { return m->buffers()->Get(buffer)->data()->data(); };
  const uint8_t i32[] = {1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 4, 3, 2, 1};
  EXPECT_EQ(std::memcmp(data(1), i32, sizeof(i32)), 0);
  float f[2];
  std::memcpy(f, data(2), sizeof(f));
  EXPECT_EQ(f[0], 1.5f);
  EXPECT_EQ(f[1], -0.25f);
  int16_t s[2];
  std::memcpy(s, data(3), sizeof(s));
  EXPECT_EQ(s[0], -300);
  EXPECT_EQ(s[1], 300);
  int64_t l;
  std::memcpy(&l, data(4), sizeof(l));
  EXPECT_EQ(l, int64_t{1} << 40);
}

TEST(ModelBuilderTest, OperatorCodesAreDeduplicatedLikeTheConverter) {
  ModelBuilder b;
  int x = b.add_tensor(DataType::kFloat32, {1, 4});
  int y = b.add_tensor(DataType::kFloat32, {1, 4});
  EXPECT_EQ(b.add_op(BuiltinOp::kAdd, {x, x}, {y}), 0);
  EXPECT_EQ(b.add_op(BuiltinOp::kHardSwish, {y}, {x}), 1);
  EXPECT_EQ(b.add_op(BuiltinOp::kAdd, {x, y}, {y}), 2);
  EXPECT_EQ(b.add_op(BuiltinOp::kAdd, {x, y}, {y}, tflite::BuiltinOptions::NONE, nullptr, /*version=*/2), 3);
  EXPECT_EQ(b.add_custom_op("Foo", {y}, {x}), 4);
  EXPECT_EQ(b.add_custom_op("Bar", {x}, {y}), 5);
  EXPECT_EQ(b.add_custom_op("Foo", {y}, {x}), 6);
  // A code above 127 (GELU = 150) is written as deprecated 127 + builtin_code 150.
  EXPECT_EQ(b.add_op(static_cast<BuiltinOp>(150), {x}, {y}), 7);
  EXPECT_EQ(b.num_ops(), 8);
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);

  const auto* codes = m->operator_codes();
  ASSERT_EQ(codes->size(), 6u);
  struct Expected {
    int8_t deprecated;
    int32_t code;
    int version;
    const char* custom;
  };
  const Expected expected[] = {{0, 0, 1, nullptr}, {117, 117, 1, nullptr}, {0, 0, 2, nullptr},
                               {32, 32, 1, "Foo"}, {32, 32, 1, "Bar"},     {127, 150, 1, nullptr}};
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(codes->Get(i)->deprecated_builtin_code(), expected[i].deprecated);
    EXPECT_EQ(codes->Get(i)->builtin_code(), expected[i].code);
    EXPECT_EQ(codes->Get(i)->version(), expected[i].version);
    if (expected[i].custom) {
      ASSERT_NE(codes->Get(i)->custom_code(), nullptr);
      EXPECT_EQ(codes->Get(i)->custom_code()->str(), expected[i].custom);
    } else {
      EXPECT_EQ(codes->Get(i)->custom_code(), nullptr);
    }
  }
  const auto* ops = m->subgraphs()->Get(0)->operators();
  ASSERT_EQ(ops->size(), 8u);
  const uint32_t opcode_index[] = {0, 1, 0, 2, 3, 4, 3, 5};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(ops->Get(i)->opcode_index(), opcode_index[i]) << "op " << i;
  EXPECT_EQ(vec(ops->Get(2)->inputs()), (std::vector<int32_t>{x, y}));
  EXPECT_EQ(vec(ops->Get(2)->outputs()), (std::vector<int32_t>{y}));
}

TEST(ModelBuilderTest, BuiltinOptionsAreWritten) {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kFloat32, {1, 5, 5, 2});
  int w = b.add_constant(DataType::kFloat32, {3, 3, 3, 2}, std::vector<float>(54, 0.5f).data(), 54 * 4);
  int bias = b.add_constant<float>(DataType::kFloat32, {3}, {0, 0, 0});
  int conv = b.add_tensor(DataType::kFloat32, {1, 3, 3, 3});
  int flat = b.add_tensor(DataType::kFloat32, {1, 27});
  int out = b.add_tensor(DataType::kFloat32, {1, 27});
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {conv}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 2,
                                       tflite::ActivationFunctionType::RELU6)
        .Union();
  });
  // No writer: an empty table, every field at its default.
  b.add_op(BuiltinOp::kReshape, {conv}, {flat}, tflite::BuiltinOptions::ReshapeOptions);
  b.add_op(BuiltinOp::kSoftmax, {flat}, {out}, tflite::BuiltinOptions::SoftmaxOptions,
           [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 0.75f).Union(); });
  b.add_op(BuiltinOp::kRelu, {out}, {flat});
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  const auto* ops = m->subgraphs()->Get(0)->operators();

  const auto* conv_options = ops->Get(0)->builtin_options_as_Conv2DOptions();
  ASSERT_NE(conv_options, nullptr);
  EXPECT_EQ(conv_options->padding(), tflite::Padding::VALID);
  EXPECT_EQ(conv_options->stride_w(), 1);
  EXPECT_EQ(conv_options->stride_h(), 2);
  EXPECT_EQ(conv_options->fused_activation_function(), tflite::ActivationFunctionType::RELU6);
  EXPECT_EQ(conv_options->dilation_w_factor(), 1);

  const auto* reshape_options = ops->Get(1)->builtin_options_as_ReshapeOptions();
  ASSERT_NE(reshape_options, nullptr);
  EXPECT_EQ(reshape_options->new_shape(), nullptr);

  const auto* softmax_options = ops->Get(2)->builtin_options_as_SoftmaxOptions();
  ASSERT_NE(softmax_options, nullptr);
  EXPECT_EQ(softmax_options->beta(), 0.75f);

  EXPECT_EQ(ops->Get(3)->builtin_options_type(), tflite::BuiltinOptions::NONE);
  EXPECT_EQ(ops->Get(3)->builtin_options(), nullptr);
}

TEST(ModelBuilderTest, OmittedInputsIntermediatesAndCustomOptions) {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kInt8, {1, 4});
  int state = b.add_variable(DataType::kInt8, {1, 4});
  int mid = b.add_tensor(DataType::kInt16, {1, 4});
  int out = b.add_tensor(DataType::kInt8, {1, 4});
  b.add_op(BuiltinOp::kUnidirectionalSequenceLstm, {in, -1, state, -1}, {out},
           tflite::BuiltinOptions::UnidirectionalSequenceLSTMOptions, nullptr, /*version=*/1, {mid});
  b.add_custom_op("MyCustom", {out}, {in}, {0xde, 0xad, 0xbe, 0xef});
  b.add_custom_op("NoOptions", {in}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  b.set_description("unit test");
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  EXPECT_EQ(m->description()->str(), "unit test");
  const tflite::SubGraph* g = m->subgraphs()->Get(0);
  EXPECT_EQ(vec(g->inputs()), (std::vector<int32_t>{in}));
  EXPECT_EQ(vec(g->outputs()), (std::vector<int32_t>{out}));
  const auto* ops = g->operators();
  EXPECT_EQ(vec(ops->Get(0)->inputs()), (std::vector<int32_t>{in, -1, state, -1}));
  EXPECT_EQ(vec(ops->Get(0)->intermediates()), (std::vector<int32_t>{mid}));
  EXPECT_EQ(ops->Get(1)->intermediates(), nullptr);
  const auto* custom = ops->Get(1)->custom_options();
  ASSERT_NE(custom, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(custom->begin(), custom->end()),
            (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(ops->Get(1)->custom_options_format(), tflite::CustomOptionsFormat::FLEXBUFFERS);
  EXPECT_EQ(ops->Get(2)->custom_options(), nullptr);
}

TEST(ModelBuilderTest, FinishIsRepeatableAndSeesLaterChanges) {
  ModelBuilder b = fc_model(true);
  std::vector<uint8_t> first = b.finish();
  EXPECT_EQ(first, b.finish());
  b.set_description("changed");
  AlignedBytes bytes(b.finish());
  EXPECT_EQ(verified(bytes)->description()->str(), "changed");
}

TEST(ModelBuilderTest, RejectsMistakes) {
  ModelBuilder b;
  int x = b.add_tensor(DataType::kFloat32, {2, 3});
  const float six[6] = {};
  // Data size != shape x element size.
  EXPECT_THROW(b.add_constant(DataType::kFloat32, {2, 3}, six, 20), std::invalid_argument);
  EXPECT_THROW(b.add_constant<int8_t>(DataType::kInt16, {4}, {1, 2, 3, 4}), std::invalid_argument);
  EXPECT_THROW(b.add_constant(DataType::kFloat32, {2, 3}, nullptr, 24), std::invalid_argument);
  // Quantization inconsistent with itself or the shape.
  QuantParams bad_zero_points = QuantParams::per_tensor(1.0f, 0);
  bad_zero_points.zero_points.clear();
  EXPECT_THROW(b.add_tensor(DataType::kInt8, {4}, bad_zero_points), std::invalid_argument);
  EXPECT_THROW(b.add_tensor(DataType::kInt8, {3, 4}, QuantParams::per_channel({1, 1}, {0, 0}, 0)),
               std::invalid_argument);
  EXPECT_THROW(b.add_tensor(DataType::kInt8, {2, 4}, QuantParams::per_channel({1, 1}, {0, 0}, 2)),
               std::invalid_argument);
  // Shapes.
  EXPECT_THROW(b.add_tensor(DataType::kInt8, {1, -1}), std::invalid_argument);
  EXPECT_THROW(b.add_tensor(DataType::kInt8, {1, 1, 1, 1, 1, 1, 1}), std::invalid_argument);
  // Indices.
  EXPECT_THROW(b.add_op(BuiltinOp::kRelu, {x}, {7}), std::invalid_argument);
  EXPECT_THROW(b.add_op(BuiltinOp::kRelu, {-2}, {x}), std::invalid_argument);
  EXPECT_THROW(b.add_op(BuiltinOp::kRelu, {x}, {-1}), std::invalid_argument);  // -1 only for inputs
  EXPECT_THROW(b.set_inputs({1}), std::invalid_argument);
  EXPECT_THROW(b.set_outputs({-1}), std::invalid_argument);
  // Options writer without a type, CUSTOM through add_op, bad version.
  EXPECT_THROW(b.add_op(BuiltinOp::kSoftmax, {x}, {x}, tflite::BuiltinOptions::NONE,
                        [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); }),
               std::invalid_argument);
  EXPECT_THROW(b.add_op(BuiltinOp::kCustom, {x}, {x}), std::invalid_argument);
  EXPECT_THROW(b.add_op(BuiltinOp::kRelu, {x}, {x}, tflite::BuiltinOptions::NONE, nullptr, 0),
               std::invalid_argument);
  // Nothing was added by the failed calls.
  EXPECT_EQ(b.num_tensors(), 1);
  EXPECT_EQ(b.num_ops(), 0);
  try {
    b.add_constant(DataType::kFloat32, {2, 3}, six, 20, {}, "weights");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("weights"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("24"), std::string::npos) << e.what();
  }
}

TEST(ModelBuilderTest, SpecialElementSizes) {
  ModelBuilder b;
  // int4 constants are packed two per byte, rounded up.
  b.add_constant<uint8_t>(DataType::kInt4, {3}, {0x21, 0x03});
  EXPECT_THROW(b.add_constant<uint8_t>(DataType::kInt4, {3}, {1, 2, 3}), std::invalid_argument);
  b.add_constant<uint8_t>(DataType::kBool, {2}, {1, 0});
  b.add_constant<uint16_t>(DataType::kFloat16, {1}, {0x3c00});
  // Zero elements: zero bytes.
  b.add_constant(DataType::kFloat32, {0, 4}, nullptr, 0);
  AlignedBytes bytes(b.finish());
  verified(bytes);
}

TEST(ModelBuilderTest, ChecksOffWritesMalformedButVerifiableModels) {
  ModelBuilder b;
  b.set_checks(false);
  const uint8_t three[3] = {1, 2, 3};
  int c = b.add_constant(DataType::kFloat32, {2, 2}, three, sizeof(three));
  int x = b.add_tensor(DataType::kInt8, {-1, 4}, QuantParams::per_channel({1, 2}, {0}, 5));
  b.add_op(BuiltinOp::kAdd, {c, 42}, {x, -5});
  b.set_outputs({99});
  AlignedBytes bytes(b.finish());
  const tflite::Model* m = verified(bytes);
  EXPECT_EQ(m->buffers()->Get(1)->data()->size(), 3u);
  EXPECT_EQ(vec(m->subgraphs()->Get(0)->operators()->Get(0)->outputs()), (std::vector<int32_t>{x, -5}));
  EXPECT_EQ(vec(m->subgraphs()->Get(0)->outputs()), (std::vector<int32_t>{99}));
}

// The runtime's loader accepts what the builder writes and sees the same tensors and ops.
TEST(ModelBuilderTest, RuntimeLoadsBuiltModels) {
  for (bool with_bias : {true, false}) {
    SCOPED_TRACE(with_bias);
    AlignedBytes bytes(fc_model(with_bias).finish());
    Model model;
    Status status = Model::from_bytes(bytes.data(), bytes.size(), &model);
    ASSERT_TRUE(status.is_ok()) << status.message();
    EXPECT_EQ(model.num_tensors(), with_bias ? 4 : 3);
    EXPECT_EQ(model.num_ops(), 1);
    EXPECT_EQ(model.op_code(0), static_cast<int32_t>(BuiltinOp::kFullyConnected));
    EXPECT_EQ(model.num_inputs(), 1);
    EXPECT_EQ(model.input_tensor_index(0), 0);
    EXPECT_EQ(model.output_tensor_index(0), with_bias ? 3 : 2);
    EXPECT_TRUE(model.tensor_is_constant(1));
    EXPECT_FALSE(model.tensor_is_constant(0));
    Tensor w = model.tensor(1);
    ASSERT_NE(w.data, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % 16, 0u);
    EXPECT_EQ(w.data_as<const float>()[7], 8.0f);
    EXPECT_EQ(w.shape.rank, 2);
    EXPECT_EQ(w.shape.dim(1), 4);
  }
}

TEST(ModelBuilderTest, RuntimeLoadsQuantizedModelWithCustomOpAndState) {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kInt8, {1, 6}, QuantParams::per_tensor(0.1f, 3), "in");
  int w = b.add_constant<int8_t>(DataType::kInt8, {2, 6}, {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6},
                                 QuantParams::per_channel({0.01f, 0.02f}, {0, 0}, 0), "w");
  int bias = b.add_constant<int32_t>(DataType::kInt32, {2}, {10, -10},
                                     QuantParams::per_channel({1e-3f, 2e-3f}, {0, 0}, 0));
  int fc = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.05f, -1), "fc");
  int state = b.add_variable(DataType::kInt16, {1, 2}, QuantParams::per_tensor(1.0f / 32768, 0), "state");
  int out = b.add_tensor(DataType::kInt8, {1, 2}, QuantParams::per_tensor(0.05f, -1), "out");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {fc}, tflite::BuiltinOptions::FullyConnectedOptions);
  b.add_custom_op("EdgeInferTestOp", {fc, state}, {out}, {1, 2, 3});
  b.set_inputs({in});
  b.set_outputs({out});
  AlignedBytes bytes(b.finish());
  Model model;
  Status status = Model::from_bytes(bytes.data(), bytes.size(), &model);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(model.num_ops(), 2);
  EXPECT_STREQ(model.op_custom_name(1), "EdgeInferTestOp");
  EXPECT_EQ(model.op_custom_name(0), nullptr);
  EXPECT_TRUE(model.tensor_is_variable(state));
  EXPECT_FALSE(model.tensor_is_constant(state));
  Tensor tw = model.tensor(w);
  EXPECT_TRUE(tw.quant.is_per_channel());
  EXPECT_EQ(tw.quant.count, 2);
  EXPECT_EQ(tw.quant.scale(1), 0.02f);
  Tensor tin = model.tensor(in);
  EXPECT_EQ(tin.quant.zero_point(), 3);
  EXPECT_EQ(tin.type, DataType::kInt8);
}

}  // namespace
}  // namespace edgeinfer::compiler
