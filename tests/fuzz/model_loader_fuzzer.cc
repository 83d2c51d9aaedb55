// libFuzzer target: untrusted bytes -> load and verify -> allocate in an arena of at most 4 MiB -> invoke
// when the model is cheap, with every reference kernel (AllOpsResolver); a model that loads also goes through
// the optimizer's graph IR (read, write, load again). Any crash, sanitizer report, hang or error without a
// message is a bug. Run it with scripts/fuzz.sh SECONDS.
//
// Replay one input: build/fuzz/bin/edgeinfer_model_loader_fuzzer crash-FILE
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/robustness/untrusted_model_runner.h"

namespace {

// Real models are at most a few MiB; larger inputs only slow the fuzzer down.
constexpr size_t kMaxInputBytes = 8 << 20;
// About 2 million multiply-accumulates or elements touched: a few milliseconds with sanitizers.
constexpr int64_t kMaxInvokeWork = 2'000'000;

[[noreturn]] void fail(const char* what, const edgeinfer::Status& status) {
  std::fprintf(stderr, "model_loader_fuzzer: %s (%s: \"%s\")\n", what,
               edgeinfer::status_code_name(status.code()), status.message());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeinfer;
  static const AllOpsResolver* const resolver = new AllOpsResolver();
  static robustness::ArenaPool* const arenas = new robustness::ArenaPool();
  if (size > kMaxInputBytes) return -1;  // not added to the corpus

  // The host loader (aligned copy + verification) must agree with the exact-size copy below, which lets
  // AddressSanitizer see reads even one byte past the end.
  host::LoadedModel loaded;
  const Status host_status = loaded.load_bytes(data, size);

  const robustness::RunLimits limits;  // 64 KiB first, at most 4 MiB
  const robustness::RunResult result = robustness::run_untrusted(
      data, size, *resolver, limits, [](const Model&, int64_t work) { return work <= kMaxInvokeWork; },
      arenas);
  if (result.contract_violation) fail("runtime contract broken", result.status);
  if (result.stage != robustness::Stage::kDone && !robustness::is_clean_error(result.status))
    fail("error without a proper code and message", result.status);
  if (host_status.is_ok() != (result.stage != robustness::Stage::kLoad))
    fail("LoadedModel::load_bytes and Model::from_bytes disagree", host_status);
  if (host_status.is_ok()) {
    // Whatever the graph IR accepts, it must write back as a model the runtime loads.
    try {
      const std::vector<uint8_t> written = compiler::Graph::read({data, size}).write();
      host::LoadedModel again;
      const Status status = again.load_bytes(written.data(), written.size());
      if (!status.is_ok()) fail("Graph::write produced a model that does not load", status);
    } catch (const std::invalid_argument& e) {
      if (e.what()[0] == '\0') fail("Graph error without a message", host_status);
    }
  }
  return 0;
}
