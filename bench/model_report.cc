// Per shared model: our exact arena vs TFLM's arena_used_bytes, and our median latency vs TFLM's host figure
// (../shared/anchors/tflm_host.json), as a Markdown table. Latency ratios compare runs on the same kind of
// machine but not the same run: treat them as indicative; instruction counts (callgrind) are the stable
// measure.
//   build/release/bin/edgeinfer_model_report [--runs N] [--shared DIR] [--filter SUBSTRING]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"

namespace {

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  const char* env = std::getenv("EDGEINFER_SHARED_DIR");
  std::filesystem::path shared = env && *env ? env : EDGEINFER_SHARED_DIR_DEFAULT;
  std::string filter;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--shared") shared = argv[i + 1];
    else if (flag == "--filter") filter = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--shared DIR] [--filter SUBSTRING]\n", argv[0]);
      return 2;
    }
  }
  nlohmann::json anchors;
  std::ifstream anchor_file(shared / "anchors" / "tflm_host.json");
  if (!anchor_file) {
    std::fprintf(stderr, "no %s\n", (shared / "anchors" / "tflm_host.json").c_str());
    return 1;
  }
  anchor_file >> anchors;
  std::vector<std::filesystem::path> models;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(shared / "models"))
    if (entry.path().extension() == ".tflite" && entry.path().string().find(filter) != std::string::npos)
      models.push_back(entry.path());
  std::sort(models.begin(), models.end());

  std::printf("| model | ops | arena ours | arena TFLM | ours/TFLM | median us ours | median us TFLM | ours/TFLM |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& path : models) {
    const std::string name = path.stem().string();
    const auto& anchor = anchors["models"].contains(name) ? anchors["models"][name] : nlohmann::json();
    edgeinfer::host::LoadedModel loaded;
    edgeinfer::AllOpsResolver resolver;
    edgeinfer::host::HostInterpreter runner;
    edgeinfer::Status status = loaded.load_file(path.string());
    if (status.is_ok()) status = runner.init(loaded.model(), resolver);
    if (!status.is_ok()) {
      std::printf("| %s | - | not run: %s | | | | | |\n", name.c_str(), status.message());
      continue;
    }
    auto& interpreter = runner.interpreter();
    std::vector<double> micros;
    for (int r = 0; r < runs; ++r) {
      for (int i = 0; i < interpreter.num_inputs(); ++i) edgeinfer::fill_lcg(interpreter.input(i), 12345);
      const auto start = std::chrono::steady_clock::now();
      status = interpreter.invoke();
      micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      if (!status.is_ok()) break;
    }
    if (!status.is_ok()) {
      std::printf("| %s | - | invoke failed: %s | | | | | |\n", name.c_str(), status.message());
      continue;
    }
    const double ours_us = median_of(micros);
    const bool has_anchor = anchor.is_object() && anchor.contains("arena_used_bytes") && !anchor["arena_used_bytes"].is_null();
    if (has_anchor) {
      const double tflm_arena = anchor["arena_used_bytes"].get<double>();
      const double tflm_us = anchor["median_us"].get<double>();
      std::printf("| %s | %d | %zu | %.0f | %.2f | %.1f | %.1f | %.2f |\n", name.c_str(), loaded.model().num_ops(),
                  runner.arena_bytes(), tflm_arena, runner.arena_bytes() / tflm_arena, ours_us, tflm_us,
                  ours_us / tflm_us);
    } else {
      std::printf("| %s | %d | %zu | - | - | %.1f | - | - |\n", name.c_str(), loaded.model().num_ops(),
                  runner.arena_bytes(), ours_us);
    }
    std::fflush(stdout);
  }
  return 0;
}
