// FULLY_CONNECTED for Cortex-M with the DSP extension: int8 batches times the filter rows on matmul_int8 (one
// batch against four channels per loop, the input offset added while splitting the input words, so the op
// needs no scratch and no persistent memory beyond the reference kernel's multipliers and shifts),
// byte-identical to reference::fully_connected_int8. The fast path needs a symmetric filter (filter zero
// point 0, as every per-channel and most per-tensor filters) and a constant filter and bias; other cases and
// types run the reference kernel. With a block-sparsity index (found by the reference prepare()) it skips the
// filter's zero blocks, one channel at a time.
#include "kernels/reference/fully_connected.h"

#include "edgeinfer/kernel.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/optimized/cortex_m/matmul_int8.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

struct FullyConnectedOptData {
  const reference::FullyConnectedData* reference;  // checked parameters; the whole op data of the fallback
  bool fast;                                       // int8 fast path
};

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(reference::prepare_fully_connected(context));
  const auto* ref = context.op_data_as<reference::FullyConnectedData>();
  auto* data =
      static_cast<FullyConnectedOptData*>(context.allocate_persistent(sizeof(FullyConnectedOptData)));
  if (data == nullptr) return context.arena_full_error();
  data->reference = ref;
  data->fast = false;
  context.set_op_data(data);

  const reference::FullyConnectedParams& p = ref->params;
  const Tensor filter = context.input(1);
  const bool constant_bias = ref->bias == reference::BiasKind::kNone || ref->bias_source.constant_data;
  if (ref->type != DataType::kInt8 || p.filter_offset != 0 || !filter.is_constant || !constant_bias ||
      p.input_offset < -kMaxSplitInputOffset || p.input_offset > kMaxSplitInputOffset ||
      !multipliers_supported(ref->multipliers, p.per_channel ? p.output_depth : 1)) {
    return Status::ok();  // the reference kernel runs
  }
  data->fast = true;
  return Status::ok();
}

Status eval(KernelContext& context) {
  const FullyConnectedOptData& d = *context.op_data_as<FullyConnectedOptData>();
  if (!d.fast) return reference::eval_fully_connected(context, *d.reference);
  const reference::FullyConnectedParams p = d.reference->params;
  Int8OutputStage stage;  // channel_terms unused: the bias comes straight from its constant tensor
  stage.multipliers = d.reference->multipliers;
  stage.shifts = d.reference->shifts;
  stage.per_channel = p.per_channel;
  stage.output_offset = p.output_offset;
  stage.activation_min = p.activation_min;
  stage.activation_max = p.activation_max;

  const int8_t* input = context.input(0).data_as<const int8_t>();
  const int8_t* filter = context.input(1).data_as<const int8_t>();
  const int32_t* bias = static_cast<const int32_t*>(d.reference->bias_source.constant_data);
  int8_t* output = context.output(0).data_as<int8_t>();
  const uint8_t* block_bitmap = d.reference->block_bitmap;
  for (int b = 0; b < p.batches; ++b) {
    if (block_bitmap != nullptr) {
      matmul_int8_row_offset_sparse(input + b * p.accum_depth, p.accum_depth, filter, block_bitmap,
                                    p.output_depth, bias, p.input_offset, stage, output + b * p.output_depth);
    } else {
      matmul_int8_row_offset(input + b * p.accum_depth, p.accum_depth, filter, p.output_depth, bias,
                             p.input_offset, stage, output + b * p.output_depth);
    }
  }
  return Status::ok();
}

}  // namespace

const Kernel& fully_connected() {
  static const Kernel kernel = {"cortex_m/fully_connected", prepare, eval};
  return kernel;
}

}  // namespace cortex_m
}  // namespace edgeinfer
