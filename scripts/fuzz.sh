#!/usr/bin/env bash
# Fuzzes with libFuzzer (ASan + UBSan) for SECONDS in total (default 60):
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Five targets share the time: model loading, allocation and invoke (edgeinfer_model_loader_fuzzer, the
# rest), the CLI's inspect/run reports, text and JSON (edgeinfer_cli_report_fuzzer, 1/3), the .npy reader
# (edgeinfer_npy_fuzzer, 1/10; seeded with a few small .npy files as well), the dataset parsers: IDX plain
# and gzipped, CSV, integer .npy labels (edgeinfer_data_fuzzer, 1/10; seeded with small IDX and CSV files)
# the OTA package parser and slot install (edgeinfer_ota_package_fuzzer, 1/10; seeded with a well-formed
# unsigned package) and what arrives on the MQTT OTA topic through the Linux device side, edits of validly
# signed packages included (edgeinfer_ota_mqtt_payload_fuzzer, 1/10).
# Builds build/fuzz with clang, seeds the corpora with builder-made models and, read-only, the smaller real
# models of ../shared/models (EDGEINFER_SHARED_DIR), then fuzzes in fork mode so that one finding does not end
# the run. Prints executions and findings; exits non-zero when libFuzzer found a crash, sanitizer report,
# timeout (hang) or out-of-memory. Findings are in build/fuzz/artifacts/RUN/TARGET/; replay one with
#   build/fuzz/bin/edgeinfer_TARGET FILE
# The corpora grow in build/fuzz/corpus (the loader's), build/fuzz/corpus-cli_report, build/fuzz/corpus-npy and
# build/fuzz/corpus-data
# (libFuzzer writes new inputs to its FIRST corpus directory; the shared models are only ever read, through
# symlinks in a temporary directory).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=${EDGEINFER_FUZZ_BUILD_DIR:-$root/build/fuzz}  # another build directory, e.g. beside a parallel build
jobs=${EDGEINFER_FUZZ_BUILD_JOBS:-2}

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DEDGEINFER_FUZZ=ON -DEDGEINFER_BUILD_TESTS=OFF \
  -DEDGEINFER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
ninja -C "$build" -j"$jobs" edgeinfer_model_loader_fuzzer edgeinfer_cli_report_fuzzer edgeinfer_npy_fuzzer \
  edgeinfer_data_fuzzer edgeinfer_ota_package_fuzzer edgeinfer_ota_mqtt_payload_fuzzer edgeinfer_fuzz_seeds

# Stack traces for UBSan findings too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/edgeinfer_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
run_id=$(date +%Y%m%d-%H%M%S)
mkdir -p "$work/seeds"
"$build/bin/edgeinfer_fuzz_seeds" "$work/seeds" >/dev/null
seeds=("$work/seeds")

# Real models up to 128 KiB as extra seeds (larger ones would slow every execution down).
shared=${EDGEINFER_SHARED_DIR:-$root/../shared}
if [ -d "$shared/models" ]; then
  mkdir -p "$work/shared"
  while IFS= read -r -d '' model; do
    ln -s "$model" "$work/shared/$(basename "$(dirname "$model")")_$(basename "$model")"
  done < <(find "$shared/models" -name '*.tflite' -size -129k -print0)
  seeds+=("$work/shared")
  echo "fuzz: seeds: builder-made models and $(ls "$work/shared" | wc -l) shared models (read-only)"
else
  echo "fuzz: $shared/models not found: seeding with builder-made models only"
fi

# The total budget split between the targets: the loader (the whole runtime) gets the most.
report_seconds=$((seconds / 3))
npy_seconds=$((seconds / 10))
data_seconds=$((seconds / 10))
ota_seconds=$((seconds / 10))
ota_mqtt_seconds=$((seconds / 10))
loader_seconds=$((seconds - report_seconds - npy_seconds - data_seconds - ota_seconds - ota_mqtt_seconds))
failed=0

# fuzz TARGET SECONDS CORPUS_DIR [extra flags]: runs one target; sets failed=1 on findings.
fuzz() {
  local target=$1 budget=$2 corpus=$3
  shift 3
  [ "$budget" -gt 0 ] || return 0
  local binary=$build/bin/edgeinfer_$target artifacts=$build/artifacts/$run_id/$target
  local log=$build/fuzz-$run_id-$target.log
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $target for $budget s; log $log"
  set +e
  "$binary" "$corpus" "${seeds[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
    -ignore_ooms=1 -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 -print_funcs=0 "$@" >"$log" 2>&1
  local status=$?
  set -e

  # Fork mode reports progress lines "#EXECS: cov: ... crash/timeout/oom: ..."; the last one has the totals.
  local executions crashes timeouts ooms leaks
  executions=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  crashes=$(find "$artifacts" -name 'crash-*' | wc -l)
  timeouts=$(find "$artifacts" -name 'timeout-*' | wc -l)
  ooms=$(find "$artifacts" -name 'oom-*' | wc -l)
  leaks=$(find "$artifacts" -name 'leak-*' | wc -l)
  echo "fuzz: $target: executions: ${executions:-unknown}; crashes: $crashes; timeouts: $timeouts;" \
    "out-of-memory: $ooms; leaks: $leaks (libFuzzer exit status $status)"
  if [ $((crashes + timeouts + ooms + leaks)) -gt 0 ]; then
    echo "fuzz: $target: findings in $artifacts:"
    ls "$artifacts"
    # Fork mode keeps the children's reports out of the log: replay the first finding to show its report.
    local first
    first=$(find "$artifacts" -type f | sort | head -1)
    echo "fuzz: report of $(basename "$first"):"
    "$binary" -timeout=10 -rss_limit_mb=2048 "$first" 2>&1 |
      grep -m1 -A25 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^[a-z_]+_fuzzer:' || true
    failed=1
    return 0
  fi
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target: libFuzzer failed; see $log"
    failed=1
    return 0
  fi
  rmdir "$artifacts" 2>/dev/null || true
}

fuzz model_loader_fuzzer "$loader_seconds" "$build/corpus" "$@"
fuzz cli_report_fuzzer "$report_seconds" "$build/corpus-cli_report" "$@"
# .npy seeds (format 1.0, '<f4'): shapes (2,) and (1, 2), written into the corpus the first time.
mkdir -p "$build/corpus-npy"
npy_seed() {  # npy_seed FILE HEADER: magic, version 1.0, header length (little-endian), header, 2 floats
  local header=$2
  printf '\x93NUMPY\x01\x00'"$(printf '\\x%02x\\x00' "${#header}")"'%s\x00\x00\x80\x3f\x00\x00\x00\xc0' \
    "$header" >"$1"
}
[ -e "$build/corpus-npy/seed-1d.npy" ] ||
  npy_seed "$build/corpus-npy/seed-1d.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }   "$'\n'
[ -e "$build/corpus-npy/seed-2d.npy" ] ||
  npy_seed "$build/corpus-npy/seed-2d.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), } "$'\n'
fuzz npy_fuzzer "$npy_seconds" "$build/corpus-npy" "$@"
# Dataset seeds: a 2x2x2 IDX image file, plain and gzipped, a labels file, and a CSV with a header.
mkdir -p "$build/corpus-data"
[ -e "$build/corpus-data/seed-images.idx" ] ||
  printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\xff\x10\x20\x30\x40\x50\x60' \
    >"$build/corpus-data/seed-images.idx"
[ -e "$build/corpus-data/seed-images.idx.gz" ] ||
  gzip -c "$build/corpus-data/seed-images.idx" >"$build/corpus-data/seed-images.idx.gz"
[ -e "$build/corpus-data/seed-labels.idx" ] ||
  printf '\x00\x00\x08\x01\x00\x00\x00\x02\x03\x07' >"$build/corpus-data/seed-labels.idx"
[ -e "$build/corpus-data/seed.csv" ] ||
  printf 'label,a,b,c\r\n3,0.5,-1,2e1\n0,1,2,+3\n' >"$build/corpus-data/seed.csv"
fuzz data_fuzzer "$data_seconds" "$build/corpus-data" "$@"
# OTA seed: a well-formed unsigned package for target "fuzz" (edge/ota/package.h): header, a 4-byte payload,
# 2 + 2 golden bytes, a zero signature.
mkdir -p "$build/corpus-ota"
[ -e "$build/corpus-ota/seed.eiota" ] || {
  printf 'EIOTA\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00fuzz'
  head -c 28 /dev/zero
  printf '\x04\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00'
  head -c 36 /dev/zero
  printf 'TFL3\x01\x02\x03\x04'
  head -c 64 /dev/zero
} >"$build/corpus-ota/seed.eiota"
fuzz ota_package_fuzzer "$ota_seconds" "$build/corpus-ota" "$@"
# OTA-topic seeds (see the fuzzer's header): the raw unsigned package above, version 2 unedited (installs),
# version 1 unedited (already running), version 2 cut after its header.
mkdir -p "$build/corpus-ota-mqtt"
[ -e "$build/corpus-ota-mqtt/seed-raw" ] || { printf '\x00'; cat "$build/corpus-ota/seed.eiota"; } \
  >"$build/corpus-ota-mqtt/seed-raw"
[ -e "$build/corpus-ota-mqtt/seed-v2" ] || printf '\x01' >"$build/corpus-ota-mqtt/seed-v2"
[ -e "$build/corpus-ota-mqtt/seed-v1" ] || printf '\x03' >"$build/corpus-ota-mqtt/seed-v1"
[ -e "$build/corpus-ota-mqtt/seed-cut" ] || printf '\x02\x00\x60' >"$build/corpus-ota-mqtt/seed-cut"
fuzz ota_mqtt_payload_fuzzer "$ota_mqtt_seconds" "$build/corpus-ota-mqtt" "$@"
rmdir "$build/artifacts/$run_id" 2>/dev/null || true
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "fuzz: no findings"
