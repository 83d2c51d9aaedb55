// Builder-made models for the CLI tests (tests/cli) and the CLI robustness test: strings to escape (names, a
// description, a custom op, hostile bytes) and a stateful model for `run --stream`. Header-only, like
// builder_models.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/model_builder.h"

namespace edgeinfer::robustness {

// Names, a description and Unicode: the strings the escaping is about.
inline std::vector<uint8_t> named_model() {
  compiler::ModelBuilder b;
  b.set_description("EdgeInfer CLI robustness: named tensors, \xC3\xA4\xC3\xB6\xC3\xBC");
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "serving_default_input:0");
  const int w = b.add_constant<float>(DataType::kFloat32, {3, 4}, {1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4},
                                      {}, "sequential/dense/MatMul");
  const int bias =
      b.add_constant<float>(DataType::kFloat32, {3}, {0.5f, -0.5f, 1}, {}, "dense/bias_\xE2\x82\xAC");
  const int hidden = b.add_tensor(DataType::kFloat32, {1, 3}, {}, "sequential/dense/Relu;dense/BiasAdd");
  const int out = b.add_tensor(DataType::kFloat32, {1, 3}, {}, "StatefulPartitionedCall:0");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {hidden}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) {
             return tflite::CreateFullyConnectedOptions(fbb, tflite::ActivationFunctionType::RELU).Union();
           });
  b.add_op(BuiltinOp::kLogistic, {hidden}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// A custom op the runtime does not know: `inspect` reports an unknown arena, `run` a clean error.
inline std::vector<uint8_t> custom_op_model() {
  compiler::ModelBuilder b;
  b.set_description("custom op");
  const int in = b.add_tensor(DataType::kInt8, {1, 8}, compiler::QuantParams::per_tensor(0.5f, 0), "audio");
  const int out =
      b.add_tensor(DataType::kInt8, {1, 8}, compiler::QuantParams::per_tensor(0.5f, 0), "features");
  b.add_custom_op("VendorFrontEnd\xE2\x84\xA2", {in}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// An SVDF with a state tensor: `run --stream` carries its state.
inline std::vector<uint8_t> svdf_model() {
  compiler::ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "frame");
  const int wf = b.add_constant<float>(
      DataType::kFloat32, {4, 4},
      {0.5f, -0.25f, 0.125f, 1, -1, 0.75f, 0.5f, 0.25f, 0.1f, 0.2f, 0.3f, 0.4f, -0.4f, -0.3f, 0.2f, 0.1f}, {},
      "weights_feature");
  const int wt = b.add_constant<float>(DataType::kFloat32, {4, 3},
                                       {0.5f, 0.25f, 1, -0.5f, 0.75f, 0.1f, 0.2f, -0.3f, 0.4f, 1, 1, -1}, {},
                                       "weights_time");
  const int bias = b.add_constant<float>(DataType::kFloat32, {2}, {0.1f, -0.1f}, {}, "bias");
  const int state = b.add_variable(DataType::kFloat32, {1, 12}, {}, "svdf_state");
  const int out = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "svdf_out");
  b.add_op(BuiltinOp::kSvdf, {in, wf, wt, bias, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
           [](auto& fbb) { return tflite::CreateSVDFOptions(fbb, 2).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// What the bug report found in mutated real models, on purpose: tensor names, the description and a custom op
// name with invalid UTF-8, control characters and a terminal escape sequence.
inline std::vector<uint8_t> hostile_strings_model() {
  compiler::ModelBuilder b;
  b.set_description("descr\xff\xfeiption\n\x1b[2J");
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "bad\xff\xfename");
  const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "line\nbreak\x1b[31m\xc2\x9b\xe2\x80\xae");
  b.add_op(BuiltinOp::kRelu, {in}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

inline std::vector<uint8_t> hostile_custom_op_model() {
  compiler::ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "in");
  const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "out");
  b.add_custom_op("Op\xff\n\x1b]0;title\x07", {in}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// Every model above with its name.
inline std::vector<std::pair<std::string, std::vector<uint8_t> (*)()>> cli_models() {
  return {{"named", named_model},
          {"custom_op", custom_op_model},
          {"svdf", svdf_model},
          {"hostile_strings", hostile_strings_model},
          {"hostile_custom_op", hostile_custom_op_model}};
}

}  // namespace edgeinfer::robustness
