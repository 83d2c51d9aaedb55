#include "compiler/model_stats.h"

#include <cstdint>
#include <initializer_list>

#include "edgeinfer/ops.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer::compiler {
namespace {

// MAC counts of hostile models (shapes near 2^31 in several dimensions) saturate instead of overflowing.
int64_t saturating_product(std::initializer_list<int64_t> factors) {
  int64_t product = 1;
  for (int64_t factor : factors)
    if (__builtin_mul_overflow(product, factor, &product)) return INT64_MAX;
  return product;
}

int64_t saturating_sum(int64_t a, int64_t b) {
  int64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

int64_t op_macs(const Model& model, int op_index) {
  const tflite::Operator* op = model.op(op_index);
  auto input = [&](int i) -> Tensor {
    if (!op->inputs() || i >= static_cast<int>(op->inputs()->size()) || op->inputs()->Get(i) < 0) return Tensor{};
    return model.tensor(op->inputs()->Get(i));
  };
  const Tensor output = model.tensor(op->outputs()->Get(0));
  const int64_t output_elements = output.num_elements();
  switch (static_cast<BuiltinOp>(model.op_code(op_index))) {
    case BuiltinOp::kConv2D: {
      const Tensor filter = input(1);  // [out_c, h, w, in_c]
      if (filter.shape.rank != 4) return 0;
      return saturating_product({output_elements, filter.shape.dims[1], filter.shape.dims[2], filter.shape.dims[3]});
    }
    case BuiltinOp::kDepthwiseConv2D: {
      const Tensor filter = input(1);  // [1, h, w, out_c]
      if (filter.shape.rank != 4) return 0;
      return saturating_product({output_elements, filter.shape.dims[1], filter.shape.dims[2]});
    }
    case BuiltinOp::kTransposeConv: {
      const Tensor filter = input(1);  // [out_c, h, w, in_c]
      const Tensor data = input(2);
      if (filter.shape.rank != 4) return 0;
      return saturating_product({data.num_elements(), filter.shape.dims[0], filter.shape.dims[1], filter.shape.dims[2]});
    }
    case BuiltinOp::kFullyConnected: {
      const Tensor weights = input(1);  // [units, depth]
      if (weights.shape.rank != 2) return 0;
      return saturating_product({output_elements, weights.shape.dims[1]});
    }
    case BuiltinOp::kSvdf: {
      const Tensor features = input(1);  // [filters, input_size]
      const Tensor time = input(2);      // [filters, memory]
      if (features.shape.rank != 2 || time.shape.rank != 2) return 0;
      const int64_t batches = input(0).shape.rank > 0 ? input(0).shape.dims[0] : 1;
      return saturating_product({batches, features.shape.dims[0], int64_t{features.shape.dims[1]} + time.shape.dims[1]});
    }
    case BuiltinOp::kUnidirectionalSequenceLstm: {
      const Tensor data = input(0);            // [batch, time, input] or [time, batch, input]
      const Tensor input_to_output = input(4);  // [cells, input]
      const Tensor recurrent = input(8);       // [cells, output]
      if (data.shape.rank != 3 || input_to_output.shape.rank != 2 || recurrent.shape.rank != 2) return 0;
      return saturating_product({data.shape.dims[0], data.shape.dims[1], 4, input_to_output.shape.dims[0],
                                 int64_t{input_to_output.shape.dims[1]} + recurrent.shape.dims[1]});
    }
    default:
      return 0;
  }
}

}  // namespace

ModelStats compute_model_stats(const Model& model) {
  ModelStats stats;
  for (int o = 0; o < model.num_ops(); ++o) {
    OpStats op;
    op.index = o;
    op.name = model.op_name(o);
    op.version = model.op_version(o);
    const tflite::Operator* source = model.op(o);
    if (source->inputs()) op.inputs.assign(source->inputs()->begin(), source->inputs()->end());
    op.outputs.assign(source->outputs()->begin(), source->outputs()->end());
    op.macs = op_macs(model, o);
    stats.total_macs = saturating_sum(stats.total_macs, op.macs);
    stats.op_counts[op.name]++;
    stats.ops.push_back(std::move(op));
  }
  for (int t = 0; t < model.num_tensors(); ++t) {
    if (!model.tensor_is_constant(t)) continue;
    stats.parameters += model.tensor(t).num_elements();
    stats.parameter_bytes += static_cast<int64_t>(model.tensor_bytes(t));
  }
  return stats;
}

}  // namespace edgeinfer::compiler
