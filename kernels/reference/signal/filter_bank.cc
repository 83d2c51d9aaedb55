#include "kernels/reference/signal/filter_bank.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

Status check_filter_bank_tables(const FilterBankTables& t, int64_t spectrum_size, int64_t weights_size,
                                int64_t unweights_size) {
  for (int32_t ch = 0; ch <= t.num_channels; ++ch) {
    const int32_t width = t.channel_widths[ch];
    if (width <= 0) continue;  // an empty band reads nothing
    const int32_t start = t.channel_frequency_starts[ch];
    if (start < 0 || start + width > spectrum_size) {
      return Status::error(StatusCode::kInvalidModel,
                           "filter bank channel %d covers spectrum bins [%d, %d), the input has %lld", ch,
                           static_cast<int>(start), static_cast<int>(start + width),
                           static_cast<long long>(spectrum_size));
    }
    const int32_t weight_start = t.channel_weight_starts[ch];
    const int64_t weight_end = weight_start + width;
    if (weight_start < 0 || weight_end > weights_size || weight_end > unweights_size) {
      return Status::error(StatusCode::kInvalidModel,
                           "filter bank channel %d uses weights [%d, %d), weights have %lld, unweights %lld",
                           ch, static_cast<int>(weight_start), static_cast<int>(weight_end),
                           static_cast<long long>(weights_size), static_cast<long long>(unweights_size));
    }
  }
  return Status::ok();
}

void filter_bank_accumulate(const FilterBankTables& t, const uint32_t* spectrum, uint64_t* output,
                            int32_t output_count) {
  // Channel ch's sum starts with the unweighted part its predecessor's bins carried over.
  uint64_t weighted = 0;
  uint64_t unweighted = 0;
  for (int32_t ch = 0; ch <= output_count; ++ch) {
    const int16_t* weights = t.weights + t.channel_weight_starts[ch];
    const int16_t* unweights = t.unweights + t.channel_weight_starts[ch];
    const uint32_t* bins = spectrum + t.channel_frequency_starts[ch];
    for (int32_t j = 0; j < t.channel_widths[ch]; ++j) {
      const uint64_t bin = bins[j];
      weighted += static_cast<uint64_t>(static_cast<int64_t>(weights[j])) * bin;
      unweighted += static_cast<uint64_t>(static_cast<int64_t>(unweights[j])) * bin;
    }
    if (ch > 0) output[ch - 1] = weighted;
    weighted = unweighted;
    unweighted = 0;
  }
}

namespace {

enum FilterBankInput {
  kSpectrum,
  kWeights,
  kUnweights,
  kFrequencyStarts,
  kWeightStarts,
  kWidths,
  kNumInputs
};

struct FilterBankOpData {
  int32_t num_channels;
  int32_t output_count;
  bool tables_checked;  // constant channel tables are checked once in prepare(), others in every eval()
};

FilterBankTables tables_of(const KernelContext& context, int32_t num_channels) {
  FilterBankTables t;
  t.num_channels = num_channels;
  t.weights = context.input(kWeights).data_as<const int16_t>();
  t.unweights = context.input(kUnweights).data_as<const int16_t>();
  t.channel_frequency_starts = context.input(kFrequencyStarts).data_as<const int16_t>();
  t.channel_weight_starts = context.input(kWeightStarts).data_as<const int16_t>();
  t.channel_widths = context.input(kWidths).data_as<const int16_t>();
  return t;
}

Status check_tables(const KernelContext& context, int32_t num_channels) {
  return check_filter_bank_tables(tables_of(context, num_channels), context.input(kSpectrum).num_elements(),
                                  context.input(kWeights).num_elements(),
                                  context.input(kUnweights).num_elements());
}

Status filter_bank_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, kNumInputs, kNumInputs, 1));
  static const char* const kNames[kNumInputs] = {
      "input", "weights", "unweights", "channel_frequency_starts", "channel_weight_starts", "channel_widths"};
  for (int i = 0; i < kNumInputs; ++i) {
    const Tensor tensor = context.input(i);
    EI_RETURN_IF_ERROR(
        check_type(tensor, kNames[i], {i == kSpectrum ? DataType::kUInt32 : DataType::kInt16}));
    EI_RETURN_IF_ERROR(check_rank(tensor, kNames[i], 1));
  }
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kUInt64}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  FilterBankOpData data = {};
  EI_RETURN_IF_ERROR(read_int_option(options, "num_channels", 1, INT32_MAX - 1, &data.num_channels));
  // The channel tables carry an extra leading entry; TFLM copies out a prefix of the channels.
  for (int i = kFrequencyStarts; i <= kWidths; ++i) {
    EI_RETURN_IF_ERROR(
        check_element_count(context.input(i), kNames[i], int64_t{data.num_channels} + 1, "num_channels + 1"));
  }
  if (output.num_elements() > data.num_channels) {
    return Status::error(StatusCode::kInvalidModel, "output has %lld elements, more than num_channels %d",
                         static_cast<long long>(output.num_elements()), static_cast<int>(data.num_channels));
  }
  data.output_count = static_cast<int32_t>(output.num_elements());

  data.tables_checked = context.input(kFrequencyStarts).is_constant &&
                        context.input(kWeightStarts).is_constant && context.input(kWidths).is_constant;
  if (data.tables_checked) EI_RETURN_IF_ERROR(check_tables(context, data.num_channels));
  return store_op_data(context, data);
}

Status filter_bank_eval(KernelContext& context) {
  const auto* data = context.op_data_as<FilterBankOpData>();
  // Tables computed by the graph can only be checked once their values exist.
  if (!data->tables_checked) EI_RETURN_IF_ERROR(check_tables(context, data->num_channels));
  filter_bank_accumulate(tables_of(context, data->num_channels),
                         context.input(kSpectrum).data_as<const uint32_t>(),
                         context.output(0).data_as<uint64_t>(), data->output_count);
  return Status::ok();
}

}  // namespace

const Kernel& filter_bank() {
  static const Kernel kernel = {"reference/signal_filter_bank", filter_bank_prepare, filter_bank_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
