#!/usr/bin/env bash
# Flagship soak (not CI): one simulated day of `edgeinfer demo vibration` at high speed, publishing to a
# real mosquitto that is killed and restarted every few simulated minutes (every other time after hanging
# for 300 ms). Prints the demo's verdict (faults detected, false alarms), sent / received / lost /
# duplicates, and the queue's largest disk use; exits non-zero when anything was lost.
#
#   scripts/flagship_soak.sh [SPEED] [RESTART_EVERY_MS] [OUTAGE_MS] [REPORT_EVERY_S] [SEED]
# Defaults: 240 simulated seconds per second (a day in 6 minutes), the broker killed every 1500 ms (6
# simulated minutes) for 500 ms (2 simulated minutes), a statistics report every 60 simulated seconds (about
# 1,470 messages in the day, ten times the demo's default rate), seed 1.
# Builds edgeinfer and the soak driver in build/release (the README's build) if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEED=${1:-240}
RESTART_EVERY_MS=${2:-1500}
OUTAGE_MS=${3:-500}
REPORT_EVERY_S=${4:-60}
SEED=${5:-1}
if [ ! -f build/release/build.ninja ] && [ ! -f build/release/Makefile ]; then
  cmake --preset release
fi
cmake --build --preset release --target edgeinfer edgeinfer_telemetry_soak -j2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgeinfer-flagship-soak-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
build/release/bin/edgeinfer_telemetry_soak --demo build/release/bin/edgeinfer "$WORK/run" \
  "$RESTART_EVERY_MS" "$OUTAGE_MS" --hours 24 --seed "$SEED" --speed "$SPEED" \
  --report-every "$REPORT_EVERY_S" --flush-timeout 120
