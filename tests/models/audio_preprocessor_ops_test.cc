// The builtin ops of TFLM's audio preprocessor models (audio_preprocessor_int8 / _float, whose other ops are
// TFLM Signal custom ops) against TFLM's intermediate tensors for --fill lcg:12345: each op is rebuilt as a
// single-op model with the shared model's tensor types, shapes, quantization, constant inputs, options and op
// version, fed the golden tensors TFLM gave its non-constant inputs, and must reproduce TFLM's output tensors
// byte for byte. Runs the kernels registered by register_reference_kernels().
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/model.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

struct OpCase {
  const char* model;  // stem under models/tflm and golden/tflm-tensors
  int op_index;
  const char* op_name;
};

// Every builtin op of the two models, in execution order.
const OpCase kCases[] = {
    {"audio_preprocessor_int8", 1, "RESHAPE"},        {"audio_preprocessor_int8", 5, "CAST"},
    {"audio_preprocessor_int8", 6, "STRIDED_SLICE"},  {"audio_preprocessor_int8", 7, "CONCATENATION"},
    {"audio_preprocessor_int8", 8, "CAST"},           {"audio_preprocessor_int8", 14, "CAST"},
    {"audio_preprocessor_int8", 15, "MUL"},           {"audio_preprocessor_int8", 16, "ADD"},
    {"audio_preprocessor_int8", 17, "DIV"},           {"audio_preprocessor_int8", 18, "ADD"},
    {"audio_preprocessor_int8", 19, "MINIMUM"},       {"audio_preprocessor_int8", 20, "MAXIMUM"},
    {"audio_preprocessor_int8", 21, "CAST"},          {"audio_preprocessor_float", 1, "RESHAPE"},
    {"audio_preprocessor_float", 5, "CAST"},          {"audio_preprocessor_float", 6, "STRIDED_SLICE"},
    {"audio_preprocessor_float", 7, "CONCATENATION"}, {"audio_preprocessor_float", 8, "CAST"},
    {"audio_preprocessor_float", 14, "CAST"},         {"audio_preprocessor_float", 15, "MUL"},
};

std::filesystem::path model_path(const std::filesystem::path& shared, const std::string& stem) {
  return shared / "models" / "tflm" / (stem + ".tflite");
}

std::filesystem::path golden_tensor_path(const std::filesystem::path& shared, const std::string& stem,
                                         int tensor) {
  char name[16];
  std::snprintf(name, sizeof(name), "t%03d.bin", tensor);
  return shared / "golden" / "tflm-tensors" / (stem + ".seed12345") / name;
}

compiler::QuantParams quant_of(const Tensor& tensor) {
  compiler::QuantParams quant;
  if (!tensor.quant.is_quantized()) return quant;
  for (int i = 0; i < tensor.quant.count; ++i) {
    quant.scales.push_back(tensor.quant.scale(i));
    quant.zero_points.push_back(tensor.quant.zero_point(i));
  }
  quant.quantized_dimension = tensor.quant.quantized_dimension;
  return quant;
}

std::vector<int32_t> dims_of(const Tensor& tensor) {
  return std::vector<int32_t>(tensor.shape.dims, tensor.shape.dims + tensor.shape.rank);
}

// The op's builtin options, rewritten field by field for the ops of these models (no options: NONE).
struct Options {
  tflite::BuiltinOptions type = tflite::BuiltinOptions::NONE;
  compiler::OptionsWriter writer;
};

Options options_of(const tflite::Operator& op) {
  Options o;
  if (const auto* add = op.builtin_options_as_AddOptions()) {
    o.type = tflite::BuiltinOptions::AddOptions;
    o.writer = [a = add->fused_activation_function(), pot = add->pot_scale_int16()](auto& fbb) {
      return tflite::CreateAddOptions(fbb, a, pot).Union();
    };
  } else if (const auto* mul = op.builtin_options_as_MulOptions()) {
    o.type = tflite::BuiltinOptions::MulOptions;
    o.writer = [a = mul->fused_activation_function()](auto& fbb) {
      return tflite::CreateMulOptions(fbb, a).Union();
    };
  } else if (const auto* div = op.builtin_options_as_DivOptions()) {
    o.type = tflite::BuiltinOptions::DivOptions;
    o.writer = [a = div->fused_activation_function()](auto& fbb) {
      return tflite::CreateDivOptions(fbb, a).Union();
    };
  } else if (const auto* concat = op.builtin_options_as_ConcatenationOptions()) {
    o.type = tflite::BuiltinOptions::ConcatenationOptions;
    o.writer = [axis = concat->axis(), a = concat->fused_activation_function()](auto& fbb) {
      return tflite::CreateConcatenationOptions(fbb, axis, a).Union();
    };
  } else if (const auto* slice = op.builtin_options_as_StridedSliceOptions()) {
    o.type = tflite::BuiltinOptions::StridedSliceOptions;
    o.writer = [begin = slice->begin_mask(), end = slice->end_mask(), ellipsis = slice->ellipsis_mask(),
                new_axis = slice->new_axis_mask(), shrink = slice->shrink_axis_mask(),
                offset = slice->offset()](auto& fbb) {
      return tflite::CreateStridedSliceOptions(fbb, begin, end, ellipsis, new_axis, shrink, offset).Union();
    };
  } else if (const auto* reshape = op.builtin_options_as_ReshapeOptions()) {
    std::vector<int32_t> new_shape;
    if (reshape->new_shape()) new_shape.assign(reshape->new_shape()->begin(), reshape->new_shape()->end());
    o.type = tflite::BuiltinOptions::ReshapeOptions;
    o.writer = [new_shape](auto& fbb) {
      return tflite::CreateReshapeOptions(fbb, fbb.CreateVector(new_shape)).Union();
    };
  } else if (const auto* cast = op.builtin_options_as_CastOptions()) {
    o.type = tflite::BuiltinOptions::CastOptions;
    o.writer = [in = cast->in_data_type(), out = cast->out_data_type()](auto& fbb) {
      return tflite::CreateCastOptions(fbb, in, out).Union();
    };
  } else if (op.builtin_options_as_MaximumMinimumOptions()) {
    o.type = tflite::BuiltinOptions::MaximumMinimumOptions;
  }
  return o;
}

// Op `op_index` of `model` alone: its constant inputs copied, its other inputs graph inputs (their tensor
// indices in the shared model go to `graph_inputs`, in order), its outputs the graph outputs
// (`graph_outputs`).
std::vector<uint8_t> single_op_from(const Model& model, int op_index, std::vector<int>* graph_inputs,
                                    std::vector<int>* graph_outputs) {
  const tflite::Operator& op = *model.op(op_index);
  compiler::ModelBuilder builder;
  std::vector<int> inputs, outputs, builder_inputs;
  for (const int32_t index : *op.inputs()) {
    if (index < 0) {
      inputs.push_back(-1);
      continue;
    }
    const Tensor tensor = model.tensor(index);
    const std::string name = tensor.name ? tensor.name : "";
    if (model.tensor_is_constant(index)) {
      inputs.push_back(builder.add_constant(tensor.type, dims_of(tensor), tensor.data,
                                            model.tensor_bytes(index), quant_of(tensor), name));
    } else {
      inputs.push_back(builder.add_tensor(tensor.type, dims_of(tensor), quant_of(tensor), name));
      builder_inputs.push_back(inputs.back());
      graph_inputs->push_back(index);
    }
  }
  for (const int32_t index : *op.outputs()) {
    const Tensor tensor = model.tensor(index);
    outputs.push_back(
        builder.add_tensor(tensor.type, dims_of(tensor), quant_of(tensor), tensor.name ? tensor.name : ""));
    graph_outputs->push_back(index);
  }
  const Options options = options_of(op);
  builder.add_op(static_cast<BuiltinOp>(model.op_code(op_index)), inputs, outputs, options.type,
                 options.writer, model.op_version(op_index));
  builder.set_inputs(builder_inputs);
  builder.set_outputs(outputs);
  return builder.finish();
}

class AudioPreprocessorOpTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(AudioPreprocessorOpTest, MatchesTflmGoldenTensors) {
  EI_REQUIRE_SHARED_DIR(shared);
  const OpCase& c = GetParam();
  host::LoadedModel loaded;
  const Status load = loaded.load_file(model_path(shared, c.model).string());
  ASSERT_TRUE(load.is_ok()) << load.message();
  const Model& model = loaded.model();
  ASSERT_LT(c.op_index, model.num_ops());
  ASSERT_STREQ(model.op_name(c.op_index), c.op_name);

  std::vector<int> graph_inputs, graph_outputs;
  const std::vector<uint8_t> bytes = single_op_from(model, c.op_index, &graph_inputs, &graph_outputs);
  std::vector<std::vector<uint8_t>> inputs;
  for (int index : graph_inputs) inputs.push_back(read_bytes(golden_tensor_path(shared, c.model, index)));

  AllOpsResolver resolver;
  const Kernel* kernel = resolver.find(model.op_code(c.op_index), nullptr);
  ASSERT_NE(kernel, nullptr) << c.op_name << " has no registered kernel";
  const RunResult result =
      run_model(bytes, {{static_cast<BuiltinOp>(model.op_code(c.op_index)), kernel}}, inputs);
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  ASSERT_EQ(result.outputs.size(), graph_outputs.size());
  for (size_t i = 0; i < graph_outputs.size(); ++i) {
    const std::vector<uint8_t> golden = read_bytes(golden_tensor_path(shared, c.model, graph_outputs[i]));
    ASSERT_EQ(result.outputs[i].size(), golden.size()) << "output tensor " << graph_outputs[i];
    size_t mismatches = 0, first = 0;
    for (size_t b = 0; b < golden.size(); ++b)
      if (result.outputs[i][b] != golden[b] && mismatches++ == 0) first = b;
    EXPECT_EQ(mismatches, 0u) << "output tensor " << graph_outputs[i] << ": first differing byte " << first
                              << ", ours " << int(result.outputs[i][first]) << ", TFLM "
                              << int(golden[first]);
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, AudioPreprocessorOpTest, ::testing::ValuesIn(kCases), [](const auto& info) {
  const OpCase& c = info.param;
  const std::string model = std::string(c.model).substr(std::string("audio_preprocessor_").size());
  return model + "_op" + std::to_string(c.op_index) + "_" + c.op_name;
});

// The list above covers every builtin op of both models.
TEST(AudioPreprocessorOps, CasesCoverEveryBuiltinOp) {
  EI_REQUIRE_SHARED_DIR(shared);
  for (const char* stem : {"audio_preprocessor_int8", "audio_preprocessor_float"}) {
    host::LoadedModel loaded;
    ASSERT_TRUE(loaded.load_file(model_path(shared, stem).string()).is_ok()) << stem;
    const Model& model = loaded.model();
    for (int i = 0; i < model.num_ops(); ++i) {
      if (model.op_custom_name(i) != nullptr) continue;
      bool listed = false;
      for (const OpCase& c : kCases) listed |= std::string(c.model) == stem && c.op_index == i;
      EXPECT_TRUE(listed) << stem << " op " << i << " (" << model.op_name(i) << ") has no golden case";
    }
  }
}

}  // namespace
}  // namespace edgeinfer::testing
