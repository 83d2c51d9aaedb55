#include "platform/linux/ota_device.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "edge/ota/sha2.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "platform/linux/ota_storage.h"

namespace edgeinfer::ota {
namespace {

size_t input_bytes(const Interpreter& interpreter) {
  size_t total = 0;
  for (int i = 0; i < interpreter.num_inputs(); ++i) total += interpreter.input(i).bytes;
  return total;
}

size_t output_bytes(const Interpreter& interpreter) {
  size_t total = 0;
  for (int i = 0; i < interpreter.num_outputs(); ++i) total += interpreter.output(i).bytes;
  return total;
}

void copy_inputs(const std::vector<uint8_t>& bytes, Interpreter& interpreter) {
  size_t at = 0;
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    const Tensor tensor = interpreter.input(i);
    std::memcpy(tensor.data, bytes.data() + at, tensor.bytes);
    at += tensor.bytes;
  }
}

// Holds an exclusive lock on DIR/lock: one install or status at a time per device directory.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) {
    fd_ = open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~DirLock() {
    if (fd_ >= 0) close(fd_);  // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

InstallResult storage_failure(const std::string& text) {
  InstallResult result;
  result.reason = Reason::kStorage;
  std::snprintf(result.message, sizeof(result.message), "%s", text.c_str());
  return result;
}

}  // namespace

bool HostModelRunner::load(OtaStorage& storage, int slot, const PackageHeader& header, char* message,
                           size_t message_size) {
  loaded_ = false;
  std::vector<uint8_t> model(header.payload_bytes);
  golden_input_.assign(header.golden_input_bytes, 0);
  golden_output_.assign(header.golden_output_bytes, 0);
  if (!storage.read(model_region(slot), 0, model.data(), header.payload_bytes) ||
      !storage.read(meta_region(slot), kHeaderBytes, golden_input_.data(), header.golden_input_bytes) ||
      !storage.read(meta_region(slot), kHeaderBytes + header.golden_input_bytes, golden_output_.data(),
                    header.golden_output_bytes)) {
    std::snprintf(message, message_size, "cannot read slot %s", slot_name(slot));
    return false;
  }
  Status status = model_.load_bytes(model.data(), model.size());
  static const AllOpsResolver resolver;
  if (status.is_ok()) status = runner_.init(model_.model(), resolver);
  if (!status.is_ok()) {
    std::snprintf(message, message_size, "model does not load: %s", status.message());
    return false;
  }
  const size_t in = input_bytes(runner_.interpreter()), out = output_bytes(runner_.interpreter());
  if (in != golden_input_.size() || out != golden_output_.size()) {
    std::snprintf(message, message_size, "golden input/output of %zu/%zu bytes, the model has %zu/%zu",
                  golden_input_.size(), golden_output_.size(), in, out);
    return false;
  }
  loaded_ = true;
  return true;
}

bool HostModelRunner::run_golden(char* message, size_t message_size) {
  if (!loaded_) {
    std::snprintf(message, message_size, "no model loaded");
    return false;
  }
  Interpreter& interpreter = runner_.interpreter();
  Status status = interpreter.reset_state();  // every golden run starts from the same state
  if (status.is_ok()) {
    copy_inputs(golden_input_, interpreter);
    status = interpreter.invoke();
  }
  if (!status.is_ok()) {
    std::snprintf(message, message_size, "invoke failed: %s", status.message());
    return false;
  }
  ++golden_runs_;
  const std::vector<uint8_t> got = host::output_bytes(interpreter);
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != golden_output_[i]) {
      std::snprintf(message, message_size, "output byte %zu is %u, the golden output has %u", i, got[i],
                    golden_output_[i]);
      return false;
    }
  }
  return true;
}

InstallResult install_package(const uint8_t* bytes, size_t size, const DeviceOptions& options) {
  FileStorage storage(options.dir);
  if (!storage.ok()) return storage_failure(storage.error());
  DirLock lock(options.dir);
  if (!lock.ok()) return storage_failure("cannot lock " + options.dir + "/lock");
  SlotManager slots(storage);
  char message[kMessageBytes];
  if (slots.boot(message, sizeof(message)) != Reason::kOk) return storage_failure(message);
  InstallConfig config;
  config.public_key = options.public_key.data();
  config.target = options.target.c_str();
  config.healthy_runs = options.healthy_runs;
  HostModelRunner runner;
  return slots.install(bytes, size, config, runner);
}

std::optional<DeviceStatus> device_status(const std::string& dir, std::string* error) {
  FileStorage storage(dir);
  if (!storage.ok()) {
    *error = storage.error();
    return std::nullopt;
  }
  DirLock lock(dir);
  if (!lock.ok()) {
    *error = "cannot lock " + dir + "/lock";
    return std::nullopt;
  }
  SlotManager slots(storage);
  char message[kMessageBytes];
  if (slots.boot(message, sizeof(message)) != Reason::kOk) {
    *error = message;
    return std::nullopt;
  }
  DeviceStatus status;
  const OtaState& state = slots.state();
  status.has_model = slots.has_model();
  status.version = slots.running_version();
  status.slot = slot_name(state.active_slot);
  if (status.has_model) status.model_path = storage.path(model_region(state.active_slot));
  status.pending = state.pending;
  status.confirmed_version = state.confirmed_slot == kNoSlot ? 0 : state.confirmed_version;
  status.healthy_runs = state.healthy_runs;
  status.seq = state.seq;
  return status;
}

void generate_keypair(PublicKey* public_key, SecretKey* secret_key) {
  if (sodium_init() < 0) std::abort();  // no randomness source: never make a key without one
  crypto_sign_keypair(public_key->data(), secret_key->data());
}

std::optional<std::vector<uint8_t>> compute_golden_output(const std::vector<uint8_t>& model,
                                                          const std::vector<uint8_t>& golden_input,
                                                          uint32_t lcg_seed, std::vector<uint8_t>* used_input,
                                                          std::string* error) {
  host::LoadedModel loaded;
  Status status = loaded.load_bytes(model.data(), model.size());
  static const AllOpsResolver resolver;
  host::HostInterpreter runner;
  if (status.is_ok()) status = runner.init(loaded.model(), resolver);
  if (!status.is_ok()) {
    *error = status.message();
    return std::nullopt;
  }
  Interpreter& interpreter = runner.interpreter();
  std::vector<uint8_t> input;
  if (golden_input.empty()) {
    for (int i = 0; i < interpreter.num_inputs(); ++i) {
      const Tensor tensor = interpreter.input(i);
      status = fill_lcg(tensor, lcg_seed);
      if (!status.is_ok()) {
        *error = status.message();
        return std::nullopt;
      }
      const uint8_t* data = static_cast<const uint8_t*>(tensor.data);
      input.insert(input.end(), data, data + tensor.bytes);
    }
  } else {
    if (golden_input.size() != input_bytes(interpreter)) {
      *error = "golden input of " + std::to_string(golden_input.size()) + " bytes, the model's inputs take " +
               std::to_string(input_bytes(interpreter));
      return std::nullopt;
    }
    input = golden_input;
  }
  if (input.empty() || output_bytes(interpreter) == 0) {
    *error = "the model has no input or no output bytes to check";
    return std::nullopt;
  }
  copy_inputs(input, interpreter);
  status = interpreter.invoke();
  if (!status.is_ok()) {
    *error = status.message();
    return std::nullopt;
  }
  *used_input = input;
  return host::output_bytes(interpreter);
}

std::vector<uint8_t> make_package(const std::vector<uint8_t>& model, const std::vector<uint8_t>& golden_input,
                                  const std::vector<uint8_t>& golden_output, uint32_t version,
                                  const std::string& target, const SecretKey& secret_key) {
  PackageHeader header;
  header.format_version = kPackageFormatVersion;
  header.model_version = version;
  std::snprintf(header.target, sizeof(header.target), "%s", target.c_str());
  header.payload_bytes = static_cast<uint32_t>(model.size());
  header.golden_input_bytes = static_cast<uint32_t>(golden_input.size());
  header.golden_output_bytes = static_cast<uint32_t>(golden_output.size());
  sha256(model.data(), model.size(), header.payload_sha256);
  std::vector<uint8_t> package(kHeaderBytes);
  encode_header(header, package.data());
  package.insert(package.end(), model.begin(), model.end());
  package.insert(package.end(), golden_input.begin(), golden_input.end());
  package.insert(package.end(), golden_output.begin(), golden_output.end());
  uint8_t signature[kSignatureBytes];
  if (sodium_init() < 0) std::abort();
  crypto_sign_detached(signature, nullptr, package.data(), package.size(), secret_key.data());
  package.insert(package.end(), signature, signature + kSignatureBytes);
  return package;
}

}  // namespace edgeinfer::ota
