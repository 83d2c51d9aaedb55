// What the robustness tests share to run untrusted cases: settings from the environment, a deterministic
// generator, and naming the case in flight when it crashes (sanitizer report, fatal signal) or hangs.
// One instance per process: gtest runs the tests of the robustness binary one after another.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace edgeinfer::robustness {

// A positive integer from the environment, else `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  const long parsed = std::strtol(value, nullptr, 10);
  return parsed > 0 && parsed < (1 << 30) ? static_cast<int>(parsed) : fallback;
}

// EDGEINFER_ROBUSTNESS_SEED, mixed into every generator's seed (0 when unset).
inline uint64_t base_seed() {
  const char* value = std::getenv("EDGEINFER_ROBUSTNESS_SEED");
  return value && *value ? std::strtoull(value, nullptr, 10) : 0;
}

// splitmix64: our own generator, because std:: distributions differ between standard libraries.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  uint8_t byte() { return static_cast<uint8_t>(next() >> 56); }

 private:
  uint64_t state_;
};

// A seed from a name, so each test's cases stay the same when others are added.
inline uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001B3ull;
  return hash;
}

// Async-signal-safe.
inline void write_stderr(const char* text) {
  ssize_t ignored = write(2, text, strlen(text));
  (void)ignored;
}

// The case in flight, for the crash reporter and the watchdog (async-signal-safe access only).
struct CaseInFlight {
  char description[512] = {};
  const uint8_t* bytes = nullptr;  // the case's input, for reporters that save it
  size_t size = 0;
  std::atomic<uint64_t> serial{0};
  std::atomic<bool> active{false};
};
inline CaseInFlight g_case;

// The reporter of the test running now (install_crash_reporter); async-signal-safe.
inline void (*g_report_case)() = nullptr;

inline void report_case() {
  if (g_report_case != nullptr) g_report_case();
}

inline void on_fatal_signal(int signal_number) {
  report_case();
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

// Makes `report` name the case in flight when the process dies: AddressSanitizer through its death
// callback, UBSan (abort_on_error) and escaping exceptions through SIGABRT, and without sanitizers the crash
// signals directly. Each test installs its own reporter; the handlers are set once per process.
inline void install_crash_reporter(void (*report)()) {
  g_report_case = report;
  static bool installed = false;
  if (installed) return;
  installed = true;
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(report_case);
  signal(SIGABRT, on_fatal_signal);
  if (__sanitizer_set_death_callback == nullptr)
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(s, on_fatal_signal);
}

// Aborts, naming the case, when one `what` case runs longer than EDGEINFER_CASE_TIMEOUT seconds.
class Watchdog {
 public:
  explicit Watchdog(const char* what) : what_(what), thread_([this] { run(); }) {}
  ~Watchdog() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    const int timeout = env_int("EDGEINFER_CASE_TIMEOUT", 60);
    uint64_t serial = g_case.serial.load();
    int still = 0;
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      const uint64_t now = g_case.serial.load();
      still = (now == serial && g_case.active.load()) ? still + 1 : 0;
      serial = now;
      if (still >= timeout * 4) {
        write_stderr("\n*** HANG: a ");
        write_stderr(what_);
        write_stderr(" case ran longer than EDGEINFER_CASE_TIMEOUT seconds");
        report_case();
        std::abort();
      }
    }
  }
  const char* what_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace edgeinfer::robustness
