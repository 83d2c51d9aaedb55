// edgeinfer ota keygen --out DIR
// edgeinfer ota pack MODEL --key KEY --version N --target NAME -o PKG [--golden-input FILE] [--fill lcg:SEED]
// edgeinfer ota verify PKG --pub PUB [--json]
// edgeinfer ota install PKG --device DIR --pub PUB [--target NAME] [--healthy-runs N] [--json]
// edgeinfer ota status --device DIR [--json]
// edgeinfer ota listen --broker HOST:PORT --device-id ID --device DIR --pub PUB [--target NAME] [--once] ...
// edgeinfer ota push PKG --broker HOST:PORT --device-id ID [--no-retain] [--wait SECONDS] [--json]
// Signed A/B model updates (edge/ota/, platform/linux/ota_device.h). Keys are libsodium's raw Ed25519 keys:
// ota.key 64 bytes (mode 0600), ota.pub 32 bytes.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compiler/host_runner.h"
#include "edge/ota/package.h"
#include "platform/linux/mqtt_session.h"
#include "platform/linux/ota_device.h"
#include "platform/linux/ota_mqtt.h"
#include "platform/linux/telemetry_client.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

struct OtaOptions {
  std::string out_dir;
  std::string model, package, key, pub, output, golden_input, device, target;
  std::string fill = "lcg:1";
  int64_t version = -1;
  int healthy_runs = 3;
  bool json = false;
  // listen / push (MQTT)
  std::string broker, device_id, queue, tls_ca, tls_cert, tls_key;
  int64_t max_package = static_cast<int64_t>(ota::kDefaultMaxPackageBytes);
  double wait_s = 30;
  bool once = false, no_retain = false;
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::string error;
  auto bytes = host::read_file(path, &error);
  if (!bytes) throw CliError{error};
  return std::move(*bytes);
}

template <typename Key>
Key read_key(const std::string& path, const char* what) {
  const auto bytes = read_bytes(path);
  Key key;
  if (bytes.size() != key.size())
    throw CliError{path + ": " + std::to_string(bytes.size()) + " bytes, an Ed25519 " + what + " key has " +
                   std::to_string(key.size()) + " (made by edgeinfer ota keygen)"};
  std::memcpy(key.data(), bytes.data(), key.size());
  return key;
}

void require_sodium() {
  if (sodium_init() < 0) throw CliError{"libsodium cannot initialize"};
}

int keygen(const OtaOptions& o) {
  require_sodium();
  std::error_code error;
  std::filesystem::create_directories(o.out_dir, error);
  if (error) throw CliError{o.out_dir + ": cannot create: " + error.message()};
  // Devices trust the public key they were given: silently replacing a key pair would orphan them.
  for (const char* name : {"/ota.key", "/ota.pub"})
    if (std::filesystem::exists(o.out_dir + name, error))
      throw CliError{o.out_dir + name + " exists: not replacing a signing key (move it away first)"};
  ota::PublicKey pub;
  ota::SecretKey key;
  ota::generate_keypair(&pub, &key);
  OutputFile key_file(o.out_dir + "/ota.key");
  // The secret key is readable by its owner only, from the first byte written.
  if (chmod(key_file.temp_path().c_str(), 0600) != 0)
    throw CliError{key_file.path() + ": cannot restrict to mode 0600: " + std::strerror(errno)};
  key_file.write(key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  OutputFile pub_file(o.out_dir + "/ota.pub");
  pub_file.write(pub.data(), pub.size());
  commit_all({&key_file, &pub_file});
  print_report("wrote " + key_file.path() + " (secret, mode 0600) and " + pub_file.path() + "\n");
  return 0;
}

int pack(const OtaOptions& o) {
  require_sodium();
  if (o.version < 1 || o.version > UINT32_MAX) throw CliError{"--version must be 1..4294967295"};
  if (!ota::is_valid_target(o.target.c_str()))
    throw CliError{"--target must be 1..31 characters of [A-Za-z0-9._-]"};
  const auto key = read_key<ota::SecretKey>(o.key, "secret");
  const auto model = read_bytes(o.model);
  std::vector<uint8_t> golden_input;
  if (!o.golden_input.empty()) golden_input = read_bytes(o.golden_input);
  std::string error;
  const auto seed = host::parse_lcg_fill(o.fill, &error);
  if (!seed) throw CliError{error};
  std::vector<uint8_t> used_input;
  const auto golden_output = ota::compute_golden_output(model, golden_input, *seed, &used_input, &error);
  if (!golden_output) throw CliError{o.model + ": " + error};
  if (model.size() > ota::kMaxPayloadBytes || used_input.size() > ota::kMaxGoldenBytes ||
      golden_output->size() > ota::kMaxGoldenBytes)
    throw CliError{"model or golden data too large for a package"};
  const auto package =
      ota::make_package(model, used_input, *golden_output, static_cast<uint32_t>(o.version), o.target, key);
  OutputFile out(o.output);
  out.write(package.data(), package.size());
  out.commit();
  std::string report;
  appendf(report,
          "wrote %s: version %lld for target %s, model %zu bytes, golden input %zu / output %zu bytes\n",
          o.output.c_str(), static_cast<long long>(o.version), o.target.c_str(), model.size(),
          used_input.size(), golden_output->size());
  print_report(report);
  return 0;
}

int verify(const OtaOptions& o) {
  const auto pub = read_key<ota::PublicKey>(o.pub, "public");
  const auto package = read_bytes(o.package);
  ota::PackageHeader header;
  char message[ota::kMessageBytes] = {};
  const ota::Reason reason =
      ota::verify_package(package.data(), package.size(), pub.data(), &header, message, sizeof(message));
  if (reason != ota::Reason::kOk)
    throw CliError{o.package + ": refused (" + ota::reason_name(reason) + "): " + message};
  if (o.json) {
    nlohmann::json report;
    report["package"] = o.package;
    report["valid"] = true;
    report["version"] = header.model_version;
    report["target"] = header.target;
    report["model_bytes"] = header.payload_bytes;
    print_report(json_text(report, 2) + "\n");
  } else {
    std::string report;
    appendf(report, "%s: valid, version %lu for target %s, model %lu bytes\n", o.package.c_str(),
            static_cast<unsigned long>(header.model_version), header.target,
            static_cast<unsigned long>(header.payload_bytes));
    print_report(report);
  }
  return 0;
}

// The device's target: DIR/target, recorded by the first install that gives --target.
std::string device_target(const OtaOptions& o) {
  const std::string path = o.device + "/target";
  std::string recorded;
  if (std::filesystem::exists(path)) {
    const auto bytes = read_bytes(path);
    recorded.assign(bytes.begin(), bytes.end());
    while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == '\r')) recorded.pop_back();
  }
  if (!recorded.empty() &&
      (recorded.find('\0') != std::string::npos || !ota::is_valid_target(recorded.c_str())))
    throw CliError{path +
                   " is damaged (not 1..31 characters of [A-Za-z0-9._-]): restore the device's target "
                   "name there"};
  if (!o.target.empty() && !recorded.empty() && o.target != recorded)
    throw CliError{"--target " + o.target + " differs from the device's target " + recorded + " (" + path +
                   ")"};
  if (!recorded.empty()) return recorded;
  if (o.target.empty())
    throw CliError{o.device + " has no target yet: give --target NAME on its first install"};
  if (!ota::is_valid_target(o.target.c_str()))
    throw CliError{"--target must be 1..31 characters of [A-Za-z0-9._-]"};
  std::error_code error;
  std::filesystem::create_directories(o.device, error);
  if (error) throw CliError{o.device + ": cannot create: " + error.message()};
  OutputFile out(path);
  out.write(o.target + "\n");
  out.commit();
  return o.target;
}

int install(const OtaOptions& o) {
  if (o.healthy_runs < 0) throw CliError{"--healthy-runs must be 0 or more"};
  ota::DeviceOptions options;
  options.dir = o.device;
  options.public_key = read_key<ota::PublicKey>(o.pub, "public");
  const auto package = read_bytes(o.package);
  options.target = device_target(o);
  options.healthy_runs = static_cast<uint32_t>(o.healthy_runs);
  const ota::InstallResult result = ota::install_package(package, options);
  if (o.json) {
    nlohmann::json report;
    report["ok"] = result.ok;
    report["reason"] = ota::reason_name(result.reason);
    report["message"] = result.message;
    report["version"] = result.version;
    print_report(json_text(report, 2) + "\n");
  }
  if (!result.ok) {
    throw CliError{o.package + ": " + (result.rolled_back() ? "rolled back (" : "refused (") +
                   ota::reason_name(result.reason) + "): " + result.message};
  }
  if (!o.json) print_report(std::string(result.message) + "\n");
  return 0;
}

int status(const OtaOptions& o) {
  if (!std::filesystem::is_directory(o.device)) throw CliError{o.device + ": no such device directory"};
  std::string error;
  const auto status = ota::device_status(o.device, &error);
  if (!status) throw CliError{error};
  if (o.json) {
    nlohmann::json report;
    report["version"] = status->version;
    report["model"] = status->has_model ? nlohmann::json(status->model_path) : nlohmann::json(nullptr);
    report["pending"] = status->pending;
    report["confirmed_version"] = status->confirmed_version;
    report["slot"] = status->slot;
    report["healthy_runs"] = status->healthy_runs;
    print_report(json_text(report, 2) + "\n");
  } else if (!status->has_model) {
    print_report(o.device + ": no model installed\n");
  } else {
    std::string report;
    appendf(report, "%s: running version %lu (%s, slot %s), confirmed version %lu%s\n", o.device.c_str(),
            static_cast<unsigned long>(status->version), status->model_path.c_str(), status->slot.c_str(),
            static_cast<unsigned long>(status->confirmed_version), status->pending ? ", update pending" : "");
    print_report(report);
  }
  return 0;
}

// ---- MQTT: the device agent and the operator's push ---------------------------------------------------

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int) {
  g_stop_signal = 1;
}

void check_device_id(const std::string& id) {
  if (id.empty() || id.size() > 64 ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos)
    throw CliError{"--device-id '" + id + "' must be 1..64 characters of A-Z a-z 0-9 _ . -"};
}

// One line per outcome: "installed: version 2 confirmed ... [package 1234 bytes, sha256 0123abcd...]".
std::string outcome_line(const nlohmann::json& ota) {
  const bool ok = ota.value("ok", false);
  std::string line = ota.value("result", std::string("?"));
  if (!ok) line += " (" + ota.value("reason", std::string("?")) + ")";
  line += ": " + ota.value("message", std::string());
  appendf(line, " [package %llu bytes, sha256 %.16s]",
          static_cast<unsigned long long>(ota.value("package_bytes", uint64_t{0})),
          ota.value("package_sha256", std::string()).c_str());
  return line + "\n";
}

// --broker HOST:PORT, parsed as the demo parses it.
platform::BrokerAddress broker_address(const std::string& text) {
  try {
    return platform::parse_broker_address(text);
  } catch (const platform::TelemetryError& e) {
    throw CliError{std::string("--broker: ") + e.what()};
  }
}

int listen(const OtaOptions& o) {
  const platform::BrokerAddress broker = broker_address(o.broker);
  check_device_id(o.device_id);
  if (o.healthy_runs < 0) throw CliError{"--healthy-runs must be 0 or more"};
  if (o.max_package < 1 || o.max_package > int64_t{ota::kMaxPayloadBytes} + 2 * ota::kMaxGoldenBytes + 160)
    throw CliError{"--max-package must be 1.." +
                   std::to_string(ota::kMaxPayloadBytes + 2 * ota::kMaxGoldenBytes + 160) + " bytes"};
  ota::UpdaterOptions options;
  options.device.dir = o.device;
  options.device.public_key = read_key<ota::PublicKey>(o.pub, "public");
  options.device.target = device_target(o);
  options.device.healthy_runs = static_cast<uint32_t>(o.healthy_runs);
  options.max_package_bytes = static_cast<size_t>(o.max_package);
  platform::TelemetryOptions telemetry;
  telemetry.host = broker.host;
  telemetry.port = broker.port;
  telemetry.device_id = o.device_id;
  telemetry.queue_dir = o.queue.empty() ? o.device + "/telemetry-queue" : o.queue;
  telemetry.tls_ca_file = o.tls_ca;
  telemetry.tls_cert_file = o.tls_cert;
  telemetry.tls_key_file = o.tls_key;
  telemetry.reconnect_max_ms = 5000;

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::mutex mutex;
  std::optional<bool> first_ok;  // the first outcome, for --once
  try {
    platform::TelemetryClient client(telemetry);
    ota::OtaUpdater updater(client, options, [&](const ota::OtaOutcome& outcome) {
      std::fputs(outcome_line(outcome.to_json()).c_str(), stdout);
      std::fflush(stdout);
      std::lock_guard lock(mutex);
      if (!first_ok) first_ok = outcome.ok;
    });
    std::fprintf(stderr, "edgeinfer ota listen: device %s, packages on %s at %s:%d, ota dir %s\n",
                 o.device_id.c_str(), ota::ota_topic(o.device_id).c_str(), broker.host.c_str(), broker.port,
                 o.device.c_str());
    while (g_stop_signal == 0) {
      {
        std::lock_guard lock(mutex);
        if (o.once && first_ok) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (const platform::TelemetryError& e) {
    throw CliError{e.what()};
  } catch (const std::runtime_error& e) {
    throw CliError{e.what()};
  }
  std::lock_guard lock(mutex);
  return o.once && first_ok && !*first_ok ? 1 : 0;
}

// The operator's side. Waits on a condition for: the connection, the SUBACK of the status subscription,
// the PUBACK of the package, and the device's outcome for these exact bytes.
int push(const OtaOptions& o) {
  const platform::BrokerAddress broker = broker_address(o.broker);
  check_device_id(o.device_id);
  if (!(o.wait_s >= 0 && o.wait_s <= 86400)) throw CliError{"--wait must be 0..86400 seconds"};
  const auto package = read_bytes(o.package);
  // The device refuses anything malformed anyway; checking here saves a retained bad package on the broker.
  ota::PackageHeader header;
  char message[ota::kMessageBytes] = {};
  const ota::Reason reason =
      ota::parse_package(package.data(), package.size(), &header, message, sizeof(message));
  if (reason != ota::Reason::kOk)
    throw CliError{o.package + ": malformed package, not sent (" + ota::reason_name(reason) +
                   "): " + message};
  const std::string sha256 = ota::sha256_hex(package.data(), package.size());
  const std::string ota_topic = ota::ota_topic(o.device_id);
  const std::string status_topic = "edgeinfer/" + o.device_id + "/status";
  const bool wait_outcome = o.wait_s > 0;

  std::mutex mutex;
  std::condition_variable changed;
  bool connected = false, subscribed = false;
  std::vector<int> acked;
  std::optional<nlohmann::json> outcome;
  platform::MqttConfig config;
  config.host = broker.host;
  config.port = broker.port;
  config.client_id = "edgeinfer-push-" + o.device_id + "-" + std::to_string(::getpid());
  config.tls_ca_file = o.tls_ca;
  config.tls_cert_file = o.tls_cert;
  config.tls_key_file = o.tls_key;
  config.reconnect_min_ms = 200;
  config.reconnect_max_ms = 2000;
  std::unique_ptr<platform::MqttSession> session;
  platform::MqttSession::Callbacks callbacks;
  callbacks.on_connect = [&] {
    if (wait_outcome) session->subscribe(status_topic, 1);
    std::lock_guard lock(mutex);
    connected = true;
    changed.notify_all();
  };
  callbacks.on_subscribe = [&] {
    std::lock_guard lock(mutex);
    subscribed = true;
    changed.notify_all();
  };
  callbacks.on_publish = [&](int mid) {
    std::lock_guard lock(mutex);
    acked.push_back(mid);
    changed.notify_all();
  };
  // A retained status was there before we subscribed: it may carry the outcome of an earlier push of these
  // same bytes, so only live ones (retain flag clear) count.
  callbacks.on_message = [&](std::string_view topic, std::string_view payload, bool retained) {
    if (retained || topic != status_topic) return;
    nlohmann::json status = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!status.is_object() || !status.contains("ota") || !status["ota"].is_object()) return;
    if (status["ota"].value("package_sha256", std::string()) != sha256) return;
    std::lock_guard lock(mutex);
    if (!outcome) outcome = std::move(status);
    changed.notify_all();
  };
  try {
    session = std::make_unique<platform::MqttSession>(config, std::move(callbacks));
  } catch (const platform::TelemetryError& e) {
    throw CliError{e.what()};
  }
  session->start();
  const std::string where = broker.host + ":" + std::to_string(broker.port);
  constexpr auto kBrokerTimeout = std::chrono::seconds(10);
  std::unique_lock lock(mutex);
  if (!changed.wait_for(lock, kBrokerTimeout, [&] { return connected && (subscribed || !wait_outcome); }))
    throw CliError{"cannot reach the broker at " + where + " within 10 s: " + session->last_error()};
  lock.unlock();
  const int mid = session->publish(
      ota_topic, std::string_view(reinterpret_cast<const char*>(package.data()), package.size()), 1,
      !o.no_retain);
  if (mid == 0) throw CliError{session->last_error()};
  lock.lock();
  if (!changed.wait_for(lock, kBrokerTimeout,
                        [&] { return std::find(acked.begin(), acked.end(), mid) != acked.end(); }))
    throw CliError{"the broker at " + where + " did not acknowledge the package within 10 s"};
  if (!wait_outcome) {
    lock.unlock();
    print_report("published " + o.package + " (version " + std::to_string(header.model_version) + ", " +
                 std::to_string(package.size()) + " bytes) to " + ota_topic +
                 (o.no_retain ? "" : ", retained") + "\n");
    return 0;
  }
  const bool answered =
      changed.wait_for(lock, std::chrono::duration<double>(o.wait_s), [&] { return outcome.has_value(); });
  const std::optional<nlohmann::json> result = outcome;
  lock.unlock();
  session->stop();
  if (!answered) {
    print_report("no outcome from device " + o.device_id + " within " +
                 std::to_string(static_cast<int>(o.wait_s)) + " s (package sent" +
                 (o.no_retain ? "" : " retained: the device gets it when it connects") + ")\n");
    return 2;
  }
  const nlohmann::json& ota = (*result)["ota"];
  if (o.json) {
    nlohmann::json report = ota;
    report["device"] = o.device_id;
    report["model_version"] = result->value("model_version", nlohmann::json(nullptr));
    print_report(json_text(report, 2) + "\n");
  } else {
    print_report("device " + o.device_id + ": " + outcome_line(ota));
  }
  return ota.value("ok", false) ? 0 : 1;
}

}  // namespace

Command add_ota_command(CLI::App& app) {
  auto* command = app.add_subcommand("ota", "Signed A/B over-the-air model updates with rollback");
  command->require_subcommand(1);
  auto o = std::make_shared<OtaOptions>();

  auto* keygen_cmd =
      command->add_subcommand("keygen", "Make an Ed25519 signing key pair: DIR/ota.key, DIR/ota.pub");
  keygen_cmd->add_option("--out", o->out_dir, "Directory for ota.key (secret, mode 0600) and ota.pub")
      ->required();

  auto* pack_cmd =
      command->add_subcommand("pack", "Sign a model into an OTA package with its golden self-test");
  pack_cmd->add_option("model", o->model, "The .tflite model")->required();
  pack_cmd->add_option("--key", o->key, "Secret key (ota.key)")->required();
  pack_cmd->add_option("--version", o->version, "Model version (devices refuse <= their confirmed one)")
      ->required();
  pack_cmd->add_option("--target", o->target, "Device type the package is for ([A-Za-z0-9._-], <= 31)")
      ->required();
  pack_cmd->add_option("-o,--output", o->output, "Package file to write")->required();
  pack_cmd->add_option("--golden-input", o->golden_input,
                       "Self-test input: every model input's bytes, in input order (default: --fill)");
  pack_cmd->add_option("--fill", o->fill, "Self-test input when no --golden-input: lcg:SEED (default lcg:1)");

  auto* verify_cmd =
      command->add_subcommand("verify", "Check a package's layout, payload hash and signature");
  verify_cmd->add_option("package", o->package, "The package")->required();
  verify_cmd->add_option("--pub", o->pub, "Public key (ota.pub)")->required();
  verify_cmd->add_flag("--json", o->json, "JSON report");

  auto* install_cmd = command->add_subcommand(
      "install",
      "Install a package into a device directory: write, verify, switch, self-test, confirm or roll back");
  install_cmd->add_option("package", o->package, "The package")->required();
  install_cmd->add_option("--device", o->device, "Device directory (slots and state)")->required();
  install_cmd->add_option("--pub", o->pub, "Public key (ota.pub)")->required();
  install_cmd->add_option("--target", o->target,
                          "The device's target (recorded in DIR/target on first install)");
  install_cmd->add_option("--healthy-runs", o->healthy_runs, "Golden runs after the self-test (default 3)");
  install_cmd->add_flag("--json", o->json, "JSON report (ok, reason, message, version)");

  auto* status_cmd = command->add_subcommand("status", "The model a device directory runs");
  status_cmd->add_option("--device", o->device, "Device directory")->required();
  status_cmd->add_flag("--json", o->json,
                       "JSON: version, model, pending, confirmed_version, slot, healthy_runs");

  // MQTT. --device stays the device directory as in install/status; the MQTT device id is --device-id.
  auto* listen_cmd = command->add_subcommand(
      "listen",
      "Device agent: install packages arriving on edgeinfer/<ID>/ota, report on edgeinfer/<ID>/status "
      "(until SIGINT/SIGTERM)");
  listen_cmd->add_option("--broker", o->broker, "MQTT broker HOST:PORT")->required();
  listen_cmd
      ->add_option("--device-id", o->device_id,
                   "MQTT device id: topics edgeinfer/<ID>/ota and /status (--device is the directory)")
      ->required();
  listen_cmd->add_option("--device", o->device, "Device directory (slots and state), as in ota install")
      ->required();
  listen_cmd->add_option("--pub", o->pub, "Public key (ota.pub)")->required();
  listen_cmd->add_option("--target", o->target, "The device's target (recorded in DIR/target on first use)");
  listen_cmd->add_option("--healthy-runs", o->healthy_runs, "Golden runs after the self-test (default 3)");
  listen_cmd->add_option("--queue", o->queue, "Telemetry queue directory (default DIR/telemetry-queue)");
  listen_cmd->add_option("--max-package", o->max_package,
                         "Refuse larger payloads unread (bytes, default 4194304)");
  listen_cmd->add_option("--tls-ca", o->tls_ca, "TLS: CA file (TLS on when given)");
  listen_cmd->add_option("--tls-cert", o->tls_cert, "TLS: client certificate");
  listen_cmd->add_option("--tls-key", o->tls_key, "TLS: client key");
  listen_cmd->add_flag("--once", o->once,
                       "Exit after the first package outcome: 0 installed or already running, 1 refused");

  auto* push_cmd = command->add_subcommand(
      "push", "Operator: publish a package (QoS 1, retained) to edgeinfer/<ID>/ota and wait for the outcome");
  push_cmd->add_option("package", o->package, "The package")->required();
  push_cmd->add_option("--broker", o->broker, "MQTT broker HOST:PORT")->required();
  push_cmd->add_option("--device-id", o->device_id, "MQTT device id of the target device")->required();
  push_cmd->add_flag(
      "--no-retain", o->no_retain,
      "Do not retain: only a device online now gets it (default: retained, so offline devices get "
      "it when they connect)");
  push_cmd->add_option("--wait", o->wait_s,
                       "Seconds to wait for the device's outcome on its status (default 30; 0: do not wait). "
                       "Exit 0 installed or already running, 1 refused, 2 no outcome in time");
  push_cmd->add_flag(
      "--json", o->json,
      "JSON: the device's ota outcome (result, ok, reason, message, version, package_sha256...)");
  push_cmd->add_option("--tls-ca", o->tls_ca, "TLS: CA file (TLS on when given)");
  push_cmd->add_option("--tls-cert", o->tls_cert, "TLS: client certificate");
  push_cmd->add_option("--tls-key", o->tls_key, "TLS: client key");

  return {command, [=]() {
            if (listen_cmd->parsed()) return listen(*o);
            if (push_cmd->parsed()) return push(*o);
            if (keygen_cmd->parsed()) return keygen(*o);
            if (pack_cmd->parsed()) return pack(*o);
            if (verify_cmd->parsed()) return verify(*o);
            if (install_cmd->parsed()) return install(*o);
            return status(*o);
          }};
}

}  // namespace edgeinfer::cli
