// Telemetry soak (not CI; scripts/telemetry_soak.sh and scripts/flagship_soak.sh run it): a device process
// streams messages through its on-disk queue while a real mosquitto is killed every RESTART_EVERY_MS (every
// other time after hanging for 300 ms) and restarted after OUTAGE_MS. Prints sent / received / lost /
// duplicates and the largest disk use of the queue directory seen (sampled every 20 ms). Exit 0 when
// nothing was lost.
//
//   edgeinfer_telemetry_soak DEVICE_BIN WORK_DIR COUNT INTERVAL_US RESTART_EVERY_MS OUTAGE_MS MAX_MESSAGES
//     the synthetic device (telemetry_device.cc): COUNT messages, one every INTERVAL_US.
//   edgeinfer_telemetry_soak --demo EDGEINFER_BIN WORK_DIR RESTART_EVERY_MS OUTAGE_MS DEMO_ARGS...
//     the flagship: `edgeinfer demo vibration --json --broker 127.0.0.1:PORT --device soak --queue
//     WORK_DIR/queue DEMO_ARGS...`; the count sent is its "messages_upstream".
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "platform/linux/mosquitto_broker.h"
#include "platform/linux/telemetry_receiver.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using edgeinfer::platform::TelemetryReceiver;

static uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::error_code size_ec;
    const auto size = e.file_size(size_ec);
    if (!size_ec) total += size;
  }
  return total;
}

int main(int argc, char** argv) {
  const bool demo = argc >= 2 && std::string(argv[1]) == "--demo";
  if ((!demo && argc != 8) || (demo && argc < 6)) {
    std::fprintf(stderr,
                 "usage: %s DEVICE_BIN WORK_DIR COUNT INTERVAL_US RESTART_EVERY_MS OUTAGE_MS MAX_MESSAGES\n"
                 "       %s --demo EDGEINFER_BIN WORK_DIR RESTART_EVERY_MS OUTAGE_MS DEMO_ARGS...\n",
                 argv[0], argv[0]);
    return 1;
  }
  char** const args = demo ? argv + 1 : argv;  // the demo form has one argument less before the restarts
  const std::string device_bin = args[1], work = args[2];
  long count = demo ? 0 : std::atol(args[3]);
  const auto restart_every = std::chrono::milliseconds(std::atol(demo ? args[3] : args[5]));
  const auto outage = std::chrono::milliseconds(std::atol(demo ? args[4] : args[6]));
  fs::remove_all(work);
  fs::create_directories(work);
  if (edgeinfer::platform::MosquittoBroker::binary().empty()) {
    std::fprintf(stderr, "mosquitto not installed (scripts/setup.sh installs it)\n");
    return 1;
  }
  edgeinfer::platform::MosquittoBroker broker(work);
  TelemetryReceiver receiver({.port = broker.port(), .device = "soak"});
  if (!receiver.wait_subscribed(0, 5s)) return 1;

  const std::string port = std::to_string(broker.port()), queue = work + "/queue",
                    progress = work + "/progress";
  std::vector<std::string> device_argv;
  if (demo) {
    device_argv = {device_bin,          "demo",     "vibration", "--json",  "--broker",
                   "127.0.0.1:" + port, "--device", "soak",      "--queue", queue};
    for (int i = 6; i < argc; ++i) device_argv.push_back(argv[i]);
  } else {
    device_argv = {device_bin, port, "soak", queue, progress, argv[3], argv[4], argv[7], "10"};
  }
  const pid_t device = ::fork();
  if (device == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open((work + "/device.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    const std::string port = std::to_string(broker.port()), queue = work + "/queue",
                      progress = work + "/progress";
    std::vector<char*> exec_argv;
    for (auto& a : device_argv) exec_argv.push_back(a.data());
    exec_argv.push_back(nullptr);
    ::execv(device_bin.c_str(), exec_argv.data());
    ::_exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  auto next_restart = start + restart_every;
  uint64_t max_queue_bytes = 0;
  int restarts = 0, status = 0;
  while (::waitpid(device, &status, WNOHANG) == 0) {
    max_queue_bytes = std::max(max_queue_bytes, dir_bytes(work + "/queue"));
    if (std::chrono::steady_clock::now() >= next_restart) {
      if (restarts % 2 == 1) {
        broker.freeze();
        std::this_thread::sleep_for(300ms);
      }
      broker.kill();
      const auto outage_end = std::chrono::steady_clock::now() + outage;
      while (std::chrono::steady_clock::now() < outage_end) {
        max_queue_bytes = std::max(max_queue_bytes, dir_bytes(work + "/queue"));
        std::this_thread::sleep_for(20ms);
      }
      // The broker has no persistence: hold the device until the receiver has subscribed again (QoS 1 ends
      // at the broker; see telemetry_receiver.h).
      ::kill(device, SIGSTOP);
      const uint64_t subs = receiver.subscriptions();
      broker.start();
      receiver.wait_subscribed(subs, 10s);
      ::kill(device, SIGCONT);
      ++restarts;
      next_restart = std::chrono::steady_clock::now() + restart_every;
      std::printf("restart %d at %.1f s: received %llu\n", restarts,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                  (unsigned long long)receiver.stats("soak").received);
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(20ms);
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream out(work + "/device.out");
  std::string device_stats((std::istreambuf_iterator<char>(out)), {});
  if (demo) {  // the demo's JSON: what it sent, and its verdict on the scenario
    try {
      const auto j = nlohmann::json::parse(device_stats);
      count = j.at("messages_upstream").get<long>();
      nlohmann::json summary = {{"faults_detected", 0},
                                {"false_alarms_per_hour", j["false_alarms_per_hour"]},
                                {"drift_reported", j["drift_reported"]},
                                {"upstream", j["upstream"]}};
      int detected = 0;
      for (const auto& f : j["faults"]) detected += !f["delay_s"].is_null();
      summary["faults_detected"] = std::to_string(detected) + "/" + std::to_string(j["faults"].size());
      device_stats = summary.dump() + "\n";
    } catch (const std::exception& e) {
      std::fprintf(stderr, "the demo's output is not its JSON report (%s): %s\n", e.what(),
                   device_stats.substr(0, 400).c_str());
      return 2;
    }
  }
  receiver.wait_received("soak", static_cast<uint64_t>(count), 10s);
  const auto r = receiver.stats("soak");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "soak: %.0f s, %d broker restarts, sent %ld, received %llu, lost %llu, duplicates %llu, reused seqs "
      "%llu, "
      "max queue disk use %llu bytes, device exit %d, device %s",
      seconds, restarts, count, (unsigned long long)r.received, (unsigned long long)r.lost,
      (unsigned long long)r.duplicates, (unsigned long long)r.conflicts, (unsigned long long)max_queue_bytes,
      code, device_stats.c_str());
  return code == 0 && r.lost == 0 && r.conflicts == 0 && r.received == static_cast<uint64_t>(count) ? 0 : 2;
}
