// --broker HOST:PORT, as every MQTT command of the CLI takes it (ota listen/push; the demo's telemetry).
#pragma once

#include <charconv>
#include <string>
#include <utility>

#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {

struct BrokerAddress {
  std::string host;
  int port = 0;
};

// "host:port" or "[v6-address]:port"; throws CliError with one line naming what is wrong.
inline BrokerAddress parse_broker(const std::string& text) {
  const size_t colon = text.rfind(':');
  const std::string usage = "--broker '" + text + "' must be HOST:PORT (e.g. 127.0.0.1:1883)";
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) throw CliError{usage};
  BrokerAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']')
    address.host = address.host.substr(1, address.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (error != std::errc() || end != port.data() + port.size() || address.port < 1 || address.port > 65535)
    throw CliError{"--broker '" + text + "': port must be 1..65535"};
  if (address.host.empty() || address.host.find_first_of(" /[]") != std::string::npos) throw CliError{usage};
  return address;
}

}  // namespace edgeinfer::cli
