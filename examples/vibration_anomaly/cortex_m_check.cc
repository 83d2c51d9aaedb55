// Built for the Cortex-M4 by check_cortex_m.sh (ctest vibration_simulator_builds_for_cortex_m): the simulator
// must compile freestanding and reference no heap, exception or libm transcendental function (its own
// polynomials keep host and target samples identical).
#include "examples/vibration_anomaly/machine_simulator.h"

namespace vib = edgeinfer::vibration;

namespace {
vib::Schedule g_schedule;
}

extern "C" float vibration_simulator_check(float* xyz, int frames) {
  vib::make_schedule(1, 24, &g_schedule);
  vib::MachineSimulator sim(vib::MachineConfig(), &g_schedule, 1);
  sim.generate(xyz, frames);
  const vib::Truth truth = sim.truth();
  if (vib::reference_checksum(1, 1) == 0) return -1;
  return truth.drift ? sim.shaft_hz() : xyz[0];
}
