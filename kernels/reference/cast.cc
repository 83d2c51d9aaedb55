#include "kernels/reference/cast.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {
namespace {

using CastRun = void (*)(const void* input, int32_t count, void* output);

template <class From, class To>
void run_cast(const void* input, int32_t count, void* output) {
  cast_elements(static_cast<const From*>(input), count, static_cast<To*>(output));
}

template <class From>
void run_to_bool(const void* input, int32_t count, void* output) {
  cast_to_bool(static_cast<const From*>(input), count, static_cast<uint8_t*>(output));
}

template <class To>
void run_from_bool(const void* input, int32_t count, void* output) {
  cast_from_bool(static_cast<const uint8_t*>(input), count, static_cast<To*>(output));
}

// Conversions from `From` (or from bool, when kFromBool) to `out`; null for unsupported types.
template <class From, bool kFromBool = false>
CastRun select_output(DataType out) {
  switch (out) {
    case DataType::kBool: return kFromBool ? run_from_bool<uint8_t> : run_to_bool<From>;
    case DataType::kInt8: return kFromBool ? run_from_bool<int8_t> : run_cast<From, int8_t>;
    case DataType::kUInt8: return kFromBool ? run_from_bool<uint8_t> : run_cast<From, uint8_t>;
    case DataType::kInt16: return kFromBool ? run_from_bool<int16_t> : run_cast<From, int16_t>;
    case DataType::kUInt16: return kFromBool ? run_from_bool<uint16_t> : run_cast<From, uint16_t>;
    case DataType::kInt32: return kFromBool ? run_from_bool<int32_t> : run_cast<From, int32_t>;
    case DataType::kUInt32: return kFromBool ? run_from_bool<uint32_t> : run_cast<From, uint32_t>;
    case DataType::kInt64: return kFromBool ? run_from_bool<int64_t> : run_cast<From, int64_t>;
    case DataType::kFloat32: return kFromBool ? run_from_bool<float> : run_cast<From, float>;
    default: return nullptr;
  }
}

CastRun select_cast(DataType in, DataType out) {
  switch (in) {
    case DataType::kBool: return select_output<uint8_t, true>(out);
    case DataType::kInt8: return select_output<int8_t>(out);
    case DataType::kUInt8: return select_output<uint8_t>(out);
    case DataType::kInt16: return select_output<int16_t>(out);
    case DataType::kUInt16: return select_output<uint16_t>(out);
    case DataType::kInt32: return select_output<int32_t>(out);
    case DataType::kUInt32: return select_output<uint32_t>(out);
    case DataType::kInt64: return select_output<int64_t>(out);
    case DataType::kFloat32: return select_output<float>(out);
    default: return nullptr;
  }
}

struct CastOpData {
  CastRun run;
  int32_t count;
};

Status cast_prepare(KernelContext& context) {
  CastOpData data = {};
  EI_RETURN_IF_ERROR(prepare_conversion(context, "CAST", select_cast, &data.run, &data.count));
  return store_op_data(context, data);
}

Status cast_eval(KernelContext& context) {
  const auto& data = *context.op_data_as<CastOpData>();
  data.run(context.input(0).data, data.count, context.output(0).data);
  return Status::ok();
}

}  // namespace

const Kernel& cast() {
  static const Kernel kernel = {"reference/cast", cast_prepare, cast_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
