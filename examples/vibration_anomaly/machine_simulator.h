// A rotating machine seen by a 3-axis accelerometer (x: radial horizontal, y: radial vertical, z: axial),
// with faults injected on a seeded schedule and slow drift episodes that are not faults. The input of the
// vibration-anomaly flagship; README.md in this directory gives the model, its formulas and defaults.
//
// Freestanding C++17 (no heap, no exceptions, no libm call except sqrt) so the same code can feed a firmware
// test on a Cortex-M4. Samples are a pure function of (config, schedule, seed): the only arithmetic is IEEE
// single/double add, multiply, divide and sqrt plus our own polynomials for sin/cos/log/exp, so two builds
// without FMA contraction (-ffp-contract=off, as the core is built) give identical samples on x86-64 and on
// the M4. With contraction allowed (e.g. VFMA on the M4's FPv4) host and M4 may differ in the last bits.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace edgeinfer::vibration {

// ---- Deterministic math --------------------------------------------------------------------------------
namespace simmath {

constexpr float kTwoPi = 6.28318530717958647692f;

// Rounds to the nearest integer by conversion (no libm floor/round); |x| < 2^30.
inline float round_to_int(float x) {
  const float half = x >= 0 ? 0.5f : -0.5f;
  return static_cast<float>(static_cast<int32_t>(x + half));
}

// sin(2*pi*p) for p in cycles: reduced to [-1/4, 1/4] cycle, then the Taylor series to x^11 (series error
// < 6e-8; with float rounding of the reduction, |error| < 4e-7 for |p| <= 1).
inline float sin_cycles(float p) {
  float r = p - round_to_int(p);  // [-0.5, 0.5]
  // Fold to [-1/4, 1/4] (sin(pi - x) = sin x) without a compare-and-select, which GCC would not vectorize
  // under the default -ftrapping-math.
  r = std::copysign(0.25f - std::fabs(0.25f - std::fabs(r)), r);
  const float x = kTwoPi * r;
  const float x2 = x * x;
  return x * (1.0f +
              x2 * (-1.0f / 6 + x2 * (1.0f / 120 +
                                      x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 + x2 * (-1.0f / 39916800))))));
}
inline float cos_cycles(float p) {
  return sin_cycles(p - round_to_int(p) + 0.25f);
}

// Natural log of a positive normal float: x = 2^e m with m in [sqrt(1/2), sqrt(2)) by integer arithmetic on
// the bits (offsetting by the bits of sqrt(1/2) moves the exponent boundary there), then ln m by atanh.
inline float log_positive(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x3f800000u - 0x3f3504f3u;
  const int e = static_cast<int>(bits >> 23) - 127;
  bits = (bits & 0x7fffffu) + 0x3f3504f3u;
  float m;
  std::memcpy(&m, &bits, sizeof m);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  const float ln_m =
      2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9)))));
  return ln_m + static_cast<float>(e) * 0.693147181f;
}

// sqrt of a non-negative float by three Newton steps from a bit-level first guess (relative error < 1e-7;
// 0 and -0 give about 1e-20):
// only IEEE add/multiply/divide, so no libm call and no errno branch (which blocks vectorization).
inline float sqrt_nonneg(float a) {
  uint32_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  bits = 0x1fbd1df5u + ((bits & 0x7fffffffu) >> 1);  // -0 (from -2 log 1) must not look huge
  float x;
  std::memcpy(&x, &bits, sizeof x);
  x = 0.5f * (x + a / x);
  x = 0.5f * (x + a / x);
  x = 0.5f * (x + a / x);
  return x;
}

// exp(x) in double for configuration-time constants: Taylor on x / 2^k (|x / 2^k| <= 1/2), then squaring.
inline double exp_double(double x) {
  int k = 0;
  while ((x > 0.5 || x < -0.5) && k < 30) {
    x *= 0.5;
    ++k;
  }
  double term = 1.0, sum = 1.0;
  for (int n = 1; n <= 16; ++n) {
    term *= x / n;
    sum += term;
  }
  while (k-- > 0) sum *= sum;
  return sum;
}

}  // namespace simmath

// ---- PRNG: PCG32 (O'Neill's XSH-RR 64/32), Box-Muller normals ------------------------------------------
class Pcg32 {
 public:
  explicit Pcg32(uint64_t seed = 0, uint64_t stream = 0) { this->seed(seed, stream); }
  void seed(uint64_t seed, uint64_t stream) {
    inc_ = (stream << 1) | 1u;
    state_ = 0;
    next();
    state_ += seed;
    next();
    has_spare_ = false;
  }
  uint32_t next() {
    const uint64_t old = state_;
    state_ = old * 6364136223846793005ull + inc_;
    const uint32_t xorshifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
    const uint32_t rot = static_cast<uint32_t>(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
  }
  // [0, 1) with 24 bits.
  float uniform() { return static_cast<float>(next() >> 8) * (1.0f / 16777216.0f); }
  // [-1, 1).
  float symmetric() { return static_cast<float>(next() >> 8) * (2.0f / 16777216.0f) - 1.0f; }
  // [0, 1) with 53 bits (two draws, sequenced).
  double uniform_double() {
    const uint64_t hi = next() >> 5;
    const uint64_t lo = next() >> 6;
    return static_cast<double>((hi << 26) | lo) * (1.0 / 9007199254740992.0);
  }
  double uniform_double(double lo, double hi) { return lo + (hi - lo) * uniform_double(); }
  // [0, n) without modulo bias (rejection).
  uint32_t below(uint32_t n) {
    const uint32_t limit = static_cast<uint32_t>(-n) % n;
    for (;;) {
      const uint32_t r = next();
      if (r >= limit) return r % n;
    }
  }
  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const float u1 = static_cast<float>(static_cast<int32_t>((next() >> 8) + 1)) * (1.0f / 16777216.0f);
    const float u2 = uniform();
    const float r = simmath::sqrt_nonneg(-2.0f * simmath::log_positive(u1));
    spare_ = r * simmath::sin_cycles(u2);
    has_spare_ = true;
    return r * simmath::cos_cycles(u2);
  }

 private:
  uint64_t state_ = 0;
  uint64_t inc_ = 1;
  float spare_ = 0;
  bool has_spare_ = false;
};

// Fills out[0..n) (n even) with standard normals from `rng`: the draws first (serial), then Box-Muller over
// the whole batch, a loop the compiler can vectorize. Same values as any other way of computing the formula.
inline void fill_normals(Pcg32& rng, uint32_t* scratch, float* out, int n) {
  for (int i = 0; i < n; ++i) scratch[i] = rng.next();
  for (int i = 0; i < n; i += 2) {
    // Through int32: unsigned-to-float conversion is a branch on x86.
    const float u1 = static_cast<float>(static_cast<int32_t>((scratch[i] >> 8) + 1)) * (1.0f / 16777216.0f);
    const float u2 = static_cast<float>(static_cast<int32_t>(scratch[i + 1] >> 8)) * (1.0f / 16777216.0f);
    const float r = simmath::sqrt_nonneg(-2.0f * simmath::log_positive(u1));
    out[i] = r * simmath::cos_cycles(u2);
    out[i + 1] = r * simmath::sin_cycles(u2);
  }
}

// ---- Schedule and ground truth -------------------------------------------------------------------------
enum class EventType : uint8_t { kNone = 0, kImbalance, kMisalignment, kBearing, kLooseness, kDrift };
constexpr int kFaultTypeCount = 4;  // kImbalance..kLooseness
constexpr EventType kFaultTypes[kFaultTypeCount] = {EventType::kImbalance, EventType::kMisalignment,
                                                    EventType::kBearing, EventType::kLooseness};
inline bool is_fault(EventType t) {
  return t >= EventType::kImbalance && t <= EventType::kLooseness;
}
inline const char* event_type_name(EventType t) {
  switch (t) {
    case EventType::kNone: return "none";
    case EventType::kImbalance: return "imbalance";
    case EventType::kMisalignment: return "misalignment";
    case EventType::kBearing: return "bearing";
    case EventType::kLooseness: return "looseness";
    case EventType::kDrift: return "drift";
  }
  return "?";
}

struct Event {
  EventType type = EventType::kNone;
  double start_s = 0;
  double duration_s = 0;
  float severity = 0;  // 0..1 for faults and drift
  double end_s() const { return start_s + duration_s; }
  bool contains(double t) const { return t >= start_s && t < start_s + duration_s; }
};

// A fixed-capacity list of events sorted by start time (what the simulator expects). 256 events hold two
// weeks at the default density; make_schedule() stops adding before the capacity.
struct Schedule {
  static constexpr int kMaxEvents = 256;
  Event events[kMaxEvents];
  int count = 0;
  double duration_s = 0;  // the run the schedule was made for

  bool add(const Event& e) {
    if (count >= kMaxEvents) return false;
    events[count++] = e;
    return true;
  }
  // Insertion sort by start time (stable; no heap).
  void sort() {
    for (int i = 1; i < count; ++i) {
      const Event e = events[i];
      int j = i - 1;
      while (j >= 0 && events[j].start_s > e.start_s) {
        events[j + 1] = events[j];
        --j;
      }
      events[j + 1] = e;
    }
  }
};

// Ground truth at one instant: the fault event active then (faults never overlap in a made schedule) and
// whether a drift episode is under way (drift may overlap faults: they are independent processes).
struct Truth {
  EventType fault = EventType::kNone;
  float fault_severity = 0;
  int fault_index = -1;  // into Schedule::events
  bool drift = false;
  float drift_severity = 0;
  int drift_index = -1;
};

inline Truth truth_at(const Schedule& schedule, double t_s) {
  Truth truth;
  for (int i = 0; i < schedule.count; ++i) {
    const Event& e = schedule.events[i];
    if (e.start_s > t_s) break;  // sorted
    if (!e.contains(t_s)) continue;
    if (is_fault(e.type) && truth.fault_index < 0) {
      truth.fault = e.type;
      truth.fault_severity = e.severity;
      truth.fault_index = i;
    } else if (e.type == EventType::kDrift && truth.drift_index < 0) {
      truth.drift = true;
      truth.drift_severity = e.severity;
      truth.drift_index = i;
    }
  }
  return truth;
}

struct ScheduleConfig {
  int faults_per_type_per_day = 4;  // rounded to the run's length, at least one of each when they fit
  double fault_min_s = 120, fault_max_s = 480;
  float severity_min = 0.5f, severity_max = 1.0f;
  double lead_s = 1800;    // healthy start (baseline capture); at most 20% of the run
  double min_gap_s = 600;  // healthy time after every fault
  int drifts_per_day_min = 1, drifts_per_day_max = 2;
  double drift_min_s = 2 * 3600.0, drift_max_s = 4 * 3600.0;  // capped at 80% of a drift's slot
  float drift_severity_min = 0.6f, drift_severity_max = 1.0f;
};

// Fills `out` with a seeded schedule for `hours`: the faults, balanced over the four types in shuffled
// rounds, each in its own equal slot of [lead, end) at a random offset, so they never overlap and each is
// followed by at least min_gap_s of healthy time; the drift episodes likewise in their own slots (drift may
// overlap faults). Returns the number of events.
inline int make_schedule(uint64_t seed, double hours, Schedule* out,
                         const ScheduleConfig& cfg = ScheduleConfig()) {
  out->count = 0;
  out->duration_s = hours > 0 ? hours * 3600.0 : 0.0;
  const double total = out->duration_s;
  const double lead = cfg.lead_s < 0.2 * total ? cfg.lead_s : 0.2 * total;
  const double usable = total - lead;
  if (usable <= 0) return 0;
  Pcg32 rng(seed, 0x5c4ed1e);
  const double days = total / 86400.0;

  // Faults: as many rounds as asked, fewer if the slots would be too short for the longest fault + gap.
  int rounds = static_cast<int>(cfg.faults_per_type_per_day * days + 0.5);
  if (rounds < 1) rounds = 1;
  int n_faults = rounds * kFaultTypeCount;
  const int fit = static_cast<int>(usable / (cfg.fault_max_s + cfg.min_gap_s));
  if (n_faults > fit) n_faults = fit;
  const int room = Schedule::kMaxEvents - static_cast<int>(cfg.drifts_per_day_max * days + 1.5);  // drifts
  if (n_faults > room) n_faults = room;
  if (n_faults > 0) {
    const double slot = usable / n_faults;
    EventType order[kFaultTypeCount];
    for (int i = 0; i < n_faults; ++i) {
      if (i % kFaultTypeCount == 0) {  // a new round: Fisher-Yates shuffle of the four types
        for (int k = 0; k < kFaultTypeCount; ++k) order[k] = kFaultTypes[k];
        for (int k = kFaultTypeCount - 1; k > 0; --k) {
          const uint32_t j = rng.below(static_cast<uint32_t>(k + 1));
          const EventType tmp = order[k];
          order[k] = order[j];
          order[j] = tmp;
        }
      }
      Event e;
      e.type = order[i % kFaultTypeCount];
      e.duration_s = rng.uniform_double(cfg.fault_min_s, cfg.fault_max_s);
      const double slot_start = lead + i * slot;
      e.start_s = slot_start + rng.uniform_double() * (slot - e.duration_s - cfg.min_gap_s);
      e.severity = static_cast<float>(rng.uniform_double(cfg.severity_min, cfg.severity_max));
      out->add(e);
    }
  }

  // Drift episodes: drifts_per_day_min..max per day (one day's draw), at least one, each at least 10 minutes.
  const int spread =
      cfg.drifts_per_day_max > cfg.drifts_per_day_min ? cfg.drifts_per_day_max - cfg.drifts_per_day_min : 0;
  const int per_day = cfg.drifts_per_day_min + static_cast<int>(rng.below(static_cast<uint32_t>(spread + 1)));
  int n_drifts = static_cast<int>(per_day * days + 0.5);
  if (n_drifts < 1) n_drifts = 1;
  const double drift_slot = usable / n_drifts;
  for (int i = 0; i < n_drifts; ++i) {
    Event e;
    e.type = EventType::kDrift;
    e.duration_s = rng.uniform_double(cfg.drift_min_s, cfg.drift_max_s);
    if (e.duration_s > 0.8 * drift_slot) e.duration_s = 0.8 * drift_slot;
    const double offset = rng.uniform_double() * (drift_slot - e.duration_s);
    e.severity = static_cast<float>(rng.uniform_double(cfg.drift_severity_min, cfg.drift_severity_max));
    if (e.duration_s < 600) break;
    e.start_s = lead + i * drift_slot + offset;
    if (!out->add(e)) break;
  }
  out->sort();
  return out->count;
}

// ---- The machine ---------------------------------------------------------------------------------------
struct MachineConfig {
  float sample_rate_hz = 1024;  // >= 2.5x the highest frequency generated (check_config)

  // Shaft speed: nominal + a slow sinusoidal swing + an Ornstein-Uhlenbeck walk, clamped to [min, max].
  float shaft_nominal_hz = 25, shaft_min_hz = 20, shaft_max_hz = 30;
  float speed_swing_hz = 1.5f, speed_swing_period_s = 900;
  float speed_walk_hz = 1.0f, speed_walk_tau_s = 300;  // stationary standard deviation, time constant
  // Load in [0, 1]: mean + an Ornstein-Uhlenbeck walk; harmonic amplitudes scale by (0.8 + 0.4 load).
  float load_mean = 0.5f, load_walk = 0.2f, load_tau_s = 600;

  // Healthy shaft harmonics 1x..4x per axis {x, y, z}, amplitude in g at nominal speed (scaled by
  // (f / nominal)^2: unbalance force grows with speed squared) and phase in cycles.
  float harmonic_g[4][3] = {
      {0.10f, 0.08f, 0.03f}, {0.03f, 0.025f, 0.02f}, {0.012f, 0.01f, 0.006f}, {0.006f, 0.005f, 0.004f}};
  float harmonic_phase[4][3] = {
      {0.0f, 0.23f, 0.61f}, {0.37f, 0.05f, 0.82f}, {0.14f, 0.66f, 0.29f}, {0.91f, 0.48f, 0.07f}};
  float noise_g[3] = {0.02f, 0.02f, 0.02f};  // white sensor noise, standard deviation
  float dc_g[3] = {0, 0, 0};                 // offsets (0: AC-coupled like an IEPE sensor)

  // Structural resonance (a damped 2nd-order mode), excited by broadband machine noise and bearing impacts.
  float resonance_hz = 350, resonance_damping = 0.2f;  // damping ratio zeta: impacts ring out in ~2 ms
  float resonance_floor_g = 0.015f;                    // healthy RMS of the mode on a gain-1 axis
  float resonance_axis_gain[3] = {1.0f, 0.7f, 0.3f};

  // Faults; effect = severity x ramp, the ramp rising over fault_ramp_s after onset (falling before the end).
  float fault_ramp_s = 1.0f;
  float imbalance_g = 0.4f;  // added to 1x on x, and 90 degrees later on y (a rotating force); 10% on z
  float misalignment_2x_g = 0.2f, misalignment_axial_g = 0.3f;  // 2x radial; 2x and 0.6x that at 1x axial
  float bearing_impulse_g = 0.5f;  // peak of one impact's ringing on a gain-1 axis
  int bearing_balls = 9;
  float bearing_d_over_D = 0.2f, bearing_contact_deg = 0;
  float bearing_jitter = 0.02f;  // +-2% uniform on each impact interval (rolling element slip)
  // Looseness: the loose part's motion u = cos(1x) + half_order cos(1/2x) is felt only beyond its clearance,
  // as max(u - clearance, 0): narrow truncated pulses, many harmonics of 1/2x (band-limited, DC removed).
  float looseness_g = 0.2f;  // RMS of that waveform on a gain-1 axis
  float looseness_clearance = 1.1f, looseness_half_order = 0.4f;
  float looseness_axis_gain[3] = {0.5f, 1.0f, 0.3f};

  // Drift (not a fault): at level d (0..1 over an episode, x severity), machine vibration x (1 + gain d)
  // and the resonance frequency x (1 + shift d) (warming softens the structure).
  float drift_level_gain = 0.5f, drift_resonance_shift = -0.08f;
  bool drift_persists = false;  // false: each episode rises and returns; true: it rises and stays
};

// BPFO = n/2 (1 - d/D cos(phi)) f_shaft.
inline float bpfo_order(const MachineConfig& c) {
  return 0.5f * static_cast<float>(c.bearing_balls) *
         (1.0f - c.bearing_d_over_D * simmath::cos_cycles(c.bearing_contact_deg / 360.0f));
}

// Null if the config is usable, else why not.
inline const char* check_config(const MachineConfig& c) {
  if (!(c.sample_rate_hz > 0)) return "sample rate must be positive";
  if (!(c.shaft_min_hz > 0 && c.shaft_min_hz <= c.shaft_nominal_hz && c.shaft_nominal_hz <= c.shaft_max_hz))
    return "shaft speeds must satisfy 0 < min <= nominal <= max";
  if (!(c.speed_walk_tau_s > 0 && c.load_tau_s > 0 && c.speed_swing_period_s > 0))
    return "time constants must be positive";
  if (!(c.resonance_damping > 0 && c.resonance_damping < 1)) return "resonance damping must be in (0, 1)";
  float highest = 4 * c.shaft_max_hz;
  const float shift = c.drift_resonance_shift > 0 ? c.drift_resonance_shift : 0;
  if (c.resonance_hz * (1 + shift) > highest) highest = c.resonance_hz * (1 + shift);
  if (c.sample_rate_hz < 2.5f * highest) return "sample rate below 2.5x the highest frequency generated";
  if (c.bearing_balls < 1 || !(c.bearing_d_over_D >= 0 && c.bearing_d_over_D < 1))
    return "bad bearing geometry";
  if (!(c.fault_ramp_s >= 0 && c.fault_ramp_s <= 2)) return "fault ramp must be within [0, 2] s";
  return nullptr;
}

// Streams interleaved x, y, z samples in g. The schedule must outlive the simulator and be sorted by start
// (null: no events).
// State (speed, load, fault effects, drift) is updated every kBlock frames; blocks count from frame 0, so the
// samples do not depend on how generate() calls are chunked.
class MachineSimulator {
 public:
  static constexpr int kBlock = 64;
  static constexpr int kMaxLooseOrders = 40;  // half-orders of the looseness waveform kept (band-limited)

  MachineSimulator(const MachineConfig& config, const Schedule* schedule, uint64_t seed)
      : cfg_(config),
        schedule_(schedule),
        noise_(seed, 1),
        slow_(seed, 2),
        kicks_(seed, 3),
        impact_(seed, 4) {
    error_ = check_config(cfg_);
    if (error_ != nullptr) return;
    fs_ = cfg_.sample_rate_hz;
    bpfo_order_ = bpfo_order(cfg_);
    for (int k = 0; k < 4; ++k)
      for (int a = 0; a < 3; ++a) {
        base_re_[k][a] = cfg_.harmonic_g[k][a] * simmath::cos_cycles(cfg_.harmonic_phase[k][a]);
        base_im_[k][a] = cfg_.harmonic_g[k][a] * simmath::sin_cycles(cfg_.harmonic_phase[k][a]);
      }
    init_looseness();
    const double dt = kBlock / static_cast<double>(fs_);
    speed_decay_ = dt < cfg_.speed_walk_tau_s ? 1.0 - dt / cfg_.speed_walk_tau_s : 0.0;
    load_decay_ = dt < cfg_.load_tau_s ? 1.0 - dt / cfg_.load_tau_s : 0.0;
    speed_kick_ = cfg_.speed_walk_hz * std::sqrt(1.0 - speed_decay_ * speed_decay_);
    load_kick_ = cfg_.load_walk * std::sqrt(1.0 - load_decay_ * load_decay_);
    speed_walk_ = cfg_.speed_walk_hz * slow_.normal();  // start from the stationary distribution
    load_walk_ = cfg_.load_walk * slow_.normal();
    swing_phase_ = slow_.uniform();
    bearing_next_ = 1.0f;
  }

  const char* error() const { return error_; }
  bool ok() const { return error_ == nullptr; }
  const MachineConfig& config() const { return cfg_; }

  // Writes frames x 3 floats (x, y, z interleaved) and advances time. A simulator with a bad config writes
  // zeros.
  void generate(float* xyz, int frames) {
    if (frames <= 0) return;
    if (error_ != nullptr) {
      for (int i = 0; i < 3 * frames; ++i) xyz[i] = 0;
      frame_ += frames;
      return;
    }
    while (frames > 0) {
      if (in_block_ == 0) begin_block();
      int n = kBlock - in_block_;
      if (n > frames) n = frames;
      run(xyz, n);
      xyz += 3 * n;
      frames -= n;
      frame_ += static_cast<uint64_t>(n);
      in_block_ = (in_block_ + n) % kBlock;
    }
  }

  uint64_t frames_generated() const { return frame_; }
  double time_s() const { return static_cast<double>(frame_) / fs_; }
  Truth truth() const { return schedule_ != nullptr ? truth_at(*schedule_, time_s()) : Truth(); }

  // State of the current block (after at least one generate()).
  float shaft_hz() const { return shaft_hz_; }
  float bpfo_hz() const { return bpfo_order_ * shaft_hz_; }
  float load() const { return load_; }
  float drift_level() const { return drift_; }
  float resonance_hz() const { return res_hz_; }
  float fault_effect(EventType t) const { return is_fault(t) ? effect_[static_cast<int>(t) - 1] : 0.0f; }

 private:
  // Fourier cosine coefficients (half-orders 1..K, DC dropped) of the truncated waveform
  // max(cos(2 th) + h cos(th) - clearance, 0) over one 1/2x cycle, scaled to unit RMS.
  void init_looseness() {
    constexpr int kPoints = 512;
    float energy = 0;
    for (int k = 1; k <= kMaxLooseOrders; ++k) {
      float acc = 0;
      for (int m = 0; m < kPoints; ++m) {
        const float th = static_cast<float>(m) / kPoints;
        float w = simmath::cos_cycles(2 * th) + cfg_.looseness_half_order * simmath::cos_cycles(th) -
                  cfg_.looseness_clearance;
        if (w < 0) w = 0;
        acc += w * simmath::cos_cycles(static_cast<float>((k * m) % kPoints) / kPoints);
      }
      loose_coef_[k - 1] = 2.0f * acc / kPoints;
      energy += 0.5f * loose_coef_[k - 1] * loose_coef_[k - 1];
    }
    const float scale = energy > 0 ? 1.0f / simmath::sqrt_nonneg(energy) : 0.0f;
    for (float& c : loose_coef_) c *= scale;
  }

  // Effect of one event at time t: severity x onset/offset ramp for faults, the drift shape for drift.
  float event_level(const Event& e, double t) const {
    if (e.type == EventType::kDrift) {
      if (t < e.start_s) return 0;
      const double u = (t - e.start_s) / e.duration_s;
      if (cfg_.drift_persists) {  // raised-cosine rise over the episode, then hold
        if (u >= 1) return e.severity;
        return e.severity * (0.5f - 0.5f * simmath::cos_cycles(static_cast<float>(0.5 * u)));
      }
      if (u >= 1) return 0;
      const float s = simmath::sin_cycles(static_cast<float>(0.5 * u));  // sin^2(pi u): 0 -> 1 -> 0
      return e.severity * s * s;
    }
    if (!e.contains(t)) return 0;
    float ramp = 1;
    if (cfg_.fault_ramp_s > 0) {
      const double up = (t - e.start_s) / cfg_.fault_ramp_s, down = (e.end_s() - t) / cfg_.fault_ramp_s;
      if (up < ramp) ramp = static_cast<float>(up);
      if (down < ramp) ramp = static_cast<float>(down);
    }
    return e.severity * ramp;
  }

  void begin_block() {
    const double t = static_cast<double>(frame_) / fs_;
    const double dt = kBlock / static_cast<double>(fs_);

    // Faults and drift from the schedule (sorted: stop at the first event that starts later).
    for (float& e : effect_) e = 0;
    drift_ = 0;
    const int events = schedule_ != nullptr ? schedule_->count : 0;  // null: a healthy machine
    for (int i = 0; i < events; ++i) {
      const Event& e = schedule_->events[i];
      if (e.start_s > t) break;
      const float level = event_level(e, t);
      if (is_fault(e.type)) effect_[static_cast<int>(e.type) - 1] += level;
      if (e.type == EventType::kDrift) drift_ += level;
    }

    // Slow processes: speed and load walks (exact-enough discretisation for dt << tau).
    if (frame_ > 0) {
      speed_walk_ = speed_decay_ * speed_walk_ + speed_kick_ * slow_.normal();
      load_walk_ = load_decay_ * load_walk_ + load_kick_ * slow_.normal();
      swing_phase_ += static_cast<float>(dt / cfg_.speed_swing_period_s);
      if (swing_phase_ >= 1) swing_phase_ -= 1;
    }
    float f = cfg_.shaft_nominal_hz + cfg_.speed_swing_hz * simmath::sin_cycles(swing_phase_) +
              static_cast<float>(speed_walk_);
    if (f < cfg_.shaft_min_hz) f = cfg_.shaft_min_hz;
    if (f > cfg_.shaft_max_hz) f = cfg_.shaft_max_hz;
    shaft_hz_ = f;
    float load = cfg_.load_mean + static_cast<float>(load_walk_);
    load_ = load < 0 ? 0 : (load > 1 ? 1 : load);

    // Harmonic coefficients: value = sum_k re[k] cos(k th) - im[k] sin(k th), th the 1x phase.
    const float ratio = f / cfg_.shaft_nominal_hz;
    const float gain = 1 + cfg_.drift_level_gain * drift_;
    const float scale = ratio * ratio * (0.8f + 0.4f * load_) * gain;
    for (int k = 0; k < 4; ++k)
      for (int a = 0; a < 3; ++a) {
        re_[k][a] = base_re_[k][a] * scale;
        im_[k][a] = base_im_[k][a] * scale;
      }
    const float imb = effect_[0] * cfg_.imbalance_g * ratio * ratio * gain;
    if (imb > 0) {  // rotating force: y lags x by a quarter turn
      re_[0][0] += imb;
      im_[0][1] -= imb;
      re_[0][2] += 0.1f * imb;
    }
    const float mis = effect_[1] * gain;
    if (mis > 0) {
      re_[1][0] += mis * cfg_.misalignment_2x_g;
      re_[1][1] += mis * cfg_.misalignment_2x_g * 0.8f;
      im_[1][2] += mis * cfg_.misalignment_axial_g;
      re_[0][2] += mis * cfg_.misalignment_axial_g * 0.6f;
    }
    for (int k = 0; k < 4; ++k)
      for (int a = 0; a < 3; ++a) im_[k][a] = -im_[k][a];  // sign folded in for the sample loop

    // Looseness: half-orders up to fs / 2.5 at this speed.
    loose_amp_ = effect_[3] * cfg_.looseness_g * gain;
    loose_orders_ = static_cast<int>((fs_ / 2.5f) / (0.5f * f));
    if (loose_orders_ > kMaxLooseOrders) loose_orders_ = kMaxLooseOrders;

    // Resonance: pole rho e^{i w}, healthy kicks scaled for the floor RMS, bearing impacts.
    res_hz_ = cfg_.resonance_hz * (1 + cfg_.drift_resonance_shift * drift_);
    const double rho = simmath::exp_double(-cfg_.resonance_damping * 6.283185307179586 * res_hz_ / fs_);
    const float w = res_hz_ / fs_;
    res_c_ = static_cast<float>(rho) * simmath::cos_cycles(w);
    res_s_ = static_cast<float>(rho) * simmath::sin_cycles(w);
    // Uniform kicks on both parts, variance 1/3 each; imag part's stationary variance = s^2/3 / (1 - rho^2).
    res_kick_ = cfg_.resonance_floor_g * gain * static_cast<float>(std::sqrt(3.0 * (1.0 - rho * rho)));
    // A kick k rings as k rho^n sin(2 pi n w): divide by its largest sample so an impact peaks at
    // bearing_impulse_g.
    float ring_peak = 0;
    float decay = 1;
    for (int n = 1; n <= 16; ++n) {
      decay *= static_cast<float>(rho);
      const float v = decay * std::fabs(simmath::sin_cycles(static_cast<float>(n) * w));
      ring_peak = v > ring_peak ? v : ring_peak;
    }
    bearing_amp_ = effect_[2] * cfg_.bearing_impulse_g * gain / ring_peak;
    bearing_step_ = bpfo_order_ * f / fs_;

    // Random numbers of the block, in batches.
    fill_normals(noise_, scratch_, noise_buf_, 3 * kBlock);
    for (int i = 0; i < 2 * kBlock; ++i) scratch_[i] = kicks_.next();
    for (int i = 0; i < 2 * kBlock; ++i)
      kick_buf_[i] =
          res_kick_ *
          (static_cast<float>(static_cast<int32_t>(scratch_[i] >> 8)) * (2.0f / 16777216.0f) - 1.0f);

    // 1/2x phasor resynchronised from the double-precision phase; its rotation step for this block.
    const float half_step = 0.5f * f / fs_;
    ch_ = simmath::cos_cycles(static_cast<float>(half_phase_));
    sh_ = simmath::sin_cycles(static_cast<float>(half_phase_));
    rc_ = simmath::cos_cycles(half_step);
    rs_ = simmath::sin_cycles(half_step);
    half_phase_ += static_cast<double>(half_step) * kBlock;
    while (half_phase_ >= 1) half_phase_ -= 1;
  }

  void run(float* out, int n) {
    const float* noise = noise_buf_ + 3 * in_block_;
    const float* kick = kick_buf_ + 2 * in_block_;
    for (int i = 0; i < n; ++i, out += 3, noise += 3, kick += 2) {
      const float c1 = ch_ * ch_ - sh_ * sh_, s1 = 2 * ch_ * sh_;
      const float c2 = c1 * c1 - s1 * s1, s2 = 2 * c1 * s1;
      const float c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
      const float c4 = c2 * c2 - s2 * s2, s4 = 2 * c2 * s2;

      // Structural mode: kicks, then rotate; its imaginary part is the response.
      float kr = kick[0];
      const float ki = kick[1];
      bearing_acc_ += bearing_step_;
      if (bearing_acc_ >= bearing_next_) {
        bearing_acc_ -= bearing_next_;
        bearing_next_ = 1 + cfg_.bearing_jitter * impact_.symmetric();
        if (bearing_amp_ > 0) kr += bearing_amp_ * (1 + 0.2f * impact_.symmetric());
      }
      const float zr = zr_ + kr, zi = zi_ + ki;
      zr_ = zr * res_c_ - zi * res_s_;
      zi_ = zr * res_s_ + zi * res_c_;

      float loose = 0;
      if (loose_amp_ > 0) {  // Clenshaw: sum_k a_k cos(k th/2) from cos(th/2)
        float b1 = 0, b2 = 0;
        const float x2 = 2 * ch_;
        for (int k = loose_orders_ - 1; k >= 0; --k) {
          const float b0 = loose_coef_[k] + x2 * b1 - b2;
          b2 = b1;
          b1 = b0;
        }
        loose = loose_amp_ * (ch_ * b1 - b2);
      }

      for (int a = 0; a < 3; ++a) {
        const float h = re_[0][a] * c1 + im_[0][a] * s1 + re_[1][a] * c2 + im_[1][a] * s2 + re_[2][a] * c3 +
                        im_[2][a] * s3 + re_[3][a] * c4 + im_[3][a] * s4;
        out[a] = h + cfg_.resonance_axis_gain[a] * zi_ + cfg_.looseness_axis_gain[a] * loose +
                 cfg_.noise_g[a] * noise[a] + cfg_.dc_g[a];
      }

      const float ch = ch_ * rc_ - sh_ * rs_;
      sh_ = sh_ * rc_ + ch_ * rs_;
      ch_ = ch;
    }
  }

  MachineConfig cfg_;
  const Schedule* schedule_;
  const char* error_ = nullptr;
  Pcg32 noise_, slow_, kicks_,
      impact_;  // separate streams: sensor noise, slow processes, mode kicks, impacts
  float fs_ = 1;
  float bpfo_order_ = 0;
  float base_re_[4][3] = {}, base_im_[4][3] = {};
  float loose_coef_[kMaxLooseOrders] = {};

  uint64_t frame_ = 0;
  int in_block_ = 0;
  double speed_decay_ = 1, load_decay_ = 1, speed_kick_ = 0, load_kick_ = 0, speed_walk_ = 0, load_walk_ = 0;
  float swing_phase_ = 0;
  double half_phase_ = 0;  // 1/2x phase in cycles, [0, 1)

  // Per-block state.
  float effect_[kFaultTypeCount] = {};
  float drift_ = 0, shaft_hz_ = 0, load_ = 0, res_hz_ = 0;
  float re_[4][3] = {}, im_[4][3] = {};
  float loose_amp_ = 0;
  int loose_orders_ = 0;
  float res_c_ = 0, res_s_ = 0, res_kick_ = 0, bearing_amp_ = 0, bearing_step_ = 0;
  float ch_ = 1, sh_ = 0, rc_ = 1, rs_ = 0;

  uint32_t scratch_[3 * kBlock];
  float noise_buf_[3 * kBlock], kick_buf_[2 * kBlock];

  // Per-sample state.
  float zr_ = 0, zi_ = 0;
  float bearing_acc_ = 0, bearing_next_ = 1;
};

// FNV-1a over the bytes of `count` floats, continuing from `hash`: compares a host run with a target run.
constexpr uint64_t kChecksumStart = 1469598103934665603ull;
inline uint64_t checksum_update(uint64_t hash, const float* samples, int count) {
  for (int i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &samples[i], sizeof bits);
    for (int b = 0; b < 4; ++b)
      hash = (hash ^ ((bits >> (8 * b)) & 0xffu)) * 1099511628211ull;  // little-endian
  }
  return hash;
}

// The reference run host and target both compute: the default machine, make_schedule(seed, 24), `seconds`
// from time 0.
inline uint64_t reference_checksum(uint64_t seed, int seconds) {
  static Schedule schedule;  // 8 KiB: not on a microcontroller's stack (so not re-entrant)
  make_schedule(seed, 24, &schedule);
  MachineSimulator sim(MachineConfig(), &schedule, seed);
  float buffer[3 * 64];
  uint64_t hash = kChecksumStart;
  const long frames = static_cast<long>(seconds) * static_cast<long>(MachineConfig().sample_rate_hz);
  for (long done = 0; done < frames; done += 64) {
    const int n = frames - done < 64 ? static_cast<int>(frames - done) : 64;
    sim.generate(buffer, n);
    hash = checksum_update(hash, buffer, 3 * n);
  }
  return hash;
}

}  // namespace edgeinfer::vibration
