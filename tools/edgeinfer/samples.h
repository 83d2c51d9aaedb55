// Float input samples for the CLI's model-level commands (quantize --calibration/--eval, compare): one spec
// per model input, each a .npy file, a directory of .npy files (name order), a directory of IDX files (its
// train images, pixels / 255), a .csv (label first: the values after it; compiler/data/dataset.h) or
// lcg:SEED (uniform random values); or one raw float32 file per input (compare --input).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compiler/model_compare.h"
#include "edgeinfer/model.h"

namespace edgeinfer::cli {

struct Samples {
  host::FloatSamples values;                      // [sample][input][values]
  std::string text;                               // where they come from, for reports
  nlohmann::json json = nlohmann::json::array();  // the same, per input
};

struct SampleSpec {
  std::string option;                     // "--calibration", for messages
  std::vector<std::string> sources;       // one per model input: PATH or lcg:SEED
  int64_t limit = 0;                      // keep the first N samples (0: all; lcg: N samples)
  int64_t lcg_samples = 100;              // samples lcg:SEED generates when `limit` is 0
  std::optional<host::FloatRange> range;  // lcg range (default [-1, 1))
  bool allow_lcg = true;                  // false: every source is a path
  std::string owner;                      // starts the count error: "the models have" (default "MODEL has")
};

// Loads the samples of `spec` for `model` (named `model_name` in messages). Throws CliError naming the file
// and what is wrong: a count of sources that is not the model's input count, a missing or malformed .npy,
// a shape that is not the input's, NaN or infinity, an empty set, inputs with different sample counts.
Samples load_samples(const SampleSpec& spec, const Model& model, const std::string& model_name);

// The same for raw little-endian float32 files, one per input, each a whole number of samples of its input.
Samples load_raw_samples(const SampleSpec& spec, const Model& model, const std::string& model_name);

// `count` samples of every input of `model`, uniform in `range`: the project's LCG restarted at `seed` per
// input, as lcg:SEED gives each input. Throws CliError (naming `option`) when they are too many to hold.
host::FloatSamples lcg_samples(const Model& model, uint32_t seed, int64_t count, host::FloatRange range,
                               const std::string& option);

// "--range LO,HI": finite LO < HI.
host::FloatRange parse_range(const std::string& text);

// "[-1, 1)".
std::string range_text(const host::FloatRange& range);

// "input 0 (float32 [1,49,10,1])".
std::string input_text(const Model& model, int i);

}  // namespace edgeinfer::cli
