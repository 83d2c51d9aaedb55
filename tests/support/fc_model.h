// A float FULLY_CONNECTED model built with ModelBuilder: [1, inputs] -> [1, outputs]. Header-only and free of
// the test framework, so that fuzz targets can use it too.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/model_builder.h"

namespace edgeinfer::testing {

// `weights` is [outputs, inputs], row-major; an empty `bias` means none.
inline std::vector<uint8_t> float_fc_model(int inputs, int outputs, const std::vector<float>& weights,
                                           const std::vector<float>& bias = {}) {
  compiler::ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, inputs});
  const int w = b.add_constant<float>(DataType::kFloat32, {outputs, inputs}, weights);
  const int b_index = bias.empty() ? -1 : b.add_constant<float>(DataType::kFloat32, {outputs}, bias);
  const int out = b.add_tensor(DataType::kFloat32, {1, outputs});
  b.add_op(BuiltinOp::kFullyConnected, {in, w, b_index}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

}  // namespace edgeinfer::testing
