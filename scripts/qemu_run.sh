#!/usr/bin/env bash
# Runs a firmware image on QEMU with semihosting and instruction counting, and exits with its exit status.
#   scripts/qemu_run.sh BOARD ELF [TIMEOUT_SECONDS]        e.g. scripts/qemu_run.sh mps2-an386 model.elf 60
# -icount shift=3: the virtual clock advances 8 ns per instruction, so the firmware's CMSDK timer
# (platform/cortex_m/icount.h) counts instructions; align=off,sleep=off keep virtual time independent of the
# host. Exit status: the firmware's (semihosting SYS_EXIT_EXTENDED), 124 on timeout, 2 on usage errors.
# Environment: QEMU (default qemu-system-arm), QEMU_EXTRA_ARGS (appended, e.g. "-d in_asm").
set -uo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BOARD ELF [TIMEOUT_SECONDS]" >&2
  exit 2
fi
board=$1 elf=$2 timeout_s=${3:-120}
qemu=${QEMU:-qemu-system-arm}
if ! command -v "$qemu" >/dev/null; then
  echo "$0: $qemu not found" >&2
  exit 2
fi
if [ ! -f "$elf" ]; then
  echo "$0: $elf: no such file" >&2
  exit 2
fi
# -nographic: no display; -monitor none, -serial none: neither the monitor nor the UARTs are used.
# Semihosting output goes to a stdio chardev, i.e. stdout (without one QEMU writes it to stderr), and QEMU's
# own messages stay on stderr. stdin is not read.
# shellcheck disable=SC2086
timeout --foreground -k 5 "$timeout_s" "$qemu" -M "$board" -nographic -monitor none -serial none \
  -chardev stdio,id=semihost -semihosting-config enable=on,target=native,chardev=semihost \
  -icount shift=3,align=off,sleep=off -kernel "$elf" ${QEMU_EXTRA_ARGS:-} </dev/null
status=$?
if [ $status -eq 124 ]; then
  echo "$0: $elf did not finish within ${timeout_s}s" >&2
fi
exit $status
