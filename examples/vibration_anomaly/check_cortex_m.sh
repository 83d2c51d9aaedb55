#!/usr/bin/env bash
# Compiles cortex_m_check.cc (the machine simulator) for Cortex-M4 with the freestanding flags of
# scripts/check_freestanding.sh and checks that the object references no heap, exception or libm
# transcendental function (sqrt, correctly rounded everywhere, is allowed).
#   examples/vibration_anomaly/check_cortex_m.sh ARM_GXX
set -euo pipefail
gxx=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nm=${gxx%g++}nm
"$gxx" -std=c++17 -fno-exceptions -fno-rtti -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os \
  -ffp-contract=off -Wall -Wextra -Werror -I"$root" -c "$here/cortex_m_check.cc" -o "$out/check.o"
forbidden=$("$nm" -u "$out/check.o" |
  grep -E ' (malloc|calloc|realloc|free|_Znw[jm]|_Zna[jm]|_Zdl|_Zda|__cxa_allocate_exception|__cxa_throw|__gxx_personality|(sin|cos|tan|log|log2|log10|exp|exp2|pow|sincos)f?)$' ||
  true)
if [ -n "$forbidden" ]; then
  echo "FAIL: the machine simulator references heap, exceptions or libm transcendentals on Cortex-M4:"
  echo "$forbidden"
  exit 1
fi
echo "machine simulator builds for Cortex-M4 (-fno-exceptions -fno-rtti, no heap, no libm transcendentals)"
"${gxx%g++}size" "$out/check.o"
