#include "edge/ota/slots.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "edge/ota/detail.h"
#include "edge/ota/sha2.h"

namespace edgeinfer::ota {
namespace {

constexpr uint8_t kStateMagic[4] = {'E', 'I', 'S', 'T'};

using detail::load_le32;
using detail::store_le32;

Region state_region(uint32_t seq) {
  return (seq & 1) ? Region::kState1 : Region::kState0;
}

}  // namespace

const char* slot_name(int slot) {
  return slot == 0 ? "a" : slot == 1 ? "b" : "none";
}

uint32_t crc32(const void* data, size_t size) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= bytes[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void encode_state(const OtaState& state, uint8_t out[kStateRecordBytes]) {
  std::memset(out, 0, kStateRecordBytes);
  std::memcpy(out, kStateMagic, 4);
  store_le32(out + 4, state.seq);
  out[8] = state.active_slot;
  out[9] = state.confirmed_slot;
  out[10] = state.pending ? 1 : 0;
  store_le32(out + 12, state.active_version);
  store_le32(out + 16, state.confirmed_version);
  store_le32(out + 20, state.healthy_runs);
  store_le32(out + 28, crc32(out, 28));
}

bool decode_state(const uint8_t in[kStateRecordBytes], OtaState* state) {
  if (std::memcmp(in, kStateMagic, 4) != 0 || load_le32(in + 28) != crc32(in, 28)) return false;
  const auto slot_ok = [](uint8_t slot) { return slot == 0 || slot == 1 || slot == kNoSlot; };
  if (!slot_ok(in[8]) || !slot_ok(in[9]) || in[10] > 1 || in[11] != 0 || load_le32(in + 24) != 0)
    return false;
  OtaState s;
  s.seq = load_le32(in + 4);
  s.active_slot = in[8];
  s.confirmed_slot = in[9];
  s.pending = in[10] == 1;
  s.active_version = load_le32(in + 12);
  s.confirmed_version = load_le32(in + 16);
  s.healthy_runs = load_le32(in + 20);
  if (s.seq == 0) return false;
  *state = s;
  return true;
}

Reason SlotManager::write_state(const OtaState& next, char* message, size_t message_size) {
  OtaState record = next;
  record.seq = state_.seq + 1;
  uint8_t bytes[kStateRecordBytes];
  encode_state(record, bytes);
  const Region region = state_region(record.seq);  // the copy not holding the current state
  if (!storage_.begin_write(region, kStateRecordBytes) ||
      !storage_.write(region, 0, bytes, kStateRecordBytes) || !storage_.sync(region))
    return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot write the state record");
  state_ = record;
  return Reason::kOk;
}

Reason SlotManager::boot(char* message, size_t message_size) {
  state_ = OtaState();
  const Region copies[2] = {Region::kState0, Region::kState1};
  for (Region region : copies) {
    uint8_t bytes[kStateRecordBytes];
    OtaState copy;
    if (storage_.read(region, 0, bytes, kStateRecordBytes) && decode_state(bytes, &copy) &&
        copy.seq > state_.seq)
      state_ = copy;
  }
  if (state_.pending) {
    detail::refuse(Reason::kOk, message, message_size,
                   "update to version %lu was never confirmed: rolled back",
                   static_cast<unsigned long>(state_.active_version));
    char ignored[kMessageBytes];
    return rollback(message != nullptr ? ignored : nullptr, sizeof(ignored)) == Reason::kOk
               ? Reason::kOk
               : Reason::kStorage;
  }
  detail::refuse(Reason::kOk, message, message_size, "running version %lu from slot %s",
                 static_cast<unsigned long>(running_version()), slot_name(state_.active_slot));
  return Reason::kOk;
}

Reason SlotManager::check_header(const uint8_t* package, size_t size, const InstallConfig& config,
                                 PackageHeader* header, char* message, size_t message_size) const {
  const Reason reason = parse_package(package, size, header, message, message_size);
  if (reason != Reason::kOk) return reason;
  if (std::strncmp(header->target, config.target, kTargetFieldBytes) != 0)
    return detail::refuse(Reason::kWrongTarget, message, message_size,
                          "package is for target '%s', this device is '%s'", header->target, config.target);
  if (state_.confirmed_slot != kNoSlot && header->model_version <= state_.confirmed_version)
    return detail::refuse(Reason::kDowngrade, message, message_size,
                          "version %lu is not newer than the confirmed version %lu",
                          static_cast<unsigned long>(header->model_version),
                          static_cast<unsigned long>(state_.confirmed_version));
  const int slot = inactive_slot();
  const uint64_t meta_bytes = header->total_bytes() - header->payload_bytes;
  if (header->payload_bytes > storage_.capacity(model_region(slot)) ||
      meta_bytes > storage_.capacity(meta_region(slot)))
    return detail::refuse(Reason::kTooLarge, message, message_size,
                          "package does not fit slot %s (model %lu of %lu bytes)", slot_name(slot),
                          static_cast<unsigned long>(header->payload_bytes),
                          static_cast<unsigned long>(storage_.capacity(model_region(slot))));
  return Reason::kOk;
}

Reason SlotManager::write_slot(int slot, const uint8_t* package, const PackageHeader& header,
                               uint32_t chunk_bytes, char* message, size_t message_size) {
  if (chunk_bytes == 0) chunk_bytes = 4096;
  const Region model = model_region(slot), meta = meta_region(slot);
  const uint32_t meta_bytes = static_cast<uint32_t>(header.total_bytes() - header.payload_bytes);
  // Chunked copies of [from, from + size) of the package to `region` at `to`.
  const auto copy = [&](Region region, uint32_t to, uint64_t from, uint32_t size) {
    for (uint32_t done = 0; done < size;) {
      const uint32_t n = size - done < chunk_bytes ? size - done : chunk_bytes;
      if (!storage_.write(region, to + done, package + from + done, n)) return false;
      done += n;
    }
    return true;
  };
  const uint32_t tail = meta_bytes - static_cast<uint32_t>(kHeaderBytes);  // goldens and signature
  const bool ok = storage_.begin_write(meta, meta_bytes) && copy(meta, 0, 0, kHeaderBytes) &&
                  storage_.begin_write(model, header.payload_bytes) &&
                  copy(model, 0, header.payload_offset(), header.payload_bytes) &&
                  copy(meta, kHeaderBytes, header.golden_input_offset(), tail) && storage_.sync(model) &&
                  storage_.sync(meta);
  if (!ok)
    return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot write slot %s",
                          slot_name(slot));
  return Reason::kOk;
}

Reason SlotManager::verify_slot(int slot, const uint8_t* public_key, PackageHeader* header, char* message,
                                size_t message_size) {
  const Region model = model_region(slot), meta = meta_region(slot);
  uint8_t head[kHeaderBytes];
  if (!storage_.read(meta, 0, head, kHeaderBytes))
    return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot read slot %s",
                          slot_name(slot));
  const Reason reason = parse_header(head, kHeaderBytes, header, message, message_size);
  if (reason != Reason::kOk) return reason;
  uint8_t signature[kSignatureBytes];
  const uint32_t tail = static_cast<uint32_t>(header->total_bytes() - header->payload_bytes - kHeaderBytes);
  if (!storage_.read(meta, kHeaderBytes + tail - kSignatureBytes, signature, kSignatureBytes))
    return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot read slot %s",
                          slot_name(slot));
  Ed25519Verifier verifier;
  verifier.begin(signature, public_key);
  verifier.update(head, kHeaderBytes);
  Sha256 hash;
  uint8_t buffer[256];  // the only buffer: models are checked straight out of the slot
  for (uint32_t done = 0; done < header->payload_bytes;) {
    const uint32_t n =
        header->payload_bytes - done < sizeof(buffer) ? header->payload_bytes - done : sizeof(buffer);
    if (!storage_.read(model, done, buffer, n))
      return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot read slot %s",
                            slot_name(slot));
    hash.update(buffer, n);
    verifier.update(buffer, n);
    done += n;
  }
  const uint32_t goldens = tail - static_cast<uint32_t>(kSignatureBytes);
  for (uint32_t done = 0; done < goldens;) {
    const uint32_t n = goldens - done < sizeof(buffer) ? goldens - done : sizeof(buffer);
    if (!storage_.read(meta, static_cast<uint32_t>(kHeaderBytes) + done, buffer, n))
      return detail::refuse(Reason::kStorage, message, message_size, "storage: cannot read slot %s",
                            slot_name(slot));
    verifier.update(buffer, n);
    done += n;
  }
  uint8_t digest[32];
  hash.finish(digest);
  if (std::memcmp(digest, header->payload_sha256, 32) != 0)
    return detail::refuse(Reason::kHashMismatch, message, message_size,
                          "payload SHA-256 differs from the header's");
  if (!verifier.finish())
    return detail::refuse(Reason::kBadSignature, message, message_size,
                          "bad signature: the package was altered or signed with another key");
  return Reason::kOk;
}

Reason SlotManager::switch_pending(int slot, uint32_t version, char* message, size_t message_size) {
  OtaState next = state_;
  next.active_slot = static_cast<uint8_t>(slot);
  next.active_version = version;
  next.pending = true;
  next.healthy_runs = 0;
  return write_state(next, message, message_size);
}

Reason SlotManager::confirm(uint32_t healthy_runs, char* message, size_t message_size) {
  OtaState next = state_;
  next.pending = false;
  next.confirmed_slot = state_.active_slot;
  next.confirmed_version = state_.active_version;
  next.healthy_runs = healthy_runs;
  return write_state(next, message, message_size);
}

Reason SlotManager::rollback(char* message, size_t message_size) {
  OtaState next = state_;
  next.pending = false;
  next.active_slot = state_.confirmed_slot;
  next.active_version = state_.confirmed_slot == kNoSlot ? 0 : state_.confirmed_version;
  return write_state(next, message, message_size);
}

InstallResult SlotManager::install(const uint8_t* package, size_t size, const InstallConfig& config,
                                   ModelRunner& runner) {
  InstallResult result;
  char* const msg = result.message;
  const size_t n = sizeof(result.message);
  const auto finish = [&](Reason reason) {
    result.reason = reason;
    result.ok = reason == Reason::kOk;
    result.version = running_version();
    return result;
  };
  if (state_.pending)
    return finish(detail::refuse(Reason::kBusy, msg, n, "an update to version %lu is pending confirmation",
                                 static_cast<unsigned long>(state_.active_version)));
  PackageHeader header;
  Reason reason = check_header(package, size, config, &header, msg, n);
  if (reason != Reason::kOk) return finish(reason);
  const int slot = inactive_slot();
  reason = write_slot(slot, package, header, config.chunk_bytes, msg, n);
  if (reason != Reason::kOk) return finish(reason);
  PackageHeader stored;
  reason = verify_slot(slot, config.public_key, &stored, msg, n);
  if (reason != Reason::kOk) return finish(reason);
  reason = switch_pending(slot, stored.model_version, msg, n);
  if (reason != Reason::kOk) return finish(reason);

  // The trial: from here on, a failure rolls back to the last confirmed slot.
  char detail[kMessageBytes] = {};
  Reason failure = Reason::kOk;
  if (!runner.load(storage_, slot, stored, detail, sizeof(detail)) ||
      !runner.run_golden(detail, sizeof(detail))) {
    failure = Reason::kSelfTestFailed;
  } else {
    for (uint32_t run = 0; run < config.healthy_runs; ++run) {
      if (!runner.run_golden(detail, sizeof(detail))) {
        failure = Reason::kUnhealthy;
        break;
      }
    }
  }
  if (failure == Reason::kOk) {
    reason = confirm(config.healthy_runs, msg, n);
    if (reason != Reason::kOk) return finish(reason);
    detail::refuse(Reason::kOk, msg, n,
                   "version %lu confirmed in slot %s after the self-test and %lu healthy runs",
                   static_cast<unsigned long>(stored.model_version), slot_name(slot),
                   static_cast<unsigned long>(config.healthy_runs));
    return finish(Reason::kOk);
  }
  reason = rollback(msg, n);
  if (reason != Reason::kOk) return finish(reason);
  detail::refuse(failure, msg, n, "%s: %s; rolled back to version %lu",
                 failure == Reason::kSelfTestFailed ? "self-test failed" : "healthy run failed", detail,
                 static_cast<unsigned long>(running_version()));
  return finish(failure);
}

}  // namespace edgeinfer::ota
