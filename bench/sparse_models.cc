// The block-sparse benchmark models (bench/sparse_models.h) outside Google Benchmark, for exact instruction
// counts:
//   edgeinfer_sparse_models write OUTPUT_DIR [ZERO_PERCENT]
//       writes NAME_dense.tflite (ZERO_PERCENT of the blocks zero, default 75, no index) and
//       NAME_sparse.tflite (the same weights with the index) for each op: for the Cortex-M firmware under
//       QEMU (scripts/firmware_test.sh MODEL) and `edgeinfer run`;
//   edgeinfer_sparse_models run MODEL reference|cortex_m
//       loads MODEL, allocates, fills the input (lcg:7) and invokes once with the reference kernels or with
//       the Cortex-M kernels over them (on the host, their portable code): for callgrind, e.g.
//       valgrind --tool=callgrind --toggle-collect='edgeinfer::Interpreter::invoke()' \
//           edgeinfer_sparse_models run fc_640x128_sparse.tflite cortex_m
#include "bench/sparse_models.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"

namespace {

int write_models(const std::filesystem::path& dir, int zero_percent) {
  std::filesystem::create_directories(dir);
  for (const auto op : edgeinfer::bench::kSparseOps) {
    for (const bool indexed : {false, true}) {
      int64_t macs = 0;
      const auto bytes = edgeinfer::bench::sparse_bench_model(op, zero_percent, indexed, &macs);
      const auto path =
          dir / (edgeinfer::bench::sparse_op_name(op) + (indexed ? "_sparse.tflite" : "_dense.tflite"));
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      std::printf("%s\n", path.c_str());
    }
  }
  return 0;
}

int run_model(const char* path, bool cortex_m) {
  using namespace edgeinfer;
  host::LoadedModel model;
  AllOpsResolver resolver;
  if (cortex_m)
    for (const auto& k : cortex_m::kOptimizedKernels) resolver.add(k.op, k.kernel());
  host::HostInterpreter runner;
  Status status = model.load_file(path);
  if (status.is_ok()) status = runner.init(model.model(), resolver);
  if (status.is_ok()) status = fill_lcg(runner.interpreter().input(0), 7);
  if (status.is_ok()) status = runner.interpreter().invoke();
  if (!status.is_ok()) {
    std::fprintf(stderr, "%s: %s\n", path, status.message());
    return 1;
  }
  std::printf("%s: %s kernels, %d block-sparse ops, arena %zu bytes\n", path,
              cortex_m ? "cortex_m" : "reference", runner.interpreter().block_sparse_ops(),
              runner.interpreter().arena_used_bytes());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && argc <= 4 && std::strcmp(argv[1], "write") == 0)
    return write_models(argv[2], argc == 4 ? std::atoi(argv[3]) : 75);
  if (argc == 4 && std::strcmp(argv[1], "run") == 0 &&
      (std::strcmp(argv[3], "reference") == 0 || std::strcmp(argv[3], "cortex_m") == 0))
    return run_model(argv[2], std::strcmp(argv[3], "cortex_m") == 0);
  std::fprintf(stderr, "usage: %s write OUTPUT_DIR [ZERO_PERCENT]\n       %s run MODEL reference|cortex_m\n",
               argv[0], argv[0]);
  return 2;
}
