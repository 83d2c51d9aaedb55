// libFuzzer target: untrusted bytes -> the .npy reader (compiler/npy.h). Any crash, sanitizer report or hang
// is a bug; so is an error that is not one line naming the file, an array that does not fill its shape, or
// one that does not read back bit for bit after writing it. Run it with scripts/fuzz.sh SECONDS.
//
// Replay one input: build/fuzz/bin/edgeinfer_npy_fuzzer crash-FILE
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "compiler/npy.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "npy_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeinfer;
  std::string error;
  const auto array = host::parse_npy(data, size, "fuzz.npy", &error);
  if (!array) {
    if (error.rfind("fuzz.npy: ", 0) != 0 || error.find('\n') != std::string::npos)
      fail("error not one line naming the file", error);
    return 0;
  }
  int64_t count = 1;
  for (int64_t dim : array->shape) count *= dim;  // parse_npy checked it against the data size
  if (static_cast<int64_t>(array->values.size()) != count) fail("values do not fill the shape", "");

  const auto bytes = host::encode_npy(*array, &error);
  if (!bytes) fail("a parsed array cannot be written", error);
  const auto again = host::parse_npy(bytes->data(), bytes->size(), "again.npy", &error);
  if (!again) fail("a written array does not read back", error);
  if (again->shape != array->shape || again->values.size() != array->values.size() ||
      (!array->values.empty() &&  // bit for bit: NaN payloads too
       std::memcmp(again->values.data(), array->values.data(), array->values.size() * sizeof(float)) != 0))
    fail("a written array reads back changed", "");

  // The sample check scans every value (NaN and infinity are errors, not crashes).
  if (!array->shape.empty() && array->shape.size() <= kMaxRank) {
    host::NpySamples samples;
    samples.sample_shape.assign(array->shape.begin() + 1, array->shape.end());
    samples.num_samples = array->shape[0];
    samples.values = array->values;
    samples.sources.push_back({"fuzz.npy", 0, samples.num_samples});
    Shape input;
    input.rank = static_cast<int32_t>(array->shape.size());
    input.dims[0] = 1;
    for (size_t i = 1; i < array->shape.size(); ++i) input.dims[i] = static_cast<int32_t>(array->shape[i]);
    if (!host::check_samples_fit_input(samples, input, "input 0", &error) &&
        error.find('\n') != std::string::npos)
      fail("check error not one line", error);
  }
  return 0;
}
