// Shared by the tests that run a real mosquitto (tests/faults/): skip visibly without one, and wait for a
// condition that the network makes true eventually.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "platform/linux/mosquitto_broker.h"

#define SKIP_WITHOUT_MOSQUITTO()                                                                    \
  if (::edgeinfer::platform::MosquittoBroker::binary().empty()) {                                   \
    GTEST_SKIP() << "mosquitto not installed (scripts/setup.sh installs it): broker tests skipped"; \
  }

namespace edgeinfer::testing {

// Polls `pred` every 10 ms until it holds (true) or `timeout` passes (false).
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace edgeinfer::testing
