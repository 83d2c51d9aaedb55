#!/usr/bin/env bash
# Runs a model on the Cortex-M firmware under QEMU and checks its outputs byte for byte against the host
# runtime (`edgeinfer run MODEL --fill lcg:SEED`). Also runs the instruction counter's self-test first, and
# prints the firmware's footprint (`edgeinfer size ELF --run-log OUTPUT`) after a match.
#
#   scripts/firmware_test.sh [--board B] [--host-bin EDGEINFER] [--build-dir D] [--timeout S]
#                            [--shared-dir D] MODEL [SEED]
# A relative MODEL that does not exist is looked up in the shared test data: $EDGEINFER_SHARED_DIR, else
# --shared-dir, else ../shared beside the repository.
#
# Exit status: 0 when the bytes match, 1 on a mismatch or any failure. Prints "[  SKIPPED ]" and exits 0
# when arm-none-eabi-g++ or qemu-system-arm is missing, or the model is absent (shared test data not there).
# Other firmware_build.sh options (--libc, --opt, --arena, --kernels) are passed through.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
board=mps2-an386 host_bin=${EDGEINFER_HOST_BIN:-} build_dir= timeout_s=300 model= seed=12345 shared_dir=
build_args=()
kernels=optimized
while [ $# -gt 0 ]; do
  case "$1" in
    --board) board=$2; shift 2 ;;
    --host-bin) host_bin=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --shared-dir) shared_dir=$2; shift 2 ;;
    --kernels) kernels=$2; build_args+=("$1" "$2"); shift 2 ;;
    --libc|--opt|--arena) build_args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) if [ -z "$model" ]; then model=$1; else seed=$1; fi; shift ;;
  esac
done
[ -n "$model" ] || { echo "usage: $0 [options] MODEL [SEED]" >&2; exit 2; }
if [ ! -e "$model" ] && [ "${model#/}" = "$model" ]; then
  model=${EDGEINFER_SHARED_DIR:-${shared_dir:-$root/../shared}}/$model
fi
name=$(basename "$model" .tflite)
test_name="firmware $board $name seed $seed ($kernels kernels)"

for tool in arm-none-eabi-g++ qemu-system-arm cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "[  SKIPPED ] $test_name: $tool not found (scripts/setup.sh installs it)"
    exit 0
  fi
done
if [ ! -f "$model" ]; then
  echo "[  SKIPPED ] $test_name: $model not found (set EDGEINFER_SHARED_DIR)"
  exit 0
fi
if [ -z "$host_bin" ]; then
  # shellcheck disable=SC2012
  host_bin=$(ls -t "$root"/build/*/bin/edgeinfer 2>/dev/null | head -1)
fi
if [ -z "$host_bin" ] || [ ! -x "$host_bin" ]; then
  echo "FAIL $test_name: no host edgeinfer CLI to compare with (build it, or pass --host-bin)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The reference: the host runtime.
if ! "$host_bin" run "$model" --fill "lcg:$seed" --output "$work/host.bin" >"$work/host.log" 2>&1; then
  echo "FAIL $test_name: the host runtime failed:" >&2
  cat "$work/host.log" >&2
  exit 1
fi
host_hex=$(od -An -v -tx1 "$work/host.bin" | tr -d ' \n')

# 2. Build (the core libraries once per build tree), then the counter's self-test.
build_opts=(--board "$board" --host-bin "$host_bin" --seed "$seed" "${build_args[@]}")
[ -n "$build_dir" ] && build_opts+=(--build-dir "$build_dir")
if ! "$root/scripts/firmware_build.sh" "${build_opts[@]}" "$model" >"$work/build.out"; then
  echo "FAIL $test_name: firmware build failed" >&2
  exit 1
fi
selftest_elf=$(sed -n 1p "$work/build.out")
elf=$(tail -1 "$work/build.out")
if ! "$root/scripts/qemu_run.sh" "$board" "$selftest_elf" 60 >"$work/selftest.log"; then
  cat "$work/selftest.log"
  echo "FAIL $test_name: the instruction counter self-test failed" >&2
  exit 1
fi
grep -E "PASSED" "$work/selftest.log"

# 3. The firmware.
"$root/scripts/qemu_run.sh" "$board" "$elf" "$timeout_s" >"$work/firmware.log"
status=$?
cat "$work/firmware.log"
if [ $status -ne 0 ]; then
  echo "FAIL $test_name: the firmware exited with status $status" >&2
  exit 1
fi
firmware_hex=$(sed -n 's/^EI output index=[0-9]* .*hex=\([0-9a-f]*\)$/\1/p' "$work/firmware.log" | tr -d '\n')

# 4. Compare (bytes, shown as hex; long outputs abbreviated).
short() { if [ ${#1} -gt 96 ]; then echo "${1:0:96}... (${#1} hex digits)"; else echo "$1"; fi; }
echo "host:     $(short "$host_hex")"
echo "firmware: $(short "$firmware_hex")"
if [ -z "$firmware_hex" ] || [ "$host_hex" != "$firmware_hex" ]; then
  echo "FAIL $test_name: the firmware's outputs differ from the host runtime's" >&2
  exit 1
fi
# 5. Where flash and RAM go (also checks that the map and the firmware's output parse).
if ! "$host_bin" size "$elf" --run-log "$work/firmware.log"; then
  echo "FAIL $test_name: edgeinfer size could not read the firmware's map or output" >&2
  exit 1
fi
echo "PASS $test_name: outputs byte-equal to the host runtime ($((${#host_hex} / 2)) bytes)"
exit 0
