#include "tools/edgeinfer/samples.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "compiler/host_runner.h"
#include "compiler/npy.h"
#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {
namespace {

// Values held in memory at most (4 GiB of floats): more is a mistake in --samples.
constexpr int64_t kMaxSampleValues = int64_t{1} << 30;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

}  // namespace

std::string input_text(const Model& model, int i) {
  const Tensor tensor = model.tensor(model.input_tensor_index(i));
  char shape[96];
  tensor.shape.format(shape, sizeof(shape));
  return "input " + std::to_string(i) + " (" + data_type_name(tensor.type) + " " + shape + ")";
}

host::FloatRange parse_range(const std::string& text) {
  host::FloatRange range;
  auto parse = [](std::string_view part, float* value) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), *value);
    return ec == std::errc() && end == part.data() + part.size() && std::isfinite(*value);
  };
  const size_t comma = text.find(',');
  const std::string_view whole(text);
  if (comma == std::string::npos || !parse(whole.substr(0, comma), &range.low) ||
      !parse(whole.substr(comma + 1), &range.high) || !(range.low < range.high) ||
      !std::isfinite(range.high - range.low))
    throw CliError{"--range must be LO,HI with finite numbers LO < HI (e.g. --range=-1,1), got '" + text +
                   "'"};
  return range;
}

Samples load_samples(const SampleSpec& spec, const Model& model, const std::string& model_name) {
  const int inputs = model.num_inputs();
  if (static_cast<int>(spec.sources.size()) != inputs)
    throw CliError{model_name + " has " + std::to_string(inputs) + " inputs, got " +
                   std::to_string(spec.sources.size()) + " " + spec.option +
                   " (one per input, in input order)"};
  Samples samples;
  samples.json = nlohmann::json::array();
  for (int i = 0; i < inputs; ++i) {
    const std::string& source = spec.sources[i];
    const Tensor tensor = model.tensor(model.input_tensor_index(i));
    const int64_t values = tensor.num_elements();
    std::vector<std::vector<float>> per_sample;
    std::string text;
    if (source.rfind("lcg:", 0) == 0) {
      std::string error;
      const auto seed = host::parse_lcg_fill(source, &error);
      if (!seed) throw CliError{spec.option + " " + error};
      const host::FloatRange range = spec.range.value_or(host::FloatRange{});
      const int64_t count = spec.limit > 0 ? spec.limit : spec.lcg_samples;
      if (values > 0 && count > kMaxSampleValues / values)
        throw CliError{spec.option + ": " + std::to_string(count) + " samples of " + std::to_string(values) +
                       " values are too many to hold"};
      host::FloatSamples generated = host::lcg_float_samples({values}, count, *seed, range.low, range.high);
      for (auto& s : generated) per_sample.push_back(std::move(s[0]));
      text = source + " (" + std::to_string(count) + " samples uniform in [" + number(range.low) + ", " +
             number(range.high) + "))";
      samples.json.push_back({{"source", source}, {"range", {range.low, range.high}}});
    } else {
      std::string error;
      const auto set = host::load_npy_samples(source, &error);
      if (!set) throw CliError{spec.option + " " + error};
      if (!host::check_samples_fit_input(*set, tensor.shape, input_text(model, i) + " of " + model_name,
                                         &error))
        throw CliError{spec.option + " " + error};
      int64_t count = set->num_samples;
      if (spec.limit > 0) count = std::min(count, spec.limit);
      const int64_t n = set->sample_elements();
      for (int64_t s = 0; s < count; ++s)
        per_sample.emplace_back(set->values.begin() + s * n, set->values.begin() + (s + 1) * n);
      text = source + " (" + std::to_string(count) + " samples)";
      samples.json.push_back({{"source", source}, {"samples", count}});
    }
    if (per_sample.empty()) throw CliError{spec.option + " " + source + ": no samples"};
    if (i > 0 && per_sample.size() != samples.values.size())
      throw CliError{spec.option + " " + source + ": " + std::to_string(per_sample.size()) +
                     " samples, but " + spec.sources[0] + " has " + std::to_string(samples.values.size())};
    samples.values.resize(per_sample.size());
    for (size_t s = 0; s < per_sample.size(); ++s) samples.values[s].push_back(std::move(per_sample[s]));
    samples.text += (i ? ", " : "") + text;
  }
  return samples;
}

}  // namespace edgeinfer::cli
