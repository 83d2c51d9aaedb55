#!/usr/bin/env bash
# The flagship's whole device pipeline on the Cortex-M4 (mps2-an386 under QEMU) equals the host's, within the
# instruction budget:
#   1. trains a detector with the host CLI (`edgeinfer demo vibration --hours 0.05 --save-detector`);
#   2. builds firmware/ (vibration_monitor.elf) with it embedded (embed_detector.cmake) and runs it;
#   3. runs the same scenario on the host (vibration_monitor_host) and compares every window's line, the
#      statistics and the checksum; the scenario's four faults must each raise one alert, its drift one;
#   4. asserts features + gate + statistics (the pipeline: the monitor's push() minus the model's invoke) take
#      at most 1.0 M instructions per 2-second 3-axis window, and prints the model's instructions, flash and RAM.
#   examples/vibration_anomaly/check_monitor_firmware.sh HOST_EDGEINFER HOST_MONITOR BUILD_DIR
# Skips visibly ("[  SKIPPED ]") without arm-none-eabi-g++ or qemu-system-arm.
set -euo pipefail
edgeinfer=$1 host_monitor=$2 build=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
budget=1000000
for tool in arm-none-eabi-g++ arm-none-eabi-size qemu-system-arm flatc; do
  if ! command -v "$tool" >/dev/null; then
    echo "[  SKIPPED ] $tool not found: run scripts/setup.sh"
    exit 0
  fi
done
mkdir -p "$build"
detector=$build/detector
# 1. The detector (not committed: trained here from the simulator's normal data, ~10 s).
if ! "$edgeinfer" demo vibration --hours 0.05 --save-detector "$detector.new" >"$build/demo.log" 2>&1; then
  cat "$build/demo.log"
  echo "FAIL: edgeinfer demo vibration --save-detector"
  exit 1
fi
# Keep the old files (and so the firmware build) when the detector did not change.
for f in model.tflite detector.json; do
  mkdir -p "$detector"
  cmp -s "$detector.new/$f" "$detector/$f" || cp "$detector.new/$f" "$detector/$f"
done
rm -rf "$detector.new"

# 2. The firmware.
cmake -S "$here/firmware" -B "$build/firmware" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$root/platform/cortex_m/arm-none-eabi.cmake" -DEI_BOARD=mps2-an386 \
  -DEI_DETECTOR_DIR="$detector" >"$build/configure.log" 2>&1 || {
  cat "$build/configure.log"
  exit 1
}
cmake --build "$build/firmware" --target vibration_monitor.elf >"$build/build.log" 2>&1 || {
  cat "$build/build.log"
  exit 1
}
elf=$build/firmware/vibration_monitor.elf
status=0
"$root/scripts/qemu_run.sh" mps2-an386 "$elf" 600 >"$build/target.txt" || status=$?
if [ $status -ne 0 ]; then
  cat "$build/target.txt"
  echo "FAIL: the firmware exited with status $status"
  exit 1
fi

# 3. The host, and the comparison (the firmware's "I" lines and header are its own).
"$host_monitor" "$detector" >"$build/host.txt" || {
  cat "$build/host.txt"
  echo "FAIL: vibration_monitor_host"
  exit 1
}
grep -E '^(W|stats|checksum) ' "$build/target.txt" >"$build/target_compared.txt" || true
if ! diff "$build/host.txt" "$build/target_compared.txt" >"$build/diff.txt"; then
  head -20 "$build/diff.txt"
  echo "FAIL: the Cortex-M4's outputs differ from the host's ($(grep -c '^<' "$build/diff.txt") lines)"
  exit 1
fi
windows=$(grep -c '^W ' "$build/host.txt")
alerts=$(grep -c ' fe=F ' "$build/host.txt" || true)
echo "host == Cortex-M4: $windows windows, $alerts fault alerts, $(grep '^stats' "$build/host.txt")"
grep '^checksum' "$build/host.txt"
# The scenario's four faults (full severity) each raise one alert, its drift episode a drift alert.
drift_alerts=$(grep -c ' de=D' "$build/host.txt" || true)
if [ "$alerts" -ne 4 ] || [ "$drift_alerts" -ne 1 ]; then
  echo "FAIL: expected 4 fault alerts and 1 drift alert, got $alerts and $drift_alerts"
  exit 1
fi

# 4. Figures and the budget.
grep -E '^(vibration monitor firmware|arena|instructions_per_window|ram) ' "$build/target.txt"
echo "flash and RAM (arm-none-eabi-size -A):"
arm-none-eabi-size -A "$elf" | grep -E '^\.(vectors|text|rodata|model|ARM\.ex|init_array|data|bss|arena|stack|tdata|tbss) '
arm-none-eabi-size -A "$elf" | awk '
  /^\.(vectors|text|rodata|model|ARM\.exidx|ARM\.extab|init_array|data|tdata) / { flash += $2 }
  /^\.(stack|data|tdata|tbss|bss|arena) / { ram += $2 }
  /^\.model / { model = $2 }
  END { printf "flash %d bytes (the model %d), RAM %d bytes (with the stack)\n", flash, model, ram }'
pipeline_max=$(sed -n 's/^instructions_per_window .*pipeline_max=\([0-9]*\).*/\1/p' "$build/target.txt")
if [ -z "$pipeline_max" ] || [ "$windows" -lt 200 ]; then
  echo "FAIL: the firmware's output is incomplete"
  exit 1
fi
if [ "$pipeline_max" -gt "$budget" ]; then
  echo "FAIL: the pipeline takes $pipeline_max instructions in a window (budget $budget)"
  exit 1
fi
echo "pipeline (window + features + gate + alerts + statistics) at most $pipeline_max instructions per window" \
  "(budget $budget)"
