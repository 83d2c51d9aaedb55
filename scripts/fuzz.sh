#!/usr/bin/env bash
# Fuzzes model loading, allocation and invoke with libFuzzer (ASan + UBSan) for SECONDS (default 60):
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Builds build/fuzz with clang, seeds the corpus with builder-made models and, read-only, the smaller real
# models of ../shared/models (EDGEINFER_SHARED_DIR), then fuzzes in fork mode so that one finding does not end
# the run. Prints executions and findings; exits non-zero when libFuzzer found a crash, sanitizer report,
# timeout (hang) or out-of-memory. Findings are in build/fuzz/artifacts/RUN/; replay one with
#   build/fuzz/bin/edgeinfer_model_loader_fuzzer FILE
# The corpus grows in build/fuzz/corpus (libFuzzer writes new inputs to its FIRST corpus directory; the
# shared models are only ever read, through symlinks in a temporary directory).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=$root/build/fuzz
jobs=${EDGEINFER_FUZZ_BUILD_JOBS:-2}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DEDGEINFER_FUZZ=ON -DEDGEINFER_BUILD_TESTS=OFF \
  -DEDGEINFER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j"$jobs" edgeinfer_model_loader_fuzzer edgeinfer_fuzz_seeds

# Stack traces for UBSan findings too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/edgeinfer_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus=$build/corpus
run_id=$(date +%Y%m%d-%H%M%S)
artifacts=$build/artifacts/$run_id
mkdir -p "$corpus" "$artifacts" "$work/seeds"
"$build/bin/edgeinfer_fuzz_seeds" "$work/seeds" >/dev/null
corpora=("$corpus" "$work/seeds")

# Real models up to 128 KiB as extra seeds (larger ones would slow every execution down).
shared=${EDGEINFER_SHARED_DIR:-$root/../shared}
if [ -d "$shared/models" ]; then
  mkdir -p "$work/shared"
  while IFS= read -r -d '' model; do
    ln -s "$model" "$work/shared/$(basename "$(dirname "$model")")_$(basename "$model")"
  done < <(find "$shared/models" -name '*.tflite' -size -129k -print0)
  corpora+=("$work/shared")
  echo "fuzz: seeds: builder-made models and $(ls "$work/shared" | wc -l) shared models (read-only)"
else
  echo "fuzz: $shared/models not found: seeding with builder-made models only"
fi

log=$build/fuzz-$run_id.log
echo "fuzz: running for $seconds s; log $log"
set +e
"$build/bin/edgeinfer_model_loader_fuzzer" "${corpora[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
  -ignore_ooms=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 -print_funcs=0 "$@" >"$log" 2>&1
status=$?
set -e

# Fork mode reports progress lines "#EXECS: cov: ... crash/timeout/oom: ..."; the last one has the totals.
executions=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
crashes=$(find "$artifacts" -name 'crash-*' | wc -l)
timeouts=$(find "$artifacts" -name 'timeout-*' | wc -l)
ooms=$(find "$artifacts" -name 'oom-*' | wc -l)
leaks=$(find "$artifacts" -name 'leak-*' | wc -l)
echo "fuzz: executions: ${executions:-unknown}; crashes: $crashes; timeouts: $timeouts; out-of-memory: $ooms;" \
  "leaks: $leaks (libFuzzer exit status $status)"
findings=$((crashes + timeouts + ooms + leaks))
if [ "$findings" -gt 0 ]; then
  echo "fuzz: findings in $artifacts:"
  ls "$artifacts"
  # Fork mode keeps the children's reports out of the log: replay the first finding to show its report.
  first=$(find "$artifacts" -type f | sort | head -1)
  echo "fuzz: report of $(basename "$first"):"
  "$build/bin/edgeinfer_model_loader_fuzzer" -timeout=10 -rss_limit_mb=2048 "$first" 2>&1 |
    grep -m1 -A25 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^model_loader_fuzzer:' || true
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "fuzz: libFuzzer failed; see $log"
  exit "$status"
fi
rmdir "$artifacts" 2>/dev/null || true
echo "fuzz: no findings"
