#!/usr/bin/env bash
# The simulator gives the same samples on the Cortex-M4 as on the host: builds firmware/ for mps2-an386, runs
# it under QEMU and compares its checksum of the reference run with `vibration_simulate --checksum`.
#   examples/vibration_anomaly/check_firmware.sh HOST_VIBRATION_SIMULATE BUILD_DIR
# Skips visibly ("[  SKIPPED ]") without arm-none-eabi-g++ or qemu-system-arm.
set -euo pipefail
host_tool=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
for tool in arm-none-eabi-g++ qemu-system-arm; do
  if ! command -v "$tool" >/dev/null; then
    echo "[  SKIPPED ] $tool not found: run scripts/setup.sh"
    exit 0
  fi
done
cmake -S "$here/firmware" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/platform/cortex_m/arm-none-eabi.cmake" \
  -DEI_BOARD=mps2-an386 >/dev/null
cmake --build "$build" >/dev/null
output=$("$root/scripts/qemu_run.sh" mps2-an386 "$build/vibration_simulator.elf" 600)
echo "$output"
target=$(echo "$output" | sed -n 's/^checksum //p')
host=$("$host_tool" --checksum 30)
echo "host checksum $host"
if [ -z "$target" ] || [ "$target" != "$host" ]; then
  echo "FAIL: the Cortex-M4 samples differ from the host's"
  exit 1
fi
echo "Cortex-M4 samples equal the host's"
