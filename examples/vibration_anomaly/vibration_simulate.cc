// vibration_simulate [HOURS] [SEED]: prints the seeded schedule, then simulates HOURS (default 24) of the
// default machine, printing per simulated hour the shaft speed, load, drift level and RMS per axis, and at
// the end the simulator's speed in ns per sample (one axis value).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "examples/vibration_anomaly/machine_simulator.h"

namespace vib = edgeinfer::vibration;

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--checksum") {  // the reference run, for check_firmware.sh
    std::printf("%llu\n", static_cast<unsigned long long>(vib::reference_checksum(1, std::atoi(argv[2]))));
    return 0;
  }
  const double hours = argc > 1 ? std::atof(argv[1]) : 24.0;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  if (!(hours > 0) || hours > 24 * 14) {
    std::fprintf(stderr, "usage: vibration_simulate [HOURS (0, 336]] [SEED]\n");
    return 2;
  }
  static vib::Schedule schedule;
  vib::make_schedule(seed, hours, &schedule);
  std::printf("schedule: %d events over %.1f h (seed %llu)\n", schedule.count, hours,
              static_cast<unsigned long long>(seed));
  for (int i = 0; i < schedule.count; ++i) {
    const vib::Event& e = schedule.events[i];
    std::printf("  %-12s start %9.1f s  duration %7.1f s  severity %.2f\n", vib::event_type_name(e.type),
                e.start_s, e.duration_s, e.severity);
  }

  const vib::MachineConfig config;
  vib::MachineSimulator sim(config, &schedule, seed);
  if (!sim.ok()) {
    std::fprintf(stderr, "bad config: %s\n", sim.error());
    return 1;
  }
  const int frames_per_second = static_cast<int>(config.sample_rate_hz);
  std::vector<float> buffer(3 * static_cast<size_t>(frames_per_second));
  const long seconds = std::lround(hours * 3600);
  double sum_sq[3] = {};
  double generate_ns = 0;
  for (long s = 0; s < seconds; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    sim.generate(buffer.data(), frames_per_second);
    generate_ns += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    for (int i = 0; i < frames_per_second; ++i)
      for (int a = 0; a < 3; ++a) sum_sq[a] += buffer[3 * i + a] * buffer[3 * i + a];
    if ((s + 1) % 3600 == 0 || s + 1 == seconds) {
      const double n = static_cast<double>(frames_per_second) * ((s % 3600) + 1);
      std::printf("t %7.2f h  shaft %5.2f Hz  load %.2f  drift %.2f  rms x %.4f y %.4f z %.4f g  (%s)\n",
                  (s + 1) / 3600.0, sim.shaft_hz(), sim.load(), sim.drift_level(), std::sqrt(sum_sq[0] / n),
                  std::sqrt(sum_sq[1] / n), std::sqrt(sum_sq[2] / n),
                  vib::event_type_name(sim.truth().fault));
      sum_sq[0] = sum_sq[1] = sum_sq[2] = 0;
    }
  }
  std::printf("%.2f ns per sample (%.3g samples in %.2f s of generate())\n",
              generate_ns / (3.0 * frames_per_second * seconds), 3.0 * frames_per_second * seconds,
              generate_ns * 1e-9);
  return 0;
}
