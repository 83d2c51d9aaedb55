// Per-model inference latency for every model in ../shared/models (EDGEINFER_SHARED_DIR) that the
// reference kernels run. Run: build/release/bin/edgeinfer_bench --benchmark_filter=Model
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"

namespace edgeinfer {
namespace {

struct ModelCase {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
};

void run_model(benchmark::State& state, std::filesystem::path path) {
  auto c = std::make_unique<ModelCase>();
  if (!c->model.load_file(path.string()).is_ok()) return state.SkipWithError("model does not load");
  Status status = c->runner.init(c->model.model(), c->resolver);
  if (!status.is_ok()) return state.SkipWithError(status.message());
  Interpreter& interpreter = c->runner.interpreter();
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < interpreter.num_inputs(); ++i) fill_lcg(interpreter.input(i), 12345);
    state.ResumeTiming();
    if (!interpreter.invoke().is_ok()) return state.SkipWithError("invoke failed");
  }
  state.counters["arena_bytes"] = static_cast<double>(c->runner.arena_bytes());
}

// Registers one benchmark per shared model at start-up.
const bool registered = [] {
  const char* env = std::getenv("EDGEINFER_SHARED_DIR");
  const std::filesystem::path shared = env && *env ? env : EDGEINFER_SHARED_DIR_DEFAULT;
  std::error_code error;
  if (!std::filesystem::is_directory(shared / "models", error)) return false;
  std::vector<std::filesystem::path> models;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(shared / "models"))
    if (entry.path().extension() == ".tflite") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  for (const auto& path : models)
    benchmark::RegisterBenchmark(("Model/" + path.stem().string()).c_str(), run_model, path)
        ->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
}  // namespace edgeinfer
