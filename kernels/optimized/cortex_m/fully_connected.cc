// FULLY_CONNECTED for Cortex-M with the DSP extension: int8 batches times the filter rows on matmul_int8 (one
// batch against two channels per loop, or four batches against one),
// byte-identical to reference::fully_connected_int8. The fast path needs a symmetric filter (filter zero
// point 0, as every per-channel and most per-tensor filters) and a constant filter and bias; other cases and
// types run the reference kernel.
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
  int32_t* channel_terms;                          // bias + input_offset * sum(filter), per output channel
  int expanded_index;                              // up to four input rows as int16 pairs
};

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(reference::prepare_fully_connected(context));
  const auto* ref = context.op_data_as<reference::FullyConnectedData>();
  auto* data =
      static_cast<FullyConnectedOptData*>(context.allocate_persistent(sizeof(FullyConnectedOptData)));
  if (data == nullptr) return context.arena_full_error();
  data->reference = ref;
  data->fast = false;
  data->channel_terms = nullptr;
  data->expanded_index = -1;
  context.set_op_data(data);

  const reference::FullyConnectedParams& p = ref->params;
  const Tensor filter = context.input(1);
  const bool constant_bias = ref->bias == reference::BiasKind::kNone || ref->bias_source.constant_data;
  if (ref->type != DataType::kInt8 || p.filter_offset != 0 || !filter.is_constant || !constant_bias ||
      !multipliers_supported(ref->multipliers, p.per_channel ? p.output_depth : 1)) {
    return Status::ok();  // the reference kernel runs
  }
  EI_RETURN_IF_ERROR(reference::allocate_int32_array(context, p.output_depth, &data->channel_terms));
  compute_channel_terms(filter.data_as<const int8_t>(), p.accum_depth, p.output_depth,
                        static_cast<const int32_t*>(ref->bias_source.constant_data), p.input_offset,
                        data->channel_terms);
  // Input rows split into int16 pairs once, not once per channel pair: 2 bytes per value, four rows when
  // there are four batches or more.
  const int rows = p.batches >= 4 ? 4 : 1;
  const size_t entries = static_cast<size_t>(expanded_entries(p.accum_depth)) / 4 * rows;
  EI_RETURN_IF_ERROR(
      context.request_scratch((entries > 0 ? entries : 1) * sizeof(uint64_t), &data->expanded_index));
  data->fast = true;
  return Status::ok();
}

Status eval(KernelContext& context) {
  const FullyConnectedOptData& d = *context.op_data_as<FullyConnectedOptData>();
  if (!d.fast) return reference::eval_fully_connected(context, *d.reference);
  const reference::FullyConnectedParams p = d.reference->params;
  Int8OutputStage stage;
  stage.channel_terms = d.channel_terms;
  stage.multipliers = d.reference->multipliers;
  stage.shifts = d.reference->shifts;
  stage.per_channel = p.per_channel;
  stage.output_offset = p.output_offset;
  stage.activation_min = p.activation_min;
  stage.activation_max = p.activation_max;

  const int8_t* input = context.input(0).data_as<const int8_t>();
  const int8_t* filter = context.input(1).data_as<const int8_t>();
  int8_t* output = context.output(0).data_as<int8_t>();
  uint64_t* expanded = static_cast<uint64_t*>(context.scratch(d.expanded_index));
  int b = 0;
  for (; b + 3 < p.batches; b += 4) {  // four batches share every filter load
    const int8_t* rows[4];
    for (int i = 0; i < 4; ++i) rows[i] = input + (b + i) * p.accum_depth;
    expand_four_rows(rows, p.accum_depth, expanded);
    matmul_int8_four_rows(rows, expanded, p.accum_depth, filter, p.output_depth, stage,
                          output + b * p.output_depth, p.output_depth);
  }
  for (; b < p.batches; ++b) {
    const int8_t* row = input + b * p.accum_depth;
    expand_row(row, p.accum_depth, expanded);
    matmul_int8_row_expanded(row, expanded, p.accum_depth, filter, p.output_depth, stage,
                             output + b * p.output_depth);
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
