#!/usr/bin/env bash
# Development check (not a test: TFLM is not a dependency): every model our quantizer writes runs in TensorFlow
# Lite Micro with outputs byte-equal to our runtime's. Needs tflm_dump built as ../shared/tools/tflm/README.md
# says. Usage: bench/quantize_tflm_check.sh [EDGEINFER] [SHARED] [TFLM_DUMP]
set -uo pipefail
E=${1:-build/release/bin/edgeinfer}
S=${2:-${EDGEINFER_SHARED_DIR:-../shared}}
T=${3:-/tmp/tflm-work/tflm_dump}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
pass=0 fail=0
for m in tflm/hello_world_float mlperf_tiny/ad01_fp32 mlperf_tiny/kws_ref_model_float32 mlperf_tiny/pretrainedResnet \
         mlperf_tiny/vww_96_float tflm/trained_lstm extra/pretrainedResnet_large_float extra/pretrainedResnet_v1p4rc \
         extra/model_ToyCar_quant; do
  for variant in "int8 int8" "int8 float" "int16x8 int8"; do
    read -r mode io <<< "$variant"
    q=$OUT/q.tflite
    if ! "$E" quantize "$S/models/$m.tflite" -o "$q" --mode "$mode" --io "$io" --calibration lcg:1 --samples 50 \
         > "$OUT/log" 2>&1; then
      echo "FAIL $m $mode io=$io: quantize: $(tail -1 "$OUT/log")"; fail=$((fail + 1)); continue
    fi
    for seed in 12345 7; do
      rm -rf "$OUT/tflm"; mkdir -p "$OUT/tflm"
      if ! "$T" "$q" "$seed" "$OUT/tflm" > "$OUT/tlog" 2>&1; then
        echo "FAIL $m $mode io=$io seed $seed: TFLM: $(tail -1 "$OUT/tlog")"; fail=$((fail + 1)); continue
      fi
      "$E" run "$q" --fill "lcg:$seed" --output "$OUT/ours.bin" > /dev/null 2>&1
      if cmp -s "$OUT/ours.bin" "$OUT/tflm/outputs.bin"; then pass=$((pass + 1)); else
        echo "FAIL $m $mode io=$io seed $seed: outputs differ"; fail=$((fail + 1)); fi
    done
  done
done
echo "byte-equal with TFLM: $pass runs; failures: $fail"
