#!/usr/bin/env bash
# The Cortex-M results table (docs/cortex_m.md): for each model, builds the firmware with the reference and
# with the optimized kernels, runs both under QEMU and prints one Markdown row per model from
# `edgeinfer size` (flash, RAM, instructions per invoke, MACs per instruction, against TFLM+CMSIS-NN).
#
#   scripts/cortex_m_report.sh [--host-bin EDGEINFER] [--build-dir D] [--shared-dir D] [--seed N]
#                              [--board B] [--timeout S] [MODEL...]
# MODEL: paths relative to the shared dir (default: the six Cortex-M models and hello_world_int8). Shared dir:
# $EDGEINFER_SHARED_DIR, else --shared-dir, else ../shared beside the repository. Build tree: D-LIBC (default
# build/cortex-m-report); each firmware's output is kept beside its ELF as NAME-KERNELS-seedN.log.
# Prints the table on stdout, progress on stderr; exits 1 if any model failed (its row says which step).
# TFLM figures come from SHARED/anchors/cm4_tflm.json (measured on mps2-an386).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host_bin=${EDGEINFER_HOST_BIN:-} build_dir=$root/build/cortex-m-report shared_dir= seed=12345 board=mps2-an386
timeout_s=600
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --host-bin) host_bin=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --shared-dir) shared_dir=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
shared=${EDGEINFER_SHARED_DIR:-${shared_dir:-$root/../shared}}
[ ${#models[@]} -gt 0 ] || models=(
  models/tflm/hello_world_int8.tflite
  models/tflm/micro_speech_quantized.tflite
  models/mlperf_tiny/ad01_int8.tflite
  models/mlperf_tiny/kws_ref_model.tflite
  models/mlperf_tiny/vww_96_int8.tflite
  models/tflm/person_detect.tflite
  models/mlperf_tiny/pretrainedResnet_quant.tflite
)
if [ -z "$host_bin" ]; then
  # shellcheck disable=SC2012
  host_bin=$(ls -t "$root"/build/*/bin/edgeinfer 2>/dev/null | head -1)
fi
if [ -z "$host_bin" ] || [ ! -x "$host_bin" ]; then
  echo "$0: no host edgeinfer CLI: build it or pass --host-bin" >&2
  exit 2
fi
anchors=$shared/anchors/cm4_tflm.json
[ -f "$anchors" ] || { echo "$0: $anchors not found (set EDGEINFER_SHARED_DIR)" >&2; exit 2; }

# Builds and runs one model with one kernel set; prints the ELF path, keeps the output beside it.
build_and_run() {
  local model=$1 kernels=$2 out elf
  out=$("$root/scripts/firmware_build.sh" --board "$board" --build-dir "$build_dir" --host-bin "$host_bin" \
    --seed "$seed" --kernels "$kernels" "$model") || return 1
  elf=$(echo "$out" | tail -1)
  "$root/scripts/qemu_run.sh" "$board" "$elf" "$timeout_s" >"${elf%.elf}.log" || {
    echo "$0: $elf failed under QEMU; its output: ${elf%.elf}.log" >&2
    return 1
  }
  echo "$elf"
}

echo "Board $board, seed $seed, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
  "$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo '(with local changes)'), $(date -u +%F)."
echo
status=0 header=1
for model in "${models[@]}"; do
  [ -f "$model" ] || model=$shared/$model
  name=$(basename "$model" .tflite)
  echo "$name: building and running (reference, optimized)..." >&2
  if ! ref_elf=$(build_and_run "$model" reference) || ! opt_elf=$(build_and_run "$model" optimized); then
    echo "| $name | failed: see the messages above |"
    status=1
    continue
  fi
  anchor_args=()
  # TFLM's figures were measured on mps2-an386: compare only there.
  [ "$board" = mps2-an386 ] && grep -q "\"$name\": {" "$anchors" &&
    anchor_args=(--anchors "$anchors" --anchor-model "$name")
  row=$("$host_bin" size "$opt_elf" --run-log "${opt_elf%.elf}.log" --reference-run-log "${ref_elf%.elf}.log" \
    --model "$model" "${anchor_args[@]}" --markdown) || { status=1; continue; }
  if [ $header -eq 1 ]; then echo "$row"; header=0; else echo "$row" | sed 1,2d; fi
done
echo
echo "Flash and RAM of the optimized firmware (bytes); stack peak = deepest stack use of the whole run;" \
  "instructions = second invoke (QEMU -icount); MACs from \`edgeinfer inspect\`'s count; last column:" \
  "optimized instructions / TFLM+CMSIS-NN's (anchors/cm4_tflm.json), below 1 = fewer."
exit $status
