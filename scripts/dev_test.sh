#!/usr/bin/env bash
# Fast inner loop for one kernel family, independent of other families' work in progress:
#   scripts/dev_test.sh NAME [--filter GTEST_FILTER] FILE.cc...
# compiles the runtime, kernels/common, the model builder and the given files (kernel + tests) with
# ASan/UBSan into /tmp/edgeinfer_dev/NAME and runs the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=$1; shift
filter="*"
if [ "${1:-}" = "--filter" ]; then filter=$2; shift 2; fi
out=/tmp/edgeinfer_dev/$name
mkdir -p "$out/generated/edgeinfer/schema" "$out/fb"
flatc --cpp --scoped-enums -o "$out/generated/edgeinfer/schema" "$root/schema/tflite.fbs"
ln -sfn /usr/include/flatbuffers "$out/fb/flatbuffers"
shopt -s nullglob
sources=()
for f in "$root"/runtime/*.cc "$root"/kernels/common/*.cc "$root"/compiler/*.cc "$root"/tests/support/*.cc; do
  case "$f" in *_test.cc) ;; *) sources+=("$f") ;; esac
done
g++ -std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
  -I"$root/include" -I"$root" -I"$out/generated" -isystem "$out/fb" \
  -DEDGEINFER_SHARED_DIR_DEFAULT="\"$root/../shared\"" -DEDGEINFER_BINARY_DIR="\"$out\"" \
  "${sources[@]}" "$@" -lgtest -lgtest_main -pthread -o "$out/test"
"$out/test" --gtest_filter="$filter"
