// Telemetry soak (not CI; scripts/telemetry_soak.sh runs it): a device process streams COUNT messages
// through its on-disk queue while a real mosquitto is killed every RESTART_EVERY_MS (every other time after
// hanging for 300 ms) and restarted after OUTAGE_MS. Prints sent / received / lost / duplicates and the
// largest disk use of the queue directory seen (sampled every 20 ms). Exit 0 when nothing was lost.
//
//   edgeinfer_telemetry_soak DEVICE_BIN WORK_DIR COUNT INTERVAL_US RESTART_EVERY_MS OUTAGE_MS MAX_MESSAGES
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
#include <string>
#include <thread>

#include "platform/linux/telemetry_receiver.h"
#include "platform/linux/mosquitto_broker.h"

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
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: %s DEVICE_BIN WORK_DIR COUNT INTERVAL_US RESTART_EVERY_MS OUTAGE_MS MAX_MESSAGES\n",
                 argv[0]);
    return 1;
  }
  const std::string device_bin = argv[1], work = argv[2];
  const long count = std::atol(argv[3]);
  const auto restart_every = std::chrono::milliseconds(std::atol(argv[5]));
  const auto outage = std::chrono::milliseconds(std::atol(argv[6]));
  fs::remove_all(work);
  fs::create_directories(work);
  if (edgeinfer::platform::MosquittoBroker::binary().empty()) {
    std::fprintf(stderr, "mosquitto not installed (scripts/setup.sh installs it)\n");
    return 1;
  }
  edgeinfer::platform::MosquittoBroker broker(work);
  TelemetryReceiver receiver({.port = broker.port(), .device = "soak"});
  if (!receiver.wait_subscribed(0, 5s)) return 1;

  const pid_t device = ::fork();
  if (device == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open((work + "/device.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    const std::string port = std::to_string(broker.port()), queue = work + "/queue",
                      progress = work + "/progress";
    ::execl(device_bin.c_str(), device_bin.c_str(), port.c_str(), "soak", queue.c_str(), progress.c_str(),
            argv[3], argv[4], argv[7], "10", static_cast<char*>(nullptr));
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
  receiver.wait_received("soak", static_cast<uint64_t>(count), 10s);
  const auto r = receiver.stats("soak");
  std::ifstream out(work + "/device.out");
  std::string device_stats((std::istreambuf_iterator<char>(out)), {});
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
