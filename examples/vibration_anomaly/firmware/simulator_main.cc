// Runs the reference simulation (examples/vibration_anomaly/machine_simulator.h: reference_checksum) on the
// Cortex-M4 and prints its checksum, which must equal the host's, then the instructions generate() takes per
// frame (3 samples) over 10 s of the default machine.
#include "examples/vibration_anomaly/machine_simulator.h"
#include "platform/cortex_m/icount.h"
#include "platform/cortex_m/semihosting.h"

namespace cm = edgeinfer::cortex_m;
namespace vib = edgeinfer::vibration;

namespace {
vib::Schedule g_schedule;
float g_frames[3 * 1024];
}  // namespace

int main() {
  cm::write("checksum ");
  cm::write_u64(vib::reference_checksum(1, 30));
  cm::write("\n");

  vib::make_schedule(1, 24, &g_schedule);
  static vib::MachineSimulator sim(vib::MachineConfig(), &g_schedule, 1);
  constexpr int kSeconds = 10;
  uint64_t instructions = 0;
  for (int s = 0; s < kSeconds; ++s) {
    cm::icount_start();
    sim.generate(g_frames, 1024);
    instructions += cm::ticks_to_instructions(cm::icount_ticks());
  }
  cm::write("instructions_per_frame ");
  cm::write_u64(instructions / (kSeconds * 1024ull));
  cm::write("\n");
  cm::exit(0);
}
