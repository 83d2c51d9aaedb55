#!/usr/bin/env bash
# Trains the vibration flagship's anomaly model with the CLI, step by step: the same steps `edgeinfer demo
# vibration` runs before each scenario (normal data of a healthy machine, an autoencoder trained on it only,
# int8 quantization calibrated on it), then runs the demo with the model.
#   examples/vibration_anomaly/train_model.sh [EDGEINFER] [OUT_DIR]
set -euo pipefail
E=${1:-build/release/bin/edgeinfer}
OUT=${2:-/tmp/vibration_model}
"$E" demo vibration --export-normal "$OUT"
"$E" train --arch "$OUT/autoencoder.spec" --data "$OUT/normal.npy" --autoencoder -o "$OUT/ae_float.tflite" \
  --epochs 40 --seed 1
"$E" quantize "$OUT/ae_float.tflite" -o "$OUT/ae_int8.tflite" --mode int8 --calibration "$OUT/normal.npy"
"$E" demo vibration --model "$OUT/ae_int8.tflite"
