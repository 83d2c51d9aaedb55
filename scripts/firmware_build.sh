#!/usr/bin/env bash
# Builds the Cortex-M firmware (tests/firmware) for a QEMU board: the icount self-test and, given a model,
# a model firmware with the model in flash.
#
#   scripts/firmware_build.sh [options] [MODEL.tflite]
#     --board B        mps2-an386 (Cortex-M4F, default) or mps2-an500 (Cortex-M7)
#     --build-dir D    build tree prefix: the tree is D-LIBC (default: build/firmware-BOARD in the repository;
#                      one tree per board and C library, shared by all models)
#     --ops "A;B"      the model's ops (TFLite names); default: asked from the host CLI (`edgeinfer inspect`)
#     --host-bin P     the host edgeinfer CLI: exports the model to C++ (`edgeinfer export`) and lists its ops
#                      (default: $EDGEINFER_HOST_BIN, else the newest build/*/bin/edgeinfer)
#     --seed N         LCG seed the firmware fills inputs with (default 12345)
#     --arena BYTES    arena reserved in RAM (default: the host's exact figure from `edgeinfer inspect --kernels K`,
#                      at least the target's: 64-bit pointers in its tables)
#     --libc L         picolibc (default when installed) or newlib-nano
#     --opt FLAGS      optimization flags (default -O2)
#     --kernels K      optimized (default: kernels/optimized/cortex_m where an op has one) or reference
# Prints the path of each firmware built, last line the model firmware's (BUILD_DIR/NAME-KERNELS-seedN.elf, with
# its linker map beside it).
# Several runs may share a build tree: they take turns (flock), and the core libraries build once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
board=mps2-an386 build_dir= ops= host_bin=${EDGEINFER_HOST_BIN:-} seed=12345 arena= libc= opt=-O2 kernels=optimized
model=
while [ $# -gt 0 ]; do
  case "$1" in
    --board) board=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --host-bin) host_bin=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --arena) arena=$2; shift 2 ;;
    --libc) libc=$2; shift 2 ;;
    --opt) opt=$2; shift 2 ;;
    --kernels) kernels=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) model=$1; shift ;;
  esac
done
if [ -z "$libc" ]; then
  # Same default as platform/cortex_m/arm-none-eabi.cmake: picolibc when the toolchain finds its specs.
  case "$(arm-none-eabi-gcc -print-file-name=picolibc.specs)" in
    /*) libc=picolibc ;;
    *) libc=newlib-nano ;;
  esac
fi
# One tree per C library: CMake keeps the first configuration's compiler flags.
build_dir=${build_dir:-$root/build/firmware-$board}-$libc

find_host_bin() {
  if [ -n "$host_bin" ]; then echo "$host_bin"; return; fi
  # shellcheck disable=SC2012
  ls -t "$root"/build/*/bin/edgeinfer 2>/dev/null | head -1
}

if [ -n "$model" ]; then
  [ -f "$model" ] || { echo "$0: $model: no such file" >&2; exit 2; }
  model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
  # The host CLI writes the model's C++ source (tests/firmware runs `edgeinfer export`): always needed.
  bin=$(find_host_bin)
  if [ -z "$bin" ] || [ ! -x "$bin" ]; then
    echo "$0: no host edgeinfer CLI (it exports the model to C++): build it or pass --host-bin" >&2
    exit 2
  fi
  bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
  if [ -z "$ops" ] || [ -z "$arena" ]; then
    # The arena with the kernels the firmware registers: optimized ones may need other scratch buffers.
    kernel_args=(--kernels "$kernels")
    if [ "$kernels" = optimized ]; then
      optimized_ops=$(sed -n 's/^list(APPEND EI_OPTIMIZED_OPS \([A-Z0-9_]*\))$/\1/p' \
        "$root/tests/firmware/CMakeLists.txt" | paste -sd';')
      if [ -n "$optimized_ops" ]; then
        kernel_args+=(--optimized-ops "$optimized_ops")
      else
        kernel_args=(--kernels reference)  # no op listed: the firmware registers only reference kernels
      fi
    fi
    info=$("$bin" inspect --json "${kernel_args[@]}" "$model") ||
      { echo "$0: $bin inspect --json ${kernel_args[*]} $model failed" >&2; exit 2; }
    if [ -z "$ops" ]; then
      # The keys of "op_counts", joined with ';'.
      ops=$(echo "$info" |
        awk '/"op_counts": \{/ {on=1; next} on && /\}/ {on=0} on {gsub(/[" ,:0-9]+$/, ""); gsub(/^[ "]+/, ""); print}' |
        paste -sd';')
      [ -n "$ops" ] || { echo "$0: could not read the ops of $model from $bin inspect --json" >&2; exit 2; }
    fi
    [ -n "$arena" ] || arena=$(echo "$info" | sed -n 's/^ *"arena_bytes": \([0-9][0-9]*\),*$/\1/p' | head -1)
  fi
fi
arena=${arena:-262144}

mkdir -p "$build_dir"
exec 9>"$build_dir/.firmware_build.lock"
flock 9
generator=()
command -v ninja >/dev/null && [ ! -f "$build_dir/Makefile" ] && generator=(-G Ninja)
cmake -S "$root/tests/firmware" -B "$build_dir" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$root/platform/cortex_m/arm-none-eabi.cmake" \
  -DEI_BOARD="$board" -DEI_LIBC="$libc" -DEI_OPT_FLAGS="$opt" -DEI_MODEL="$model" -DEI_OPS="$ops" \
  -DEI_SEED="$seed" -DEI_ARENA_BYTES="$arena" -DEI_KERNELS="$kernels" -DEI_HOST_EDGEINFER="${bin:-}" \
  >"$build_dir/configure.log" 2>&1 ||
  { cat "$build_dir/configure.log" >&2; exit 1; }
# Two jobs at most: the machines this runs on are shared.
cmake --build "$build_dir" --parallel "${FIRMWARE_BUILD_JOBS:-2}" >"$build_dir/build.log" 2>&1 ||
  { tail -50 "$build_dir/build.log" >&2; exit 1; }
echo "$build_dir/icount_selftest.elf"
if [ -n "$model" ]; then
  name=$(basename "$model" .tflite)
  cp "$build_dir/model.elf" "$build_dir/$name-$kernels-seed$seed.elf"
  cp "$build_dir/model.elf.map" "$build_dir/$name-$kernels-seed$seed.elf.map"
  echo "$build_dir/$name-$kernels-seed$seed.elf"
fi
