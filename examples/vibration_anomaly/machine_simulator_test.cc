#include "examples/vibration_anomaly/machine_simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <vector>

namespace edgeinfer::vibration {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Constant speed (25 Hz) and load (0.5: harmonic scale 1.0), so spectral lines sit on exact DFT bins.
MachineConfig steady_config() {
  MachineConfig c;
  c.speed_swing_hz = 0;
  c.speed_walk_hz = 0;
  c.load_walk = 0;
  return c;
}

Schedule one_event(EventType type, double start_s, double duration_s, float severity, double total_s = 3600) {
  Schedule s;
  s.duration_s = total_s;
  s.add({type, start_s, duration_s, severity});
  return s;
}

// Frames [start_s, start_s + seconds) of a fresh simulator, interleaved x, y, z.
std::vector<float> simulate(const MachineConfig& config, const Schedule& schedule, uint64_t seed,
                            double start_s, double seconds) {
  MachineSimulator sim(config, &schedule, seed);
  EXPECT_TRUE(sim.ok()) << sim.error();
  const int fs = static_cast<int>(config.sample_rate_hz);
  std::vector<float> skip(3 * static_cast<size_t>(fs));
  long to_skip = std::lround(start_s * fs);
  while (to_skip > 0) {
    const int n = static_cast<int>(std::min<long>(to_skip, fs));
    sim.generate(skip.data(), n);
    to_skip -= n;
  }
  std::vector<float> out(3 * static_cast<size_t>(std::lround(seconds * fs)));
  sim.generate(out.data(), static_cast<int>(out.size() / 3));
  return out;
}

std::vector<double> axis(const std::vector<float>& xyz, int a) {
  std::vector<double> v(xyz.size() / 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = xyz[3 * i + a];
  return v;
}

// Amplitude (g) of the component at freq_hz: 2/N |sum x[n] e^{-i 2 pi f n / fs}| (exact for on-bin sines).
double amplitude(const std::vector<double>& x, double freq_hz, double fs = 1024) {
  std::complex<double> acc = 0;
  for (size_t n = 0; n < x.size(); ++n) acc += x[n] * std::polar(1.0, -2 * kPi * freq_hz * n / fs);
  return 2.0 * std::abs(acc) / x.size();
}

double rms(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v * v;
  return std::sqrt(s / x.size());
}

double kurtosis(const std::vector<double>& x) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  double m2 = 0, m4 = 0;
  for (double v : x) {
    const double d = (v - mean) * (v - mean);
    m2 += d;
    m4 += d * d;
  }
  m2 /= x.size();
  m4 /= x.size();
  return m4 / (m2 * m2);
}

// Envelope by rectification after a second difference (a crude high-pass that favours the ~350 Hz mode over
// the shaft harmonics), mean removed.
std::vector<double> envelope(const std::vector<double>& x) {
  std::vector<double> e(x.size() - 2);
  double mean = 0;
  for (size_t i = 0; i + 2 < x.size(); ++i) {
    e[i] = std::fabs(x[i + 2] - 2 * x[i + 1] + x[i]);
    mean += e[i];
  }
  mean /= e.size();
  for (double& v : e) v -= mean;
  return e;
}

uint64_t fnv1a(const std::vector<float>& v) {
  return checksum_update(kChecksumStart, v.data(), static_cast<int>(v.size()));
}

// ---- Deterministic math -------------------------------------------------------------------------------

TEST(SimulatorMath, SinCosLogSqrtAreAccurate) {
  double worst_sin = 0, worst_log = 0, worst_sqrt = 0;
  for (int i = -20000; i <= 20000; ++i) {
    const float p = i * 0.00005f;  // [-1, 1]
    worst_sin = std::max(worst_sin, std::fabs(simmath::sin_cycles(p) - std::sin(2 * kPi * p)));
    worst_sin = std::max(worst_sin, std::fabs(simmath::cos_cycles(p) - std::cos(2 * kPi * p)));
  }
  for (int i = 1; i <= 100000; ++i) {
    const float x = i * 0.00037f;
    worst_log = std::max(worst_log, std::fabs(simmath::log_positive(x) - std::log(static_cast<double>(x))));
    worst_sqrt =
        std::max(worst_sqrt, std::fabs(simmath::sqrt_nonneg(x) / std::sqrt(static_cast<double>(x)) - 1));
  }
  EXPECT_LT(worst_sin, 4e-7);
  EXPECT_LT(worst_log, 1e-6);
  EXPECT_LT(worst_sqrt, 3e-7);
  // Box-Muller's u1 = 1 gives -2 log 1 = -0: its sqrt must be ~0, not the bits of -0 read as a huge number.
  EXPECT_EQ(simmath::log_positive(1.0f), 0.0f);
  EXPECT_LT(simmath::sqrt_nonneg(-2.0f * simmath::log_positive(1.0f)), 1e-15f);
  EXPECT_LT(simmath::sqrt_nonneg(0.0f), 1e-15f);
  EXPECT_NEAR(simmath::exp_double(-0.107), std::exp(-0.107), 1e-15);
  EXPECT_NEAR(simmath::exp_double(3.5), std::exp(3.5), 1e-12);
}

TEST(SimulatorMath, NormalsHaveUnitVarianceAndGaussianShape) {
  Pcg32 rng(42, 7);
  std::vector<float> v(1 << 20);
  std::vector<uint32_t> scratch(v.size());
  fill_normals(rng, scratch.data(), v.data(), static_cast<int>(v.size()));
  double mean = 0, var = 0;
  int within1 = 0, within2 = 0;
  for (float x : v) {
    mean += x;
    var += static_cast<double>(x) * x;
    within1 += std::fabs(x) < 1;
    within2 += std::fabs(x) < 2;
  }
  mean /= v.size();
  var = var / v.size() - mean * mean;
  EXPECT_NEAR(mean, 0, 0.004);
  EXPECT_NEAR(var, 1, 0.005);
  EXPECT_NEAR(static_cast<double>(within1) / v.size(), 0.6827, 0.002);
  EXPECT_NEAR(static_cast<double>(within2) / v.size(), 0.9545, 0.001);
}

// ---- Determinism ----------------------------------------------------------------------------------------

TEST(MachineSimulator, SameSeedSameSamplesDifferentSeedDifferent) {
  Schedule s;
  make_schedule(3, 24, &s);
  const auto a = simulate(MachineConfig(), s, 11, 0, 20);
  const auto b = simulate(MachineConfig(), s, 11, 0, 20);
  const auto c = simulate(MachineConfig(), s, 12, 0, 20);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  size_t differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += a[i] != c[i];
  EXPECT_GT(differing, a.size() * 99 / 100);
}

TEST(MachineSimulator, ChunkSizesDoNotChangeSamples) {
  Schedule s = one_event(EventType::kBearing, 2, 5, 1);
  MachineSimulator whole(MachineConfig(), &s, 5), pieces(MachineConfig(), &s, 5);
  std::vector<float> a(3 * 10000), b(3 * 10000);
  whole.generate(a.data(), 10000);
  int done = 0, step = 1;
  while (done < 10000) {
    const int n = std::min(step, 10000 - done);
    pieces.generate(b.data() + 3 * done, n);
    done += n;
    step = step * 3 % 97 + 1;  // 1, 4, 13, 40, 24, ... odd sizes across block boundaries
  }
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  EXPECT_EQ(whole.frames_generated(), 10000u);
  EXPECT_DOUBLE_EQ(whole.time_s(), 10000 / 1024.0);
}

// Seed 6's noise stream draws u1 = 1 (probability 2^-24 per pair) 71 s in; that once produced a 1e18 g
// sample.
TEST(MachineSimulator, SamplesStayBoundedWhenBoxMullerDrawsOne) {
  Schedule s;
  make_schedule(6, 24, &s);
  const auto xyz = simulate(MachineConfig(), s, 6, 60, 20);
  float worst = 0;
  for (float v : xyz) {
    ASSERT_TRUE(std::isfinite(v));
    worst = std::max(worst, std::fabs(v));
  }
  EXPECT_LT(worst, 1.0f);
}

// Pins the exact samples (seed 1, default machine and schedule, the first 30 s and 30 s into the first
// fault): a change here changes every recorded result, and another compiler or target must reproduce it.
TEST(MachineSimulator, SamplesArePinned) {
  Schedule s;
  make_schedule(1, 24, &s);
  ASSERT_GT(s.count, 0);
  EXPECT_EQ(fnv1a(simulate(MachineConfig(), s, 1, 0, 30)), 9939140996527654334ull);
  EXPECT_EQ(reference_checksum(1, 30), 9939140996527654334ull);  // what the Cortex-M4 check compares
  EXPECT_EQ(fnv1a(simulate(MachineConfig(), s, 1, s.events[0].start_s + 30, 30)), 7620915693922072780ull);
}

// ---- Machine and fault signatures ---------------------------------------------------------------------

TEST(MachineSimulator, HealthyHasTheConfiguredShaftHarmonics) {
  const MachineConfig c = steady_config();
  const Schedule none = one_event(EventType::kNone, 0, 0, 0);
  const auto xyz = simulate(c, none, 1, 10, 4);
  for (int a = 0; a < 3; ++a) {
    const auto x = axis(xyz, a);
    for (int k = 1; k <= 4; ++k)
      EXPECT_NEAR(amplitude(x, 25.0 * k), c.harmonic_g[k - 1][a], 0.004) << a << " " << k;
    EXPECT_LT(amplitude(x, 12.5), 0.003);  // no sub-harmonic
  }
  // 1x dominates the low band on the radial axes.
  const auto x = axis(xyz, 0);
  const double one_x = amplitude(x, 25);
  for (double f = 5; f <= 200; f += 2.5) {
    if (f != 25) {
      EXPECT_LT(amplitude(x, f), one_x / 2) << f;
    }
  }
}

TEST(MachineSimulator, NullScheduleIsAHealthyMachine) {
  const Schedule none;
  MachineSimulator with_empty(MachineConfig(), &none, 4), with_null(MachineConfig(), nullptr, 4);
  std::vector<float> a(3 * 2000), b(3 * 2000);
  with_empty.generate(a.data(), 2000);
  with_null.generate(b.data(), 2000);
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  EXPECT_EQ(with_null.truth().fault, EventType::kNone);
}

TEST(MachineSimulator, SpeedAndLoadVarySlowlyWithinBounds) {
  const Schedule none = one_event(EventType::kNone, 0, 0, 0);
  MachineSimulator sim(MachineConfig(), &none, 9);
  std::vector<float> buf(3 * 1024);
  float lo = 1e9f, hi = -1e9f, load_lo = 1e9f, load_hi = -1e9f, prev = 0, max_step = 0;
  for (int s = 0; s < 7200; ++s) {
    sim.generate(buf.data(), 1024);
    lo = std::min(lo, sim.shaft_hz());
    hi = std::max(hi, sim.shaft_hz());
    load_lo = std::min(load_lo, sim.load());
    load_hi = std::max(load_hi, sim.load());
    if (s > 0) max_step = std::max(max_step, std::fabs(sim.shaft_hz() - prev));
    prev = sim.shaft_hz();
  }
  EXPECT_GE(lo, 20.0f);
  EXPECT_LE(hi, 30.0f);
  EXPECT_GT(hi - lo, 2.0f);   // it does vary ...
  EXPECT_LT(max_step, 0.5f);  // ... slowly (per second; the walk's step has sd 0.08 Hz)
  EXPECT_GT(load_hi - load_lo, 0.2f);
  EXPECT_NEAR(sim.bpfo_hz(), 3.6f * sim.shaft_hz(), 1e-4f);  // 9/2 (1 - 0.2) f
}

TEST(MachineSimulator, ImbalanceRaisesOneXOnRadialAxes) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kImbalance, 20, 30, 1.0f);
  const auto healthy = simulate(c, s, 2, 10, 4), fault = simulate(c, s, 2, 30, 4);
  // x: healthy 1x has phase 0, the imbalance adds in phase: 0.10 + 0.40 g.
  EXPECT_NEAR(amplitude(axis(fault, 0), 25), 0.5, 0.01);
  EXPECT_GT(amplitude(axis(fault, 1), 25), 3 * amplitude(axis(healthy, 1), 25));
  EXPECT_LT(amplitude(axis(fault, 2), 25), 1.5 * amplitude(axis(healthy, 2), 25));
  EXPECT_NEAR(amplitude(axis(fault, 0), 50), amplitude(axis(healthy, 0), 50), 0.004);  // 2x unchanged
}

TEST(MachineSimulator, FaultIsFullyPresentWithinTwoSecondsOfOnset) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kImbalance, 20, 30, 0.5f);
  EXPECT_NEAR(amplitude(axis(simulate(c, s, 2, 21.1, 1), 0), 25), 0.1 + 0.5 * 0.4, 0.01);
  EXPECT_NEAR(amplitude(axis(simulate(c, s, 2, 19, 1), 0), 25), 0.1, 0.01);  // not before
  EXPECT_NEAR(amplitude(axis(simulate(c, s, 2, 51, 1), 0), 25), 0.1, 0.01);  // nor after
}

TEST(MachineSimulator, MisalignmentRaisesTwoXAndTheAxialAxis) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kMisalignment, 20, 30, 1.0f);
  const auto healthy = simulate(c, s, 3, 10, 4), fault = simulate(c, s, 3, 30, 4);
  EXPECT_GT(amplitude(axis(fault, 0), 50), 3 * amplitude(axis(healthy, 0), 50));
  EXPECT_NEAR(amplitude(axis(fault, 2), 50),
              std::hypot(0.02 * std::cos(2 * kPi * 0.82), 0.02 * std::sin(2 * kPi * 0.82) + 0.3), 0.01);
  EXPECT_GT(amplitude(axis(fault, 2), 25), 3 * amplitude(axis(healthy, 2), 25));
  EXPECT_GT(rms(axis(fault, 2)), 3 * rms(axis(healthy, 2)));
  EXPECT_NEAR(amplitude(axis(fault, 0), 25), 0.1, 0.005);  // 1x radial unchanged
}

TEST(MachineSimulator, BearingEnvelopePeaksAtBpfo) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kBearing, 20, 30, 0.8f);
  const auto healthy = envelope(axis(simulate(c, s, 4, 10, 8), 0));
  const auto fault_x = axis(simulate(c, s, 4, 30, 8), 0);
  const auto fault = envelope(fault_x);
  const double bpfo = 0.5 * 9 * (1 - 0.2) * 25;  // 90 Hz
  double best_f = 0, best = 0;
  for (double f = 10; f <= 200; f += 0.125) {
    const double a = amplitude(fault, f);
    if (a > best) best = a, best_f = f;
  }
  EXPECT_NEAR(best_f, bpfo, 0.5);
  EXPECT_GT(amplitude(fault, bpfo), 10 * amplitude(healthy, bpfo));
  // Impulsive above the shaft harmonics (kurtosis of the second difference): Gaussian-like when healthy.
  auto high_pass = [](const std::vector<double>& x) {
    std::vector<double> d(x.size() - 2);
    for (size_t i = 0; i + 2 < x.size(); ++i) d[i] = x[i + 2] - 2 * x[i + 1] + x[i];
    return d;
  };
  const double k_fault = kurtosis(high_pass(fault_x)),
               k_healthy = kurtosis(high_pass(axis(simulate(c, s, 4, 10, 8), 0)));
  EXPECT_GT(k_fault, 4.0);  // 4.4 here; 3 for Gaussian data
  EXPECT_NEAR(k_healthy, 3.0, 0.3);
}

TEST(MachineSimulator, LoosenessAddsManyHarmonicsAndHalfOrders) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kLooseness, 20, 30, 1.0f);
  const auto healthy = axis(simulate(c, s, 5, 10, 4), 1), fault = axis(simulate(c, s, 5, 30, 4), 1);
  int lines_healthy = 0, lines_fault = 0, half_orders_fault = 0;
  for (int k = 1; k <= 24; ++k) {  // k x 12.5 Hz: half-orders up to 12x
    const double f = 12.5 * k;
    lines_healthy += amplitude(healthy, f) > 0.008;
    const bool line = amplitude(fault, f) > 0.008;
    lines_fault += line;
    half_orders_fault += line && k % 2 == 1;
    if (k % 2 == 1) {
      EXPECT_LT(amplitude(healthy, f), 0.004) << f;
    }
  }
  EXPECT_LE(lines_healthy, 3);
  EXPECT_GE(lines_fault, 12);
  EXPECT_GE(half_orders_fault, 5);
  EXPECT_GT(amplitude(fault, 12.5), 0.03);  // the 1/2x sub-harmonic itself
}

TEST(MachineSimulator, DriftRaisesLevelAndLowersResonanceSlowlyAndIsNotAFault) {
  const MachineConfig c = steady_config();
  const Schedule s = one_event(EventType::kDrift, 600, 3600, 1.0f, 7200);
  // The resonance: the peak in 200..500 Hz of the power spectrum averaged over 1 s segments and +-10 Hz.
  auto resonance = [](const std::vector<double>& x) {
    std::vector<double> power(600, 0.0);
    for (size_t seg = 0; seg + 1024 <= x.size(); seg += 1024) {
      const std::vector<double> part(x.begin() + seg, x.begin() + seg + 1024);
      for (int f = 190; f <= 510; ++f) power[f] += amplitude(part, f) * amplitude(part, f);
    }
    int best = 0;
    double best_power = 0;
    for (int f = 200; f <= 500; ++f) {
      double p = 0;
      for (int g = f - 10; g <= f + 10; ++g) p += power[g];
      if (p > best_power) best_power = p, best = f;
    }
    return static_cast<double>(best);
  };
  const auto before = axis(simulate(c, s, 6, 300, 16), 0), peak = axis(simulate(c, s, 6, 2400, 16), 0);
  const double level = rms(peak) / rms(before);
  EXPECT_GT(level, 1.35);
  EXPECT_LT(level, 1.6);
  EXPECT_NEAR(resonance(before), 350, 15);
  EXPECT_NEAR(resonance(peak), 350 * 0.92, 15);
  EXPECT_NEAR(amplitude(peak, 25) / amplitude(before, 25), 1.5, 0.03);  // shape kept: no new lines
  EXPECT_LT(amplitude(peak, 12.5), 0.003);

  // Gradual: 10 s windows a minute apart differ by at most a few percent.
  MachineSimulator sim(c, &s, 6);
  std::vector<float> buf(3 * 10240);
  double prev = 0, worst = 0;
  for (int m = 0; m < 80; ++m) {
    sim.generate(buf.data(), 10240);
    const double r = rms(axis(buf, 0));
    if (m > 0 && sim.time_s() > 600 && sim.time_s() < 4200) worst = std::max(worst, std::fabs(r / prev - 1));
    for (int skip = 0; skip < 5; ++skip) sim.generate(buf.data(), 10240);  // one sample window per minute
    prev = r;
    const Truth t = sim.truth();
    EXPECT_EQ(t.fault, EventType::kNone);
    EXPECT_EQ(t.drift, sim.time_s() >= 600 && sim.time_s() < 4200);
  }
  EXPECT_LT(worst, 0.05);
  EXPECT_NEAR(sim.drift_level(), 0, 1e-6);  // returns after the episode by default
}

TEST(MachineSimulator, PersistentDriftStays) {
  MachineConfig c = steady_config();
  c.drift_persists = true;
  const Schedule s = one_event(EventType::kDrift, 10, 60, 0.7f, 200);
  MachineSimulator sim(c, &s, 1);
  std::vector<float> buf(3 * 1024);
  for (int i = 0; i < 40; ++i) sim.generate(buf.data(), 1024);
  EXPECT_NEAR(sim.drift_level(), 0.7f * 0.5f, 0.05f);  // half-way up at the episode's 30th second
  for (int i = 0; i < 100; ++i) sim.generate(buf.data(), 1024);
  EXPECT_FLOAT_EQ(sim.drift_level(), 0.7f);
  EXPECT_FALSE(sim.truth().drift);  // the episode (the change) is over; its level stays
}

TEST(MachineSimulator, RejectsSampleRatesTooLowForTheContent) {
  MachineConfig c;
  EXPECT_EQ(check_config(c), nullptr);
  c.sample_rate_hz = 800;  // resonance at 350 Hz needs >= 875
  EXPECT_NE(check_config(c), nullptr);
  c.sample_rate_hz = 2048;
  EXPECT_EQ(check_config(c), nullptr);
  c.shaft_max_hz = 250;  // 4x = 1000 Hz needs >= 2500
  EXPECT_NE(check_config(c), nullptr);
  MachineConfig bad;
  bad.shaft_min_hz = 0;
  const Schedule none = one_event(EventType::kNone, 0, 0, 0);
  MachineSimulator sim(bad, &none, 1);
  EXPECT_FALSE(sim.ok());
  std::vector<float> buf(30, 1.0f);
  sim.generate(buf.data(), 10);
  for (float v : buf) EXPECT_EQ(v, 0.0f);
}

TEST(MachineSimulator, OtherSampleRatesKeepTheSignature) {
  MachineConfig c = steady_config();
  c.sample_rate_hz = 2048;
  const Schedule s = one_event(EventType::kImbalance, 5, 30, 1.0f);
  const auto x = axis(simulate(c, s, 2, 10, 2), 0);
  EXPECT_NEAR(amplitude(x, 25, 2048), 0.5, 0.01);
}

// ---- Schedule and ground truth -------------------------------------------------------------------------

TEST(Schedule, FaultsAreBalancedNonOverlappingAndWithinTheRun) {
  const ScheduleConfig cfg;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Schedule s;
    ASSERT_GT(make_schedule(seed, 24, &s), 0);
    EXPECT_DOUBLE_EQ(s.duration_s, 86400);
    int per_type[kFaultTypeCount] = {}, drifts = 0;
    double last_fault_end = -1e9, last_drift_end = -1e9, last_start = -1;
    for (int i = 0; i < s.count; ++i) {
      const Event& e = s.events[i];
      EXPECT_GE(e.start_s, last_start) << "sorted";
      last_start = e.start_s;
      EXPECT_GE(e.start_s, cfg.lead_s);
      EXPECT_LE(e.end_s(), 86400);
      if (is_fault(e.type)) {
        ++per_type[static_cast<int>(e.type) - 1];
        EXPECT_GE(e.start_s - last_fault_end, cfg.min_gap_s) << "seed " << seed << " event " << i;
        last_fault_end = e.end_s();
        EXPECT_GE(e.duration_s, cfg.fault_min_s);
        EXPECT_LE(e.duration_s, cfg.fault_max_s);
        EXPECT_GE(e.severity, cfg.severity_min);
        EXPECT_LE(e.severity, cfg.severity_max);
        EXPECT_LE(e.end_s() + cfg.min_gap_s, 86400 + 1e-6);
      } else {
        ASSERT_EQ(e.type, EventType::kDrift);
        ++drifts;
        EXPECT_GE(e.start_s, last_drift_end);
        last_drift_end = e.end_s();
        EXPECT_GE(e.duration_s, cfg.drift_min_s);
        EXPECT_LE(e.duration_s, cfg.drift_max_s);
      }
    }
    for (int k = 0; k < kFaultTypeCount; ++k) EXPECT_EQ(per_type[k], cfg.faults_per_type_per_day) << seed;
    EXPECT_GE(drifts, 1);
    EXPECT_LE(drifts, 2);
  }
}

TEST(Schedule, SeededAndDifferentPerSeed) {
  Schedule a, b, c;
  make_schedule(7, 24, &a);
  make_schedule(7, 24, &b);
  make_schedule(8, 24, &c);
  ASSERT_EQ(a.count, b.count);
  for (int i = 0; i < a.count; ++i) {
    EXPECT_EQ(a.events[i].type, b.events[i].type);
    EXPECT_EQ(a.events[i].start_s, b.events[i].start_s);
    EXPECT_EQ(a.events[i].severity, b.events[i].severity);
  }
  EXPECT_NE(a.events[0].start_s, c.events[0].start_s);
}

TEST(Schedule, ShortAndLongRunsFit) {
  Schedule s;
  make_schedule(1, 1, &s);  // one hour: a 12-minute lead, then two fault slots and a short drift
  int faults = 0, drifts = 0;
  for (int i = 0; i < s.count; ++i) {
    EXPECT_LE(s.events[i].end_s(), 3600);
    faults += is_fault(s.events[i].type);
    drifts += s.events[i].type == EventType::kDrift;
  }
  EXPECT_EQ(faults, 2);
  EXPECT_EQ(drifts, 1);

  make_schedule(1, 24 * 14, &s);  // two weeks: still every type four times a day, within capacity
  int per_type[kFaultTypeCount] = {};
  for (int i = 0; i < s.count; ++i)
    if (is_fault(s.events[i].type)) ++per_type[static_cast<int>(s.events[i].type) - 1];
  for (int k = 0; k < kFaultTypeCount; ++k) EXPECT_EQ(per_type[k], 56);
  EXPECT_LE(s.count, Schedule::kMaxEvents);
  EXPECT_EQ(make_schedule(1, 0, &s), 0);
}

TEST(Schedule, TruthAtReportsFaultAndDriftIndependently) {
  Schedule s;
  s.duration_s = 1000;
  s.add({EventType::kDrift, 100, 500, 0.8f});
  s.add({EventType::kBearing, 200, 50, 0.6f});
  s.add({EventType::kLooseness, 700, 10, 0.9f});
  s.sort();
  EXPECT_EQ(truth_at(s, 50).fault, EventType::kNone);
  EXPECT_FALSE(truth_at(s, 50).drift);
  EXPECT_TRUE(truth_at(s, 100).drift);
  const Truth both = truth_at(s, 210);
  EXPECT_EQ(both.fault, EventType::kBearing);
  EXPECT_FLOAT_EQ(both.fault_severity, 0.6f);
  EXPECT_TRUE(both.drift);
  EXPECT_FLOAT_EQ(both.drift_severity, 0.8f);
  EXPECT_EQ(truth_at(s, 250).fault, EventType::kNone);  // end is exclusive
  EXPECT_FALSE(truth_at(s, 600).drift);
  EXPECT_EQ(truth_at(s, 705).fault, EventType::kLooseness);
  EXPECT_EQ(truth_at(s, 705).fault_index, 2);
}

}  // namespace
}  // namespace edgeinfer::vibration
