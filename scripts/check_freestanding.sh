#!/usr/bin/env bash
# Compiles runtime/, kernels/, edge/ and the flagship's device pipeline for Cortex-M4 with -fno-exceptions -fno-rtti and checks that no
# object references the heap or exception machinery. (-Wno-format: int32_t is long there, and printf-style
# messages pass int32_t as int; both are 32 bits on Arm, so the varargs match.)
#   scripts/check_freestanding.sh ARM_GXX GENERATED_DIR FLATBUFFERS_ONLY_DIR
set -euo pipefail
gxx=$1 generated=$2 flatbuffers_only=$3
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nm=${gxx%g++}nm
shopt -s nullglob globstar
sources=()
for f in "$root"/runtime/*.cc "$root"/kernels/**/*.cc "$root"/edge/**/*.cc "$root"/examples/vibration_anomaly/vibration_monitor.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done
failed=0
for src in "${sources[@]}"; do
  obj="$out/$(echo "${src#"$root"/}" | tr / _).o"
  if ! "$gxx" -std=c++17 -fno-exceptions -fno-rtti -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 \
      -Os -ffp-contract=off -Wall -Wno-format -Wno-format-truncation -I"$root/include" -I"$root" -I"$generated" -isystem "$flatbuffers_only" -c "$src" -o "$obj"; then
    echo "FAIL: ${src#"$root"/} does not compile freestanding"
    failed=1
    continue
  fi
  forbidden=$("$nm" -u "$obj" | grep -E ' (malloc|calloc|realloc|free|_Znw[jm]|_Zna[jm]|_Zdl|_Zda|__cxa_allocate_exception|__cxa_throw|__gxx_personality)' || true)
  if [ -n "$forbidden" ]; then
    echo "FAIL: ${src#"$root"/} references heap or exceptions:"
    echo "$forbidden"
    failed=1
  fi
done
echo "checked ${#sources[@]} files for Cortex-M4 (-fno-exceptions -fno-rtti, no heap)"
exit $failed
