// ADD for int8 on Cortex-M, byte-exact with reference::add_int8 (TensorFlow Lite's quantized Add: each input
// offset, shifted left by 20, scaled to the common scale; the sum scaled to the output, offset, clamped).
//
// An input's contribution on the common scale depends only on its byte: for inputs of the same shape (no
// broadcast) with at least kMinTableElements elements, eval() first tabulates it for all 256 bytes of each
// input (2 KB of planned scratch memory, shared with other ops' scratch), so each element costs two table
// loads, an add and the output stage instead of two full rescalings. Broadcasts, small tensors and the other
// types run the reference code.
#include "kernels/common/quant_math.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/reference/add_sub.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

using reference::AddSubOpData;
using reference::AddSubQuantParams;

// Below this many elements filling the tables costs more than it saves.
constexpr int32_t kMinTableElements = 512;

struct AddOpData {
  const AddSubOpData* reference;  // the reference kernel's op data
  int scratch_index;              // the tables; -1: the reference code runs
};

// Same-shape inputs: the broadcast description is one loop over both inputs element by element.
bool same_shape(const BinaryBroadcast& b) {
  return b.rank == 1 && b.strides1[0] == 1 && b.strides2[0] == 1 && b.dims[0] == b.size;
}

// table[byte + 128] = the input's rescaled value for the int8 value `byte`.
void fill_table(const AddSubQuantParams& p, int32_t offset, int32_t multiplier, int shift, int32_t* table) {
  for (int32_t value = -128; value <= 127; ++value) {
    table[value + 128] = reference::add_sub_rescale_input(value, offset, p.left_shift, multiplier, shift);
  }
}

void add_int8_tables(const AddSubQuantParams& params, int32_t size, const int8_t* input1,
                     const int8_t* input2, int8_t* output, int32_t* tables) {
  const AddSubQuantParams p =
      params;  // a local copy: stores through int8_t* could alias the fields otherwise
  int32_t* const table1 = tables;
  int32_t* const table2 = tables + 256;
  fill_table(p, p.input1_offset, p.input1_multiplier, p.input1_shift, table1);
  fill_table(p, p.input2_offset, p.input2_multiplier, p.input2_shift, table2);
  const int32_t* const lookup1 = table1 + 128;
  const int32_t* const lookup2 = table2 + 128;
  for (int32_t i = 0; i < size; ++i) {
    // |a|, |b| <= 2^30 (the reference's bound): the sum does not overflow.
    // reference::add_sub_output() with the exact faster multiply.
    const int32_t raw = lookup1[input1[i]] + lookup2[input2[i]];
    const int32_t scaled = multiply_by_quantized_multiplier_fast(raw, p.output_multiplier, p.output_shift);
    output[i] = static_cast<int8_t>(
        clamp_int(wrapping_add(scaled, p.output_offset), p.activation_min, p.activation_max));
  }
}

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(reference::add_prepare(context));
  auto* data = static_cast<AddOpData*>(context.allocate_persistent(sizeof(AddOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->reference = context.op_data_as<AddSubOpData>();
  data->scratch_index = -1;
  if (context.output(0).type == DataType::kInt8 && same_shape(data->reference->broadcast) &&
      data->reference->broadcast.size >= kMinTableElements) {
    EI_RETURN_IF_ERROR(context.request_scratch(2 * 256 * sizeof(int32_t), &data->scratch_index));
  }
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const AddOpData& data = *context.op_data_as<AddOpData>();
  if (data.scratch_index < 0) return reference::add_eval(context, *data.reference);
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  add_int8_tables(data.reference->quant, data.reference->broadcast.size, input1.data_as<const int8_t>(),
                  input2.data_as<const int8_t>(), output.data_as<int8_t>(),
                  static_cast<int32_t*>(context.scratch(data.scratch_index)));
  return Status::ok();
}

}  // namespace

const Kernel& add() {
  static const Kernel kernel = {"cortex_m/add", prepare, eval};
  return kernel;
}

}  // namespace cortex_m
}  // namespace edgeinfer
