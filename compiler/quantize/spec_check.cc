#include "compiler/quantize/spec_check.h"

#include <cmath>

namespace edgeinfer::compiler::quantize {
namespace {

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

bool same_params(const GraphTensor& a, const GraphTensor& b) {
  return a.quant.scales.size() == 1 && b.quant.scales.size() == 1 &&
         close(a.quant.scales[0], b.quant.scales[0]) && a.quant.zero_points == b.quant.zero_points;
}

}  // namespace

std::vector<std::string> check_integer_spec(const Graph& g) {
  std::vector<std::string> problems;
  auto label = [&](size_t op, int t) {
    return "op " + std::to_string(op) + " (" + g.ops[op].name() + ") tensor " + std::to_string(t) + " '" +
           g.tensors[t].name + "'";
  };
  // The activation type: the first integer activation's.
  DataType act = DataType::kInt8;
  for (const GraphOp& op : g.ops)
    for (int t : op.outputs)
      if (g.tensors[t].type == DataType::kInt16) act = DataType::kInt16;
  const bool int16 = act == DataType::kInt16;

  for (size_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    const bool io_op = op.is(BuiltinOp::kQuantize) || op.is(BuiltinOp::kDequantize);
    auto check_activation = [&](int t) {
      const GraphTensor& tensor = g.tensors[t];
      if (tensor.is_constant || tensor.type == DataType::kInt32) return;
      if (io_op && tensor.type == DataType::kFloat32) return;
      if (tensor.type != act) {
        problems.push_back(label(i, t) + ": activation is " + data_type_name(tensor.type) + ", expected " +
                           data_type_name(act));
        return;
      }
      if (tensor.quant.scales.size() != 1 || tensor.quant.zero_points.size() != 1) {
        problems.push_back(label(i, t) + ": activation is not quantized per tensor");
        return;
      }
      if (!(tensor.quant.scales[0] > 0) || !std::isfinite(tensor.quant.scales[0]))
        problems.push_back(label(i, t) + ": scale is not a finite positive number");
      const int64_t zp = tensor.quant.zero_points[0];
      if (int16 ? zp != 0 : (zp < -128 || zp > 127))
        problems.push_back(label(i, t) + ": zero point " + std::to_string(zp) + " is not allowed");
    };
    for (int t : op.inputs)
      if (t >= 0) check_activation(t);
    for (int t : op.outputs) check_activation(t);

    if (op.is(BuiltinOp::kConv2D) || op.is(BuiltinOp::kDepthwiseConv2D) ||
        op.is(BuiltinOp::kFullyConnected)) {
      const GraphTensor& in = g.tensors[op.inputs[0]];
      const GraphTensor& w = g.tensors[op.inputs[1]];
      const int axis = op.is(BuiltinOp::kDepthwiseConv2D) ? 3 : 0;
      if (w.type != DataType::kInt8) problems.push_back(label(i, op.inputs[1]) + ": weights are not int8");
      for (int64_t zp : w.quant.zero_points)
        if (zp != 0)
          problems.push_back(label(i, op.inputs[1]) + ": weights are not symmetric (zero point " +
                             std::to_string(zp) + ")");
      if (w.quant.scales.size() > 1 && w.quant.quantized_dimension != axis)
        problems.push_back(label(i, op.inputs[1]) + ": per-channel along dimension " +
                           std::to_string(w.quant.quantized_dimension) + ", expected " +
                           std::to_string(axis));
      if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const GraphTensor& b = g.tensors[op.inputs[2]];
        const DataType bias_type = int16 ? DataType::kInt64 : DataType::kInt32;
        if (b.type != bias_type && !(int16 && b.type == DataType::kInt32))
          problems.push_back(label(i, op.inputs[2]) + ": bias is " + data_type_name(b.type));
        for (int64_t zp : b.quant.zero_points)
          if (zp != 0) problems.push_back(label(i, op.inputs[2]) + ": bias zero point is not 0");
        if (!in.quant.scales.empty() && !w.quant.scales.empty()) {
          for (size_t c = 0; c < b.quant.scales.size(); ++c) {
            const double expected =
                static_cast<double>(in.quant.scales[0]) * w.quant.scales[w.quant.scales.size() > 1 ? c : 0];
            if (!close(b.quant.scales[c], static_cast<float>(expected)))
              problems.push_back(label(i, op.inputs[2]) + ": bias scale " + std::to_string(c) +
                                 " is not input scale x weight scale");
          }
          if (b.quant.scales.empty()) problems.push_back(label(i, op.inputs[2]) + ": bias has no scale");
        }
      }
    }
    const GraphTensor& out = g.tensors[op.outputs[0]];
    auto expect_fixed = [&](double scale, int64_t zp) {
      if (out.quant.scales.size() != 1 || !close(out.quant.scales[0], scale) ||
          out.quant.zero_points != std::vector<int64_t>{zp})
        problems.push_back(label(i, op.outputs[0]) + ": output must have scale " + std::to_string(scale) +
                           " and zero point " + std::to_string(zp));
    };
    if (op.is(BuiltinOp::kSoftmax) || op.is(BuiltinOp::kLogistic))
      expect_fixed(int16 ? 1.0 / 32768 : 1.0 / 256, int16 ? 0 : -128);
    if (op.is(BuiltinOp::kTanh)) expect_fixed(int16 ? 1.0 / 32768 : 1.0 / 128, 0);
    switch (op.op()) {
      case BuiltinOp::kAveragePool2D:
      case BuiltinOp::kMaxPool2D:
      case BuiltinOp::kReshape:
      case BuiltinOp::kSqueeze:
      case BuiltinOp::kPad:
      case BuiltinOp::kPadV2:
      case BuiltinOp::kConcatenation:
      case BuiltinOp::kStridedSlice:
      case BuiltinOp::kTranspose: {
        const GraphTensor& first = g.tensors[op.inputs[0]];
        for (int t : op.outputs)
          if (!same_params(g.tensors[t], first))
            problems.push_back(label(i, t) + ": output parameters differ from the input's");
        if (op.is(BuiltinOp::kConcatenation))
          for (int t : op.inputs)
            if (!same_params(g.tensors[t], first))
              problems.push_back(label(i, t) + ": concatenated inputs have different parameters");
        break;
      }
      default: break;
    }
  }
  return problems;
}

}  // namespace edgeinfer::compiler::quantize
