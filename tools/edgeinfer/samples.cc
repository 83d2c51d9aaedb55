#include "tools/edgeinfer/samples.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "compiler/data/dataset.h"
#include "compiler/host_runner.h"
#include "compiler/npy.h"
#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {
namespace {

// Generated values held in memory at most (1 GiB of floats): more is a mistake in --samples.
constexpr int64_t kMaxSampleValues = int64_t{1} << 28;

using PerSample = std::vector<std::vector<float>>;  // one input's values, per sample

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// "input 0 of MODEL", for messages about what a file holds.
std::string input_of(int i, const std::string& model_name) {
  return "input " + std::to_string(i) + " of " + model_name;
}

int64_t input_values(const Model& model, int i) {
  return model.tensor(model.input_tensor_index(i)).num_elements();
}

// `available` samples cut to `limit` (0: all).
int64_t kept(int64_t available, int64_t limit) {
  return limit > 0 ? std::min(available, limit) : available;
}

// `what` names the sources in the message: "--calibration", "--input files".
void check_one_per_input(const SampleSpec& spec, const Model& model, const std::string& model_name,
                         const std::string& what) {
  const int inputs = model.num_inputs();
  if (static_cast<int>(spec.sources.size()) == inputs) return;
  const std::string owner = spec.owner.empty() ? model_name + " has" : spec.owner;
  throw CliError{owner + " " + std::to_string(inputs) + " inputs, got " +
                 std::to_string(spec.sources.size()) + " " + what + " (one per input, in input order)"};
}

host::FloatSamples generate(const std::vector<int64_t>& input_values, int64_t count, uint32_t seed,
                            const host::FloatRange& range, const std::string& option) {
  int64_t total = 0;
  for (const int64_t values : input_values) total += values;
  if (total > 0 && count > kMaxSampleValues / total)
    throw CliError{option + ": " + std::to_string(count) + " samples of " + std::to_string(total) +
                   " values are too many to hold (at most " + std::to_string(kMaxSampleValues) + " values)"};
  return host::lcg_float_samples(input_values, count, seed, range.low, range.high);
}

// Adds input `i`'s samples to `samples`: every input must have as many.
void add_input(const SampleSpec& spec, int i, PerSample per_sample, const std::string& text,
               nlohmann::json json, Samples* samples) {
  const std::string& source = spec.sources[i];
  if (per_sample.empty()) throw CliError{spec.option + " " + source + ": no samples"};
  if (i > 0 && per_sample.size() != samples->values.size())
    throw CliError{spec.option + " " + source + ": " + std::to_string(per_sample.size()) + " samples, but " +
                   spec.sources[0] + " has " + std::to_string(samples->values.size())};
  samples->values.resize(per_sample.size());
  for (size_t s = 0; s < per_sample.size(); ++s) samples->values[s].push_back(std::move(per_sample[s]));
  samples->text += (i ? ", " : "") + text;
  samples->json.push_back(std::move(json));
}

// A file's samples: "x.npy (40 samples)".
void add_file_input(const SampleSpec& spec, int i, PerSample per_sample, Samples* samples) {
  const std::string& source = spec.sources[i];
  const int64_t count = static_cast<int64_t>(per_sample.size());
  add_input(spec, i, std::move(per_sample), source + " (" + std::to_string(count) + " samples)",
            {{"source", source}, {"samples", count}}, samples);
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

std::string range_text(const host::FloatRange& range) {
  return "[" + number(range.low) + ", " + number(range.high) + ")";
}

host::FloatSamples lcg_samples(const Model& model, uint32_t seed, int64_t count, host::FloatRange range,
                               const std::string& option) {
  std::vector<int64_t> values;
  for (int i = 0; i < model.num_inputs(); ++i) values.push_back(input_values(model, i));
  return generate(values, count, seed, range, option);
}

Samples load_samples(const SampleSpec& spec, const Model& model, const std::string& model_name) {
  check_one_per_input(spec, model, model_name, spec.option);
  Samples samples;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const std::string& source = spec.sources[i];
    std::string error;
    if (spec.allow_lcg && source.rfind("lcg:", 0) == 0) {
      const auto seed = host::parse_lcg_fill(source, &error);
      if (!seed) throw CliError{spec.option + " " + error};
      const host::FloatRange range = spec.range.value_or(host::FloatRange{});
      const int64_t count = spec.limit > 0 ? spec.limit : spec.lcg_samples;
      host::FloatSamples generated = generate({input_values(model, i)}, count, *seed, range, spec.option);
      PerSample per_sample;
      for (auto& s : generated) per_sample.push_back(std::move(s[0]));
      add_input(spec, i, std::move(per_sample),
                source + " (" + std::to_string(count) + " samples uniform in " + range_text(range) + ")",
                {{"source", source}, {"range", {range.low, range.high}}}, &samples);
      continue;
    }
    // IDX directories (their train split) and CSV files through the dataset loader, labels unused.
    std::optional<host::NpySamples> set;
    const Shape shape = model.tensor(model.input_tensor_index(i)).shape;
    if (compiler::data::is_idx_directory(source) || source.ends_with(".csv") || source.ends_with(".csv.gz")) {
      auto dataset = compiler::data::load_dataset(source, {.split = "train", .limit = spec.limit}, &error);
      if (!dataset || !compiler::data::fit_to_input(&*dataset, shape, input_of(i, model_name), &error))
        throw CliError{spec.option + " " + error};
      set = std::move(dataset->samples);
    } else {
      set = host::load_npy_samples(source, &error);
      if (!set) throw CliError{spec.option + " " + error};
      if (!host::check_samples_fit_input(*set, shape, input_of(i, model_name), &error))
        throw CliError{spec.option + " " + error};
    }
    const int64_t n = set->sample_elements();
    PerSample per_sample;
    for (int64_t s = 0; s < kept(set->num_samples, spec.limit); ++s)
      per_sample.emplace_back(set->values.begin() + s * n, set->values.begin() + (s + 1) * n);
    add_file_input(spec, i, std::move(per_sample), &samples);
  }
  return samples;
}

Samples load_raw_samples(const SampleSpec& spec, const Model& model, const std::string& model_name) {
  check_one_per_input(spec, model, model_name, spec.option + " files");
  Samples samples;
  for (int i = 0; i < model.num_inputs(); ++i) {
    const std::string& path = spec.sources[i];
    std::string error;
    const auto bytes = host::read_file(path, &error);
    if (!bytes) throw CliError{spec.option + " " + error};
    const int64_t values = input_values(model, i);
    const size_t sample_bytes = static_cast<size_t>(values) * sizeof(float);
    if (sample_bytes == 0)
      throw CliError{spec.option + " " + path + ": " + input_text(model, i) + " has no values to read"};
    if (bytes->empty() || bytes->size() % sample_bytes != 0)
      throw CliError{spec.option + " " + path + ": " + std::to_string(bytes->size()) +
                     " bytes is not a whole number of samples of " + input_text(model, i) + ": " +
                     std::to_string(sample_bytes) + " bytes (float32) each"};
    // Every sample is checked, as in a .npy set, before --samples keeps the first.
    PerSample per_sample(bytes->size() / sample_bytes);
    for (size_t s = 0; s < per_sample.size(); ++s) {
      std::vector<float>& sample = per_sample[s];
      sample.resize(static_cast<size_t>(values));
      std::memcpy(sample.data(), bytes->data() + s * sample_bytes, sample_bytes);
      for (int64_t v = 0; v < values; ++v)
        if (!std::isfinite(sample[v]))
          throw CliError{spec.option + " " + path + ": sample " + std::to_string(s) + ", value " +
                         std::to_string(v) + " is " + (std::isnan(sample[v]) ? "NaN" : "infinite") + ": " +
                         input_of(i, model_name) + " needs finite values"};
    }
    per_sample.resize(static_cast<size_t>(kept(static_cast<int64_t>(per_sample.size()), spec.limit)));
    add_file_input(spec, i, std::move(per_sample), &samples);
  }
  return samples;
}

}  // namespace edgeinfer::cli
