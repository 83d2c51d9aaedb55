#!/usr/bin/env bash
# The whole data -> model -> int8 -> device pipeline on Fashion-MNIST with our tools only, timed, and the
# table of the closing note: float / int8 / pruned int8 - test accuracy, parameters, file and gzip size,
# arena bytes, instructions per inference (callgrind, host). Not a CI test (about 10-15 minutes on 2 cores);
# tests/cli/train_cli_test.cc runs a short version.
# Usage: bench/fashion_mnist_pipeline.sh [EDGEINFER] [DATA] [OUT_DIR] [EPOCHS] [PRUNE_EPOCHS] [SEED]
set -euo pipefail
E=${1:-build/release/bin/edgeinfer}
DATA=${2:-${EDGEINFER_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}}
OUT=${3:-/tmp/fashion_mnist_pipeline}
EPOCHS=${4:-12}
PRUNE_EPOCHS=${5:-3}
SEED=${6:-1}
SPEC=$(dirname "$0")/../examples/fashion_mnist/cnn.spec
mkdir -p "$OUT"
log() { echo "== $*" >&2; }

start=$(date +%s)
log "train ($EPOCHS epochs)"
"$E" train --arch "$SPEC" --data "$DATA" -o "$OUT/float.tflite" --epochs "$EPOCHS" --val-split 0.1 \
  --seed "$SEED" --json > "$OUT/train.json"
log "quantize int8"
"$E" quantize "$OUT/float.tflite" -o "$OUT/int8.tflite" --mode int8 --calibration "$DATA" --samples 1000 \
  --json > "$OUT/quantize.json"
log "prune to 75% ($PRUNE_EPOCHS epochs)"
"$E" prune "$OUT/float.tflite" --data "$DATA" -o "$OUT/pruned.tflite" --final-sparsity 0.75 \
  --epochs "$PRUNE_EPOCHS" --seed "$SEED" --json > "$OUT/prune.json"
log "quantize pruned int8"
"$E" quantize "$OUT/pruned.tflite" -o "$OUT/pruned_int8.tflite" --mode int8 --calibration "$DATA" \
  --samples 1000 --json > "$OUT/quantize_pruned.json"
end=$(date +%s)
echo "pipeline (train, quantize, prune, quantize): $((end - start)) s"

# Instructions of one inference: callgrind over 11 invokes minus 1, over 10.
instructions() {
  local total=()
  for runs in 1 11; do
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$E" run "$1" --fill lcg:1 --runs "$runs" \
      > /dev/null 2> "$OUT/cg.log"
    total+=("$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT/cg.log")")
  done
  echo $(((total[1] - total[0]) / 10))
}

# The first number under KEY in a JSON report.
json_number() { grep -o "\"$1\": *[0-9.e+-]*" | head -1 | sed 's/.*: *//'; }

echo "| model | test accuracy | parameters | file bytes | gzip bytes | arena bytes | instructions/inference |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for m in float int8 pruned_int8; do
  f="$OUT/$m.tflite"
  acc=$("$E" eval "$f" --data "$DATA" --json | json_number accuracy)
  arena=$("$E" inspect "$f" --json | json_number arena_bytes)
  params=$("$E" inspect "$f" --json | json_number parameters)
  echo "| $m | $acc | $params | $(stat -c %s "$f") | $(gzip -9 -c "$f" | wc -c) | $arena | $(instructions "$f") |"
done

# TFLM runs the three models with outputs byte-equal to ours (when tflm_dump is built, as
# ../shared/tools/tflm/README.md says; TFLM is not a dependency).
T=${TFLM_DUMP:-/tmp/tflm-work/tflm_dump}
if [ -x "$T" ]; then
  pass=0 fail=0
  for m in float int8 pruned_int8; do
    for seed in 12345 7 1; do
      rm -rf "$OUT/tflm" && mkdir -p "$OUT/tflm"
      "$T" "$OUT/$m.tflite" "$seed" "$OUT/tflm" > "$OUT/tflm.log" 2>&1 || { echo "TFLM failed on $m"; fail=$((fail + 1)); continue; }
      "$E" run "$OUT/$m.tflite" --fill "lcg:$seed" --output "$OUT/ours.bin" > /dev/null
      if cmp -s "$OUT/ours.bin" "$OUT/tflm/outputs.bin"; then pass=$((pass + 1)); else
        echo "$m seed $seed: outputs differ from TFLM"; fail=$((fail + 1)); fi
    done
  done
  echo "byte-equal with TFLM: $pass runs; failures: $fail"
else
  echo "TFLM check skipped: $T not built"
fi
