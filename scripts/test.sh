#!/usr/bin/env bash
# Builds and runs every test: the release build (unit, conformance against ../shared, CLI, the freestanding
# Cortex-M check), the ASan/UBSan build (unit + malformed-input robustness of the runtime and the CLI), and a
# bounded libFuzzer run of the model loader and the CLI's reports. Shared data: EDGEINFER_SHARED_DIR (default
# ../shared); tests needing it skip visibly. The sanitizer and fuzzing builds compile with -O1 -g1 (line
# tables only): about half the compile time of -O2 -g, and stack traces still name file and line.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

step() { printf '\n=== %s ===\n' "$*"; }

step "release build"
cmake --preset release
cmake --build --preset release
step "release tests"
ctest --preset release

step "sanitizer build (ASan + UBSan)"
cmake --preset asan
# Only what runs under the sanitizers: the whole-model conformance runs stay in the faster release build.
cmake --build --preset asan --target edgeinfer_unit_tests edgeinfer_robustness_tests
step "sanitizer tests (unit + robustness)"
ctest --preset asan

if [ -x scripts/fuzz.sh ] && [ "$FUZZ_SECONDS" -gt 0 ]; then
  step "fuzzing the model loader and the CLI reports for ${FUZZ_SECONDS}s"
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi
step "all tests passed"
