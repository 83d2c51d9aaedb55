// The scenario the firmware test runs twice, on the Cortex-M4 under QEMU (monitor_main.cc) and on the host
// (monitor_host.cc), and whose outputs it compares line by line: the machine simulator with a fixed seed and
// a short hand-made schedule (one fault of each type, then a drift episode), a few invalid sensor values,
// and the whole device pipeline (VibrationMonitor: window, features, gate, int8 autoencoder, fault and drift
// alerts, statistics) over it.
//
// Output lines (identical on both sides; the firmware adds "I ..." lines with instruction counts):
//   W <window> t=<s> <g|s> score=<bits> level=<bits> drift=<bits> features=<hash> inputs=<hash>
//     fe=<fault event> de=<drift event>
//       g: gated out, s: scored; float values as their IEEE bits in hex, so equality is exact; hashes of the
//       feature vector and of the model inputs (FNV-1a, low 32 bits); events: F fault, c cleared, D drift,
//       d drift over, - none
//   stats inferences=... gated_out=... anomalies=... score_mean=<bits> nan=... out_of_range=...
//   checksum <FNV-1a 64 over every window's record>
//
// Freestanding C++17, no heap: a template on the caller's hooks (output and measurement).
#pragma once

#include <cstdint>
#include <cstring>

#include "edgeinfer/op_resolver.h"
#include "examples/vibration_anomaly/machine_simulator.h"
#include "examples/vibration_anomaly/vibration_monitor.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"

namespace edgeinfer::vibration::scenario {

constexpr uint64_t kSeed = 7;
constexpr int kSeconds = 300;  // one window per second after the first two

// Healthy for 40 s, then each fault type for 30 s with 20 s of healthy machine between them, then a drift
// episode that rises and returns (not a fault). Faults at full severity, so the short-trained detector sees
// every one.
inline void make_schedule(Schedule* s) {
  s->count = 0;
  s->duration_s = kSeconds;
  const EventType faults[] = {EventType::kImbalance, EventType::kMisalignment, EventType::kBearing,
                              EventType::kLooseness};
  for (int i = 0; i < 4; ++i) {
    Event e;
    e.type = faults[i];
    e.start_s = 40 + 50 * i;
    e.duration_s = 30;
    e.severity = 1.0f;
    s->add(e);
  }
  Event drift;
  drift.type = EventType::kDrift;
  drift.start_s = 235;
  drift.duration_s = 60;
  drift.severity = 1.0f;
  s->add(drift);
  s->sort();
}

// The demo's monitor, with drift scaled down to this short run (baseline over 20 windows, a 5-window
// average, 5 windows to confirm, and thresholds above the level's normal wander over so short an average),
// so the drift code runs too: the drift episode is reported as drift, the faults as faults.
inline MonitorConfig monitor_config() {
  MonitorConfig c;
  c.drift.baseline_count = 20;
  c.drift.tau = 5;
  c.drift.hold = 5;
  c.drift.on = 0.2f;
  c.drift.off = 0.1f;
  return c;
}

// The model's kernels (the autoencoder is four int8 FULLY_CONNECTED ops), the same on both sides: the
// Cortex-M optimized kernel (SMLAD on the M4; portable C++ on the host, byte-identical to the reference).
constexpr int kNumOps = 1;
inline Status register_kernels(MutableOpResolver<kNumOps>* resolver) {
  return resolver->add(BuiltinOp::kFullyConnected, cortex_m::fully_connected());
}

inline uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

inline uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Text without printf: decimal and 8-digit hex into a caller's buffer.
inline char* put(char* p, const char* s) {
  while (*s) *p++ = *s++;
  *p = '\0';
  return p;
}
inline char* put_u64(char* p, uint64_t v) {
  char digits[21];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  while (n > 0) *p++ = digits[--n];
  *p = '\0';
  return p;
}
inline char* put_hex32(char* p, uint32_t v) {
  for (int i = 7; i >= 0; --i) *p++ = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
  *p = '\0';
  return p;
}
inline char event_char(AlertEvent e) {
  switch (e) {
    case AlertEvent::kNone: return '-';
    case AlertEvent::kFaultStarted: return 'F';
    case AlertEvent::kFaultCleared: return 'c';
    case AlertEvent::kDriftStarted: return 'D';
    case AlertEvent::kDriftEnded: return 'd';
  }
  return '?';
}

// Hooks: void write(const char* text); void before_push(); void after_push(bool window_done, int window)
// (the firmware measures instructions around each push, the host does nothing). Returns false (after
// writing "error ...") if the monitor cannot start or a window fails.
template <class Hooks>
bool run(Interpreter* model, const DetectorParams& params, Hooks& hooks) {
  static Schedule schedule;  // 8 KiB: not on a microcontroller's stack
  make_schedule(&schedule);
  static MachineSimulator sim(MachineConfig(), &schedule, kSeed);
  static VibrationMonitor monitor;
  if (!sim.ok()) {
    hooks.write("error simulator\n");
    return false;
  }
  if (!monitor.init(monitor_config(), params, model)) {
    hooks.write("error monitor: ");
    hooks.write(monitor.error());
    hooks.write("\n");
    return false;
  }
  static float frames[kHopFrames * kAxes];
  uint64_t checksum = 1469598103934665603ull;
  int window = 0;
  char line[200];
  for (int second = 0; second < kSeconds; ++second) {
    sim.generate(frames, kHopFrames);
    if (second == 10) {  // a broken sample and a spike out of range: counted and held, never a crash
      frames[3 * 100 + 1] = __builtin_nanf("");
      frames[3 * 500 + 2] = 1000.0f;
    }
    const uint64_t now_us = static_cast<uint64_t>(second + 1) * 1000000ull;
    int done = 0;
    while (done < kHopFrames) {
      WindowResult r;
      bool window_done = false;
      hooks.before_push();
      // The hop in two pushes, as a sensor driver might deliver it: all frames but the last (ingest only),
      // then the last, which completes the window (so the firmware can time ingest and processing apart).
      const int chunk = done == 0 ? kHopFrames - 1 : kHopFrames - done;
      done += monitor.push(frames + done * kAxes, chunk, now_us, &r, &window_done);
      hooks.after_push(window_done, window);
      if (!window_done) continue;
      const uint32_t record[] = {static_cast<uint32_t>(window),
                                 static_cast<uint32_t>(r.scored) | static_cast<uint32_t>(r.gated_out) << 1,
                                 float_bits(r.score),
                                 float_bits(r.level),
                                 float_bits(r.drift_statistic),
                                 static_cast<uint32_t>(r.fault_event) | static_cast<uint32_t>(r.drift_event)
                                                                            << 8};
      checksum = fnv1a(checksum, record, sizeof record);
      char* p = put(line, "W ");
      p = put_u64(p, static_cast<uint64_t>(window));
      p = put(p, " t=");
      p = put_u64(p, static_cast<uint64_t>(second + 1));
      p = put(p, r.gated_out ? " g" : r.scored ? " s" : " -");
      p = put(p, " score=");
      p = put_hex32(p, float_bits(r.score));
      p = put(p, " level=");
      p = put_hex32(p, float_bits(r.level));
      p = put(p, " drift=");
      p = put_hex32(p, float_bits(r.drift_statistic));
      // Hashes of the feature vector and the model inputs: where host and target part, if they do.
      p = put(p, " features=");
      p = put_hex32(p, static_cast<uint32_t>(
                           fnv1a(1469598103934665603ull, r.features,
                                 sizeof(float) * static_cast<size_t>(monitor.features().num_features()))));
      p = put(p, " inputs=");
      p = put_hex32(
          p, static_cast<uint32_t>(fnv1a(1469598103934665603ull, r.inputs, sizeof(float) * kModelInputs)));
      p = put(p, " fe=");
      *p++ = event_char(r.fault_event);
      p = put(p, " de=");
      *p++ = event_char(r.drift_event);
      put(p, "\n");
      hooks.write(line);
      ++window;
    }
  }
  if (window != kSeconds - 1) {
    hooks.write("error: a window failed\n");
    return false;
  }
  const edge::InferenceStatsSnapshot s = monitor.stats().snapshot();
  char* p = put(line, "stats windows=");
  p = put_u64(p, static_cast<uint64_t>(window));
  p = put(p, " inferences=");
  p = put_u64(p, s.inferences);
  p = put(p, " gated_out=");
  p = put_u64(p, s.gated_out);
  p = put(p, " anomalies=");
  p = put_u64(p, s.anomalies);
  p = put(p, " score_mean=");
  p = put_hex32(p, float_bits(s.score_mean));
  p = put(p, " nan=");
  p = put_u64(p, monitor.sensor_counters().nan_values);
  p = put(p, " out_of_range=");
  p = put_u64(p, monitor.sensor_counters().out_of_range_values);
  put(p, "\n");
  hooks.write(line);
  p = put(line, "checksum ");
  p = put_u64(p, checksum);
  put(p, "\n");
  hooks.write(line);
  return true;
}

}  // namespace edgeinfer::vibration::scenario
