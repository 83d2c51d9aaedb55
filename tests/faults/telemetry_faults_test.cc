// Telemetry fault tests against a real mosquitto on a free loopback port (label `faults`): the broker killed
// and restarted during a stream, the device process killed with -9 and restarted, the queue bound reached
// during an outage. Each prints its figures (sent / received / lost / duplicated) as a "[ FIGURES  ]" line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "platform/linux/mosquitto_broker.h"
#include "platform/linux/telemetry_client.h"
#include "platform/linux/telemetry_receiver.h"
#include "platform/linux/test_dir.h"
#include "tests/faults/broker_test_support.h"

namespace edgeinfer::platform {
namespace {

using edgeinfer::platform::MosquittoBroker;
using namespace std::chrono_literals;
using edgeinfer::testing::eventually;

// The device helper as a child process; killed (SIGKILL) when the object goes, also on test failure.
class DeviceProcess {
 public:
  DeviceProcess(const std::vector<std::string>& args, const std::string& out_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) ::dup2(fd, 1);
      std::vector<char*> argv;
      std::string bin = EDGEINFER_TELEMETRY_DEVICE;
      argv.push_back(bin.data());
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~DeviceProcess() { signal(SIGKILL); }
  void signal(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    if (sig == SIGKILL) wait();
  }
  // Exit code, or -1 on timeout / signal.
  int wait(std::chrono::milliseconds timeout = 600s) {
    if (pid_ <= 0) return code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return code_;
  }

 private:
  pid_t pid_ = -1;
  int code_ = -1;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last JSON line a device helper printed.
nlohmann::json last_json_line(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return nlohmann::json::parse(last, nullptr, false);
}

std::string state_of(const DeviceSeqStats& s) {
  return s.last_status.is_object() ? s.last_status.value("state", "") : "";
}

std::vector<std::string> device_args(int port, const std::string& device, const TestDir& dir, long count,
                                     long interval_us, long max_messages = 100000) {
  return {std::to_string(port),
          device,
          dir / "queue",
          dir / "progress",
          std::to_string(count),
          std::to_string(interval_us),
          std::to_string(max_messages),
          "10"};
}

TEST(TelemetryClient, BadOptionsFailWithOneLine) {
  TestDir dir;
  auto message = [&](TelemetryOptions o) -> std::string {
    try {
      TelemetryClient::validate(o);
      TelemetryClient client(o);
      return "";
    } catch (const TelemetryError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return e.what();
    }
  };
  const TelemetryOptions good{.device_id = "dev-1", .queue_dir = dir / "q"};
  TelemetryOptions o = good;
  o.port = 70000;
  EXPECT_EQ(message(o), "broker port 70000 out of range 1..65535");
  o.port = 0;
  EXPECT_EQ(message(o), "broker port 0 out of range 1..65535");
  o = good;
  o.device_id = "a/b";
  EXPECT_EQ(message(o), "device id 'a/b' must be 1..64 characters of A-Z a-z 0-9 _ . -");
  o = good;
  o.device_id = "+";
  EXPECT_NE(message(o).find("device id '+'"), std::string::npos);
  o = good;
  o.queue_dir = "";
  EXPECT_EQ(message(o), "queue dir is required");
  o = good;
  std::ofstream(dir / "file") << "x";
  o.queue_dir = dir / "file/q";
  EXPECT_NE(message(o).find("telemetry queue: cannot create queue dir " + (dir / "file/q")),
            std::string::npos);
  o = good;
  o.keepalive_s = 2;
  EXPECT_EQ(message(o), "keepalive 2 s out of range 5..65535");
  o = good;
  o.tls_ca_file = dir / "missing-ca.pem";
  EXPECT_EQ(message(o), "TLS CA file " + (dir / "missing-ca.pem") + " is not readable");
  o = good;
  o.tls_cert_file = dir / "file";
  EXPECT_EQ(message(o), "TLS client certificate and key go together: give both or neither");
  // A good configuration constructs (no broker needed: it keeps trying in the background).
  EXPECT_EQ(message(good), "");
}

TEST(TelemetryClient, PayloadFieldsAndRetainedStatus) {
  SKIP_WITHOUT_MOSQUITTO();
  TestDir dir;
  MosquittoBroker broker(dir.path());
  TelemetryReceiver receiver({.port = broker.port(), .device = "+"});
  ASSERT_TRUE(receiver.wait_subscribed(0, 5s));
  {
    TelemetryClient client({.port = broker.port(), .device_id = "dev-a", .queue_dir = dir / "q"});
    EXPECT_EQ(client.publish_telemetry({{"windows", 12}, {"seq", 999}}), 1u);  // the caller cannot set seq
    EXPECT_EQ(client.publish_alert({{"score", 0.5}}), 2u);
    EXPECT_THROW(client.publish_telemetry(nlohmann::json::array({1, 2})), TelemetryError);
    ASSERT_TRUE(client.flush(10s));
    ASSERT_TRUE(receiver.wait_received("dev-a", 2, 5s));
    ASSERT_TRUE(eventually([&] { return state_of(receiver.stats("dev-a")) == "online"; }, 5s));
    const TelemetryStats s = client.stats();
    EXPECT_EQ(s.enqueued, 2u);
    EXPECT_EQ(s.acknowledged, 2u);
    EXPECT_EQ(s.queued_now, 0u);
    EXPECT_TRUE(s.connected);
  }
  const nlohmann::json t = receiver.message("dev-a", 1);
  EXPECT_EQ(t["topic"], "telemetry");
  EXPECT_EQ(t["windows"], 12);
  EXPECT_EQ(t["seq"], 1);
  EXPECT_EQ(t["device"], "dev-a");
  EXPECT_EQ(t["dropped"], 0);
  const nlohmann::json a = receiver.message("dev-a", 2);
  EXPECT_EQ(a["topic"], "alert");
  EXPECT_EQ(a["score"], 0.5);
  EXPECT_FALSE(a.contains("dropped"));
  // A clean shutdown says offline on the retained status.
  EXPECT_TRUE(eventually([&] { return state_of(receiver.stats("dev-a")) == "offline"; }, 5s));
  // The seq goes on after a restart.
  TelemetryClient again({.port = broker.port(), .device_id = "dev-a", .queue_dir = dir / "q"});
  EXPECT_EQ(again.publish_telemetry({{"windows", 13}}), 3u);
  EXPECT_TRUE(again.flush(10s));
}

// TLS: a broker listener that requires client certificates (CA, server and client certificates made with
// openssl); the client with CA, certificate and key delivers, one without its certificate never connects.
TEST(TelemetryClient, TlsWithClientCertificate) {
  SKIP_WITHOUT_MOSQUITTO();
  if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "openssl not installed: TLS test skipped";
  TestDir dir;
  const std::string d = dir.path();
  std::ofstream(dir / "san.ext") << "subjectAltName=IP:127.0.0.1\n";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
  const std::string script =
      "cd " + d + " && openssl req -x509" + ec +
      "-keyout ca.key -out ca.crt -days 2 -subj /CN=edgeinfer-test-ca" + " && openssl req" + ec +
      "-keyout server.key -out server.csr -subj /CN=127.0.0.1" +
      " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days "
      "2" +
      " -extfile san.ext && openssl req" + ec + "-keyout client.key -out client.csr -subj /CN=dev-tls" +
      " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days "
      "2" +
      " && chmod 755 . && chmod 644 *.key";
  ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0) << script;
  const int tls_port = edgeinfer::platform::free_loopback_port();
  MosquittoBroker broker(d, "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " +
                                (dir / "ca.crt") + "\ncertfile " + (dir / "server.crt") + "\nkeyfile " +
                                (dir / "server.key") + "\nrequire_certificate true\n");
  ASSERT_TRUE(eventually([&] { return edgeinfer::platform::port_accepts(tls_port); }, 5s)) << broker.log();
  TelemetryReceiver receiver({.port = broker.port(), .device = "dev-tls"});  // on the plain listener
  ASSERT_TRUE(receiver.wait_subscribed(0, 5s));
  {
    TelemetryClient no_cert({.port = tls_port,
                             .device_id = "dev-tls-nocert",
                             .queue_dir = dir / "q0",
                             .tls_ca_file = dir / "ca.crt",
                             .reconnect_min_ms = 100,
                             .reconnect_max_ms = 200});
    no_cert.publish_telemetry({{"x", 1}});
    EXPECT_FALSE(no_cert.flush(1500ms));
    EXPECT_FALSE(no_cert.stats().connected);
    EXPECT_EQ(no_cert.stats().queued_now, 1u);  // kept for when it can connect
  }
  TelemetryClient client({.port = tls_port,
                          .device_id = "dev-tls",
                          .queue_dir = dir / "q",
                          .tls_ca_file = dir / "ca.crt",
                          .tls_cert_file = dir / "client.crt",
                          .tls_key_file = dir / "client.key"});
  for (int i = 0; i < 3; ++i) client.publish_telemetry({{"i", i}});
  ASSERT_TRUE(client.flush(10s)) << client.stats().last_error << "\n" << broker.log();
  ASSERT_TRUE(receiver.wait_received("dev-tls", 3, 5s));
  EXPECT_EQ(receiver.stats("dev-tls").lost, 0u);
}

// 500 messages (every 10th an alert) from a device process; the broker is killed (-9) twice mid-stream and
// restarted on the same port, the second time after hanging (SIGSTOP) for 400 ms. While the broker is down
// the device keeps publishing into its queue.
TEST(TelemetryFaults, BrokerKilledTwiceDuringStream) {
  SKIP_WITHOUT_MOSQUITTO();
  TestDir dir;
  MosquittoBroker broker(dir.path());
  TelemetryReceiver receiver({.port = broker.port(), .device = "dev-b"});
  ASSERT_TRUE(receiver.wait_subscribed(0, 5s));
  constexpr long kCount = 500;
  DeviceProcess device(device_args(broker.port(), "dev-b", dir, kCount, 6000), dir / "device.out");
  for (uint64_t at : {120u, 300u}) {
    ASSERT_TRUE(receiver.wait_received("dev-b", at, 60s)) << receiver.stats("dev-b").received;
    if (at == 300) {
      // The second time the broker hangs first: messages handed to it stay unacknowledged and must go again.
      broker.freeze();
      std::this_thread::sleep_for(400ms);
    }
    broker.kill();
    std::this_thread::sleep_for(700ms);  // the device goes on publishing into its queue
    // QoS 1 ends at the broker, and this broker forgets subscriptions when killed: hold the device until
    // the receiver has subscribed again, or the broker would acknowledge messages nobody receives.
    device.signal(SIGSTOP);
    const uint64_t subs = receiver.subscriptions();
    broker.start();
    ASSERT_TRUE(receiver.wait_subscribed(subs, 10s));
    device.signal(SIGCONT);
  }
  ASSERT_EQ(device.wait(90s), 0) << read_text(dir / "device.out");
  ASSERT_TRUE(receiver.wait_received("dev-b", kCount, 10s));
  const DeviceSeqStats r = receiver.stats("dev-b");
  const nlohmann::json d = last_json_line(dir / "device.out");
  EXPECT_EQ(r.received, uint64_t(kCount));
  EXPECT_EQ(r.max_seq, uint64_t(kCount));
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.conflicts, 0u);
  EXPECT_EQ(r.invalid, 0u);
  EXPECT_EQ(d["enqueued"], kCount);
  EXPECT_EQ(d["acknowledged"], kCount);
  EXPECT_EQ(d["queued_now"], 0);
  EXPECT_GE(d["connects"].get<int>(), 3);  // the outages really hit the stream
  EXPECT_GT(d["resent"].get<int>(), 0);    // the hang left messages in flight
  for (uint64_t seq = 1; seq <= kCount; ++seq) {
    EXPECT_EQ(receiver.message("dev-b", seq)["i"], seq - 1) << seq;  // in a single process, seq = i + 1
  }
  std::printf(
      "[ FIGURES  ] broker killed 2x: sent %ld, received %llu, lost %llu, duplicates %llu, device %s\n",
      kCount, (unsigned long long)r.received, (unsigned long long)r.lost, (unsigned long long)r.duplicates,
      d.dump().c_str());
}

// The device process is killed (-9) mid-stream 4 times and restarted with the same queue; once while the
// broker hangs, after which the broker is killed too, so the unacknowledged messages survive only on the
// device's disk.
TEST(TelemetryFaults, DeviceKilledMidSendAndRestarted) {
  SKIP_WITHOUT_MOSQUITTO();
  TestDir dir;
  MosquittoBroker broker(dir.path());
  TelemetryReceiver receiver({.port = broker.port(), .device = "dev-k"});
  ASSERT_TRUE(receiver.wait_subscribed(0, 5s));
  constexpr long kCount = 400;
  int kills = 0;
  size_t queued_at_hang_kill = 0;
  for (uint64_t at : {60u, 150u, 220u, 330u}) {
    DeviceProcess device(device_args(broker.port(), "dev-k", dir, kCount, 2000), dir / "device.out");
    ASSERT_TRUE(receiver.wait_received("dev-k", at, 60s));
    if (at == 220) {
      // The broker hangs, the device is killed with messages handed over but unacknowledged, then the broker
      // dies too: those messages now exist only in the device's queue directory.
      broker.freeze();
      std::this_thread::sleep_for(300ms);
      device.signal(SIGKILL);
      broker.kill();
      for (const auto& e : std::filesystem::directory_iterator(dir / "queue")) {
        queued_at_hang_kill += e.path().extension() == ".msg" ? 1 : 0;
      }
      EXPECT_GE(queued_at_hang_kill, 10u);
      const uint64_t subs = receiver.subscriptions();
      broker.start();
      ASSERT_TRUE(receiver.wait_subscribed(subs, 10s));
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(at * 37 % 5000));  // somewhere inside a send
      device.signal(SIGKILL);
      // The broker notices the dead connection and publishes the retained last will.
      ASSERT_TRUE(eventually([&] { return state_of(receiver.stats("dev-k")) == "offline"; }, 10s));
    }
    ++kills;
  }
  DeviceProcess last(device_args(broker.port(), "dev-k", dir, kCount, 2000), dir / "device.out");
  ASSERT_EQ(last.wait(90s), 0) << read_text(dir / "device.out");
  const DeviceSeqStats r0 = receiver.stats("dev-k");
  ASSERT_TRUE(receiver.wait_received("dev-k", r0.max_seq, 10s));
  const DeviceSeqStats r = receiver.stats("dev-k");
  // Every index arrived; a kill between publish and the helper's progress write republishes one index
  // under a new seq, so seqs may exceed the count by at most one per kill, but are never skipped or reused.
  std::set<long> indices;
  for (uint64_t seq = 1; seq <= r.max_seq; ++seq) {
    const nlohmann::json m = receiver.message("dev-k", seq);
    ASSERT_FALSE(m.is_null()) << "seq " << seq << " lost";
    indices.insert(m["i"].get<long>());
  }
  EXPECT_EQ(indices.size(), size_t(kCount));
  EXPECT_EQ(*indices.begin(), 0);
  EXPECT_EQ(*indices.rbegin(), kCount - 1);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.conflicts, 0u);
  EXPECT_GE(r.max_seq, uint64_t(kCount));
  EXPECT_LE(r.max_seq, uint64_t(kCount + kills));
  const nlohmann::json d = last_json_line(dir / "device.out");
  EXPECT_EQ(d["queued_now"], 0);
  std::printf(
      "[ FIGURES  ] device killed %dx: indices sent %ld, seqs used %llu, received %llu, lost %llu, "
      "duplicates "
      "%llu, republished indices %llu, queued on disk at the hang kill %zu\n",
      kills, kCount, (unsigned long long)r.max_seq, (unsigned long long)r.received,
      (unsigned long long)r.lost, (unsigned long long)r.duplicates, (unsigned long long)(r.max_seq - kCount),
      queued_at_hang_kill);
}

// The broker is down while the device publishes 200 messages into a queue bounded at 50: the oldest 150
// are dropped and counted, the rest arrive after the restart, and telemetry reports "dropped": 150.
TEST(TelemetryFaults, QueueBoundReachedWhileBrokerDown) {
  SKIP_WITHOUT_MOSQUITTO();
  TestDir dir;
  MosquittoBroker broker(dir.path());
  TelemetryReceiver receiver({.port = broker.port(), .device = "dev-q"});
  ASSERT_TRUE(receiver.wait_subscribed(0, 5s));
  broker.kill();
  const TelemetryOptions options{.port = broker.port(),
                                 .device_id = "dev-q",
                                 .queue_dir = dir / "q",
                                 .queue_limits = {.max_messages = 50, .max_bytes = 1 << 20},
                                 .reconnect_min_ms = 100,
                                 .reconnect_max_ms = 500};
  {
    TelemetryClient client(options);
    for (int i = 0; i < 200; ++i) {
      if (i % 10 == 9) {
        client.publish_alert({{"i", i}});
      } else {
        client.publish_telemetry({{"i", i}});
      }
    }
    const TelemetryStats s = client.stats();
    EXPECT_FALSE(s.connected);
    EXPECT_EQ(s.dropped, 150u);
    EXPECT_EQ(s.queued_now, 50u);
    EXPECT_LE(s.queue_bytes, options.queue_limits.max_bytes);
  }  // the device restarts too: the queue and its drop count are on disk
  const uint64_t subs = receiver.subscriptions();
  broker.start();
  ASSERT_TRUE(receiver.wait_subscribed(subs, 10s));
  TelemetryClient client(options);
  ASSERT_TRUE(client.flush(20s));
  EXPECT_EQ(client.publish_telemetry({{"final", true}}), 201u);
  ASSERT_TRUE(client.flush(10s));
  ASSERT_TRUE(receiver.wait_received("dev-q", 51, 10s));
  const DeviceSeqStats r = receiver.stats("dev-q");
  EXPECT_EQ(r.received, 51u);
  EXPECT_EQ(r.max_seq, 201u);
  EXPECT_EQ(r.lost, 150u);
  EXPECT_EQ(r.last_telemetry["dropped"], 150);  // the next telemetry explains every gap
  EXPECT_EQ(r.last_telemetry["final"], true);
  for (uint64_t seq = 151; seq <= 201; ++seq) EXPECT_FALSE(receiver.message("dev-q", seq).is_null()) << seq;
  EXPECT_EQ(receiver.message("dev-q", 199)["dropped"], 149);  // counted when seq 199 was stored
  EXPECT_FALSE(
      receiver.message("dev-q", 200).contains("dropped"));  // an alert: the count waits for telemetry
  std::printf(
      "[ FIGURES  ] bound 50, broker down: sent 201, dropped 150, received %llu, lost beyond drops %llu, "
      "duplicates %llu\n",
      (unsigned long long)r.received, (unsigned long long)(r.lost - 150), (unsigned long long)r.duplicates);
}

}  // namespace
}  // namespace edgeinfer::platform
