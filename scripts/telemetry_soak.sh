#!/usr/bin/env bash
# Telemetry soak (not CI): one simulated day of device reports at high speed through a real mosquitto that is
# killed and restarted every few seconds (every other time after hanging). Prints sent / received / lost /
# duplicates and the queue's largest disk use; exits non-zero when anything was lost.
#
#   scripts/telemetry_soak.sh [COUNT] [INTERVAL_US] [RESTART_EVERY_MS] [OUTAGE_MS] [MAX_MESSAGES]
# Defaults: 14400 messages (a day at one report per 6 simulated seconds; every 10th an alert), one every 2 ms,
# broker killed every 5000 ms for 1000 ms, queue bound 2000 messages (never reached: nothing dropped).
# BUILD_DIR (default build/tel) is configured and the two programs built there if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/tel}
COUNT=${1:-14400}
INTERVAL_US=${2:-2000}
RESTART_EVERY_MS=${3:-5000}
OUTAGE_MS=${4:-1000}
MAX_MESSAGES=${5:-2000}
if [ ! -f "$BUILD_DIR/build.ninja" ] && [ ! -f "$BUILD_DIR/Makefile" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGEINFER_BUILD_BENCH=OFF
fi
cmake --build "$BUILD_DIR" --target edgeinfer_telemetry_soak edgeinfer_telemetry_device -j2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgeinfer-soak-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$BUILD_DIR/bin/edgeinfer_telemetry_soak" "$BUILD_DIR/bin/edgeinfer_telemetry_device" "$WORK/run" \
  "$COUNT" "$INTERVAL_US" "$RESTART_EVERY_MS" "$OUTAGE_MS" "$MAX_MESSAGES"
