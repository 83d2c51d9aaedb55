// libFuzzer target for the CLI's reports on untrusted model bytes: load and verify -> the text and JSON
// reports of `edgeinfer inspect` (arena measured in arenas of at most 4 MiB) -> when the model is cheap,
// invoke it on LCG inputs and build the JSON and text reports of `edgeinfer run`. Any crash, sanitizer
// report or exception (nlohmann::json's type_error 316 on invalid UTF-8 was a bug here) is a finding, and so
// is a report that is not what the CLI promises: JSON that does not parse or is not ASCII, text that is not
// valid UTF-8 or holds control characters. Run it with scripts/fuzz.sh SECONDS.
//
// Replay one input: build/fuzz/bin/edgeinfer_cli_report_fuzzer crash-FILE
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/robustness/untrusted_model_runner.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace {

using namespace edgeinfer;

constexpr size_t kMaxInputBytes = 8 << 20;
constexpr int64_t kMaxInvokeWork = 2'000'000;
const robustness::RunLimits kLimits;  // 64 KiB first, at most 4 MiB

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "cli_report_fuzzer: %s: %s\n", what, cli::printable(detail.substr(0, 300)).c_str());
  std::abort();
}

void check_json(const std::string& report, const char* which) {
  for (unsigned char c : report)
    if (c >= 0x80) fail(which, "JSON report is not ASCII");
  const auto json = nlohmann::json::parse(report, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) fail(which, "JSON report does not parse: " + report);
}

void check_text(const std::string& report, const char* which) {
  if (!cli::is_valid_utf8(report)) fail(which, "text report is not valid UTF-8: " + report);
  for (unsigned char c : report)
    if ((c < 0x20 && c != '\n') || c == 0x7F) fail(which, "control character in the text report: " + report);
}

void fuzz_one(const uint8_t* data, size_t size) {
  static const AllOpsResolver* const resolver = new AllOpsResolver();
  static robustness::ArenaPool* const arenas = new robustness::ArenaPool();
  host::LoadedModel loaded;
  if (!loaded.load_bytes(data, size).is_ok()) return;
  const Model& model = loaded.model();

  // The arena as measure_arena() finds it, but bounded: allocate in growing arenas from the pool.
  cli::ArenaFigures arena;
  size_t arena_bytes = kLimits.first_arena_bytes;
  for (;;) {
    Interpreter interpreter(model, *resolver, arenas->arena(arena_bytes), arena_bytes);
    arena.status = interpreter.allocate();
    if (arena.status.code() == StatusCode::kArenaTooSmall && arena_bytes < kLimits.max_arena_bytes) {
      const size_t required = interpreter.arena_required_bytes();
      arena_bytes = std::min(required > arena_bytes ? required : arena_bytes * 4, kLimits.max_arena_bytes);
      continue;
    }
    if (arena.status.is_ok()) {
      arena.arena_bytes = interpreter.arena_used_bytes();
      arena.persistent_bytes = interpreter.persistent_bytes();
      arena.planned_bytes = interpreter.planned_bytes();
    }
    check_text(cli::inspect_report(model, "fuzz.tflite", "reference", arena, false), "inspect");
    check_json(cli::inspect_report(model, "fuzz.tflite", "reference", arena, true), "inspect --json");

    if (!arena.status.is_ok() || robustness::estimate_work(model) > kMaxInvokeWork) return;
    for (int i = 0; i < interpreter.num_inputs(); ++i)
      if (!fill_lcg(interpreter.input(i), 12345).is_ok()) return;  // a type the generator has no rule for
    if (!interpreter.invoke().is_ok()) return;
    cli::RunFigures figures;
    figures.model_path = "fuzz.tflite";
    figures.arena_bytes = arena_bytes;
    figures.micros = {1.0};
    check_json(cli::run_report(figures, interpreter, true), "run --json");
    check_text(cli::run_report(figures, interpreter, false), "run");
    figures.stream = true;
    figures.chunk_bytes = interpreter.num_inputs() > 0 ? interpreter.input(0).bytes : 0;
    check_json(cli::run_report(figures, interpreter, true), "run --stream --json");
    return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;  // not added to the corpus
  try {
    fuzz_one(data, size);
  } catch (const std::exception& error) {
    fail("exception", error.what());  // the CLI would turn it into an "internal error"
  }
  return 0;
}
