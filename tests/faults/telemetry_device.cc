// The device process of the telemetry fault tests: publishes messages i = START..COUNT-1 through a
// TelemetryClient with a queue directory (every ALERT_EVERY-th an alert, the rest telemetry), then waits
// until everything is acknowledged and prints its statistics as one JSON line.
//
// The index of the next message is kept in PROGRESS (written after publish returns), so a process killed
// with -9 and started again continues where it stopped; a kill between publish and the progress write
// publishes that index once more, under a new seq (the receiver sees the index twice, never a seq twice).
//
//   edgeinfer_telemetry_device PORT DEVICE QUEUE_DIR PROGRESS COUNT INTERVAL_US MAX_MESSAGES ALERT_EVERY
// Exit: 0 all acknowledged, 2 flush timed out, 1 bad arguments or option errors (message on stderr).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "platform/linux/telemetry_client.h"

int main(int argc, char** argv) {
  using namespace edgeinfer::platform;
  if (argc != 9) {
    std::fprintf(stderr,
                 "usage: %s PORT DEVICE QUEUE_DIR PROGRESS COUNT INTERVAL_US MAX_MESSAGES ALERT_EVERY\n",
                 argv[0]);
    return 1;
  }
  const std::string progress = argv[4];
  const long count = std::atol(argv[5]);
  const long interval_us = std::atol(argv[6]);
  const long alert_every = std::atol(argv[8]);
  long start = 0;
  std::ifstream(progress) >> start;
  try {
    TelemetryOptions options;
    options.port = std::atoi(argv[1]);
    options.device_id = argv[2];
    options.queue_dir = argv[3];
    options.queue_limits.max_messages = static_cast<size_t>(std::atol(argv[7]));
    options.reconnect_min_ms = 100;
    options.reconnect_max_ms = 800;
    options.keepalive_s = 5;
    TelemetryClient client(options);
    std::vector<long> publish_us;  // how long each publish_*() held the caller (append + hand-over)
    for (long i = start; i < count; ++i) {
      const nlohmann::json fields = {{"i", i}};
      const auto t0 = std::chrono::steady_clock::now();
      if (alert_every > 0 && i % alert_every == alert_every - 1) {
        client.publish_alert(fields);
      } else {
        client.publish_telemetry(fields);
      }
      publish_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
              .count());
      { std::ofstream(progress + ".tmp", std::ios::trunc) << (i + 1); }
      std::rename((progress + ".tmp").c_str(), progress.c_str());
      if (interval_us > 0) ::usleep(static_cast<useconds_t>(interval_us));
    }
    const bool flushed = client.flush(std::chrono::seconds(30));
    const TelemetryStats s = client.stats();
    std::sort(publish_us.begin(), publish_us.end());
    const long p50 = publish_us.empty() ? 0 : publish_us[publish_us.size() / 2];
    const long p99 = publish_us.empty() ? 0 : publish_us[publish_us.size() * 99 / 100];
    const long max = publish_us.empty() ? 0 : publish_us.back();
    std::printf(
        "{\"enqueued\":%llu,\"acknowledged\":%llu,\"resent\":%llu,\"dropped\":%llu,\"queued_now\":%llu,"
        "\"queue_bytes\":%llu,\"connects\":%llu,\"publish_us_p50\":%ld,\"publish_us_p99\":%ld,"
        "\"publish_us_max\":%ld}\n",
        (unsigned long long)s.enqueued, (unsigned long long)s.acknowledged, (unsigned long long)s.resent,
        (unsigned long long)s.dropped, (unsigned long long)s.queued_now, (unsigned long long)s.queue_bytes,
        (unsigned long long)s.connects, p50, p99, max);
    std::fflush(stdout);
    return flushed ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
