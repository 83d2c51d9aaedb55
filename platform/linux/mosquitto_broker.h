// A private mosquitto on a free loopback port (anonymous, no persistence), for the fault tests and for the
// flagship demo when no --broker is given. Tests kill it (kill -9, as a crash) and restart it on the same
// port. The destructor kills it, also when a test fails; PR_SET_PDEATHSIG kills it if its parent dies.
#pragma once

#include <sys/types.h>

#include <string>

namespace edgeinfer::platform {

class MosquittoBroker {
 public:
  // The broker binary: $EDGEINFER_MOSQUITTO or /usr/sbin/mosquitto; empty when missing.
  static std::string binary();
  // Writes DIR/mosquitto.conf for a free port and starts the broker; throws std::runtime_error when it does
  // not accept connections within 5 s.
  // `extra_config` is appended to the configuration (e.g. a second, TLS listener).
  explicit MosquittoBroker(const std::string& dir, const std::string& extra_config = "");
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  void start();
  void kill();    // SIGKILL and reap; no-op when not running
  void freeze();  // SIGSTOP: connections stay open, nothing is acknowledged (a hung broker)
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string log() const;

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A free TCP port on 127.0.0.1 (bind port 0, read it back, close).
int free_loopback_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

}  // namespace edgeinfer::platform
