#!/usr/bin/env bash
# The quantizer's accuracy table: for each float model in ../shared with a TensorFlow int8 twin, quantize with
# every calibration method and compare ours and TensorFlow's twin with the float model by SNR on the same
# held-out inputs, drawn uniformly from the float range the twin's input represents (calibration seed 1,
# evaluation seed 2, different samples). Usage: bench/quantize_table.sh [EDGEINFER] [SHARED] [METHODS...]
set -euo pipefail
E=${1:-build/release/bin/edgeinfer}
S=${2:-${EDGEINFER_SHARED_DIR:-../shared}}
shift $(( $# > 2 ? 2 : $# )) || true
METHODS=${*:-minmax percentile mse kl}
CAL=${CAL_SAMPLES:-200}
EVAL=${EVAL_SAMPLES:-100}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
M=$S/models
PAIRS="tflm/hello_world_float:tflm/hello_world_int8:int8
mlperf_tiny/ad01_fp32:mlperf_tiny/ad01_int8:int8
mlperf_tiny/kws_ref_model_float32:mlperf_tiny/kws_ref_model:int8
mlperf_tiny/pretrainedResnet:mlperf_tiny/pretrainedResnet_quant:int8
mlperf_tiny/vww_96_float:mlperf_tiny/vww_96_int8:int8
tflm/trained_lstm:tflm/trained_lstm_int8:int8
extra/pretrainedResnet_large_float:extra/pretrainedResnet_large_int8:int8
extra/pretrainedResnet_v1p4rc:extra/pretrainedResnet_quant_v1p4rc:int8
extra/model_ToyCar_quant:extra/model_ToyCar_quant_fullint:float"
json_number() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }
printf "%-34s %9s %9s %9s %8s" model float_B ours_B tf_B tf_dB
for m in $METHODS; do printf " %10s" "$m"; done
echo
while IFS=: read -r float twin io; do
  f=$M/$float.tflite t=$M/$twin.tflite
  [[ -f $f && -f $t ]] || { echo "$float: missing"; continue; }
  tf_json=$("$E" compare "$f" "$t" --fill lcg:2 --samples "$EVAL" --json)
  range=$(echo "$tf_json" | grep -o '"range":\[[^]]*\]' | head -1 | sed 's/"range":\[//; s/\]//')
  tf_snr=$(echo "$tf_json" | json_number snr_db)
  printf "%-34s %9d %9s %9d %8.2f" "$(basename "$float")" "$(stat -c %s "$f")" "" "$(stat -c %s "$t")" "$tf_snr"
  size=""
  for m in $METHODS; do
    if "$E" quantize "$f" -o "$OUT/q.tflite" --io "$io" --method "$m" --calibration lcg:1 --samples "$CAL" \
         --range="$range" > "$OUT/log" 2>&1; then
      snr=$("$E" compare "$f" "$OUT/q.tflite" --fill lcg:2 --samples "$EVAL" --range="$range" --json | json_number snr_db)
      size=$(stat -c %s "$OUT/q.tflite")
      printf " %10.2f" "$snr"
    else
      printf " %10s" "fail"
      sed 's/^/    /' "$OUT/log" | tail -1 >&2
    fi
  done
  echo "   (ours ${size:-?} B)"
done <<< "$PAIRS"
