// Block-sparse int8 FULLY_CONNECTED and CONV_2D against dense, on the reference and the Cortex-M kernels (on
// the host: their portable DSP code). Arguments: percentage of zero blocks, index (0: dense kernels on the
// same weights, 1: with the block-sparsity index), kernels (0: reference, 1: cortex_m). Run:
//   build/release/bin/edgeinfer_bench --benchmark_filter=Sparse
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bench/sparse_models.h"
#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"

namespace edgeinfer {
namespace {

struct SparseCase {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
};

void run_sparse(benchmark::State& state, bench::SparseOp op) {
  const int zero_percent = static_cast<int>(state.range(0));
  const bool indexed = state.range(1) != 0;
  int64_t macs = 0;
  const std::vector<uint8_t> bytes = bench::sparse_bench_model(op, zero_percent, indexed, &macs);
  auto c = std::make_unique<SparseCase>();
  if (state.range(2) != 0)
    for (const auto& k : cortex_m::kOptimizedKernels) c->resolver.add(k.op, k.kernel());
  Status status = c->model.load_bytes(bytes.data(), bytes.size());
  if (status.is_ok()) status = c->runner.init(c->model.model(), c->resolver);
  if (!status.is_ok()) return state.SkipWithError(status.message());
  Interpreter& interpreter = c->runner.interpreter();
  if (interpreter.block_sparse_ops() != (indexed ? 1 : 0)) return state.SkipWithError("index not taken");
  fill_lcg(interpreter.input(0), 7);
  for (auto _ : state)
    if (!interpreter.invoke().is_ok()) return state.SkipWithError("invoke failed");
  state.counters["dense_MACs/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["arena_bytes"] = static_cast<double>(interpreter.arena_used_bytes());
}

// 75% zero blocks: dense and sparse on both kernel sets; then the sparse kernels over a range of sparsity
// (the dense time does not depend on it), which places the break-even point.
void sparse_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"zero_pct", "index", "cortex_m"});
  for (int kernels : {0, 1}) {
    b->Args({75, 0, kernels});
    b->Args({75, 1, kernels});
  }
  for (int kernels : {0, 1})
    for (int zero_percent : {0, 25, 40, 50, 60, 90}) b->Args({zero_percent, 1, kernels});
  b->Unit(benchmark::kMicrosecond);
}

void BM_Sparse_FullyConnected_Int8_640x128(benchmark::State& state) {
  run_sparse(state, bench::SparseOp::kFullyConnected);
}
void BM_Sparse_Conv2D_Int8_3x3(benchmark::State& state) {
  run_sparse(state, bench::SparseOp::kConv3x3);
}
void BM_Sparse_Conv2D_Int8_1x1(benchmark::State& state) {
  run_sparse(state, bench::SparseOp::kConv1x1);
}
BENCHMARK(BM_Sparse_FullyConnected_Int8_640x128)->Apply(sparse_args);
BENCHMARK(BM_Sparse_Conv2D_Int8_3x3)->Apply(sparse_args);
BENCHMARK(BM_Sparse_Conv2D_Int8_1x1)->Apply(sparse_args);

}  // namespace
}  // namespace edgeinfer
