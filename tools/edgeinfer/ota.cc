// edgeinfer ota keygen --out DIR
// edgeinfer ota pack MODEL --key KEY --version N --target NAME -o PKG [--golden-input FILE] [--fill lcg:SEED]
// edgeinfer ota verify PKG --pub PUB [--json]
// edgeinfer ota install PKG --device DIR --pub PUB [--target NAME] [--healthy-runs N] [--json]
// edgeinfer ota status --device DIR [--json]
// Signed A/B model updates (edge/ota/, platform/linux/ota_device.h). Keys are libsodium's raw Ed25519 keys:
// ota.key 64 bytes (mode 0600), ota.pub 32 bytes.
#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edge/ota/package.h"
#include "platform/linux/ota_device.h"
#include "tools/edgeinfer/commands.h"
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
    print_report(report.dump(2) + "\n");
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
    print_report(report.dump(2) + "\n");
  }
  if (!result.ok) {
    const bool rolled_back =
        result.reason == ota::Reason::kSelfTestFailed || result.reason == ota::Reason::kUnhealthy;
    throw CliError{o.package + ": " + (rolled_back ? "rolled back (" : "refused (") +
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
    print_report(report.dump(2) + "\n");
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

  return {command, [=]() {
            if (keygen_cmd->parsed()) return keygen(*o);
            if (pack_cmd->parsed()) return pack(*o);
            if (verify_cmd->parsed()) return verify(*o);
            if (install_cmd->parsed()) return install(*o);
            return status(*o);
          }};
}

}  // namespace edgeinfer::cli
