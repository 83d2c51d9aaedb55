#include "edge/ota/package.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "edge/ota/detail.h"
#include "edge/ota/sha2.h"

namespace edgeinfer::ota {
namespace {

using detail::load_le32;
using detail::refuse;
using detail::store_le32;

bool is_target_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

const char* reason_name(Reason reason) {
  switch (reason) {
    case Reason::kOk: return "ok";
    case Reason::kTruncated: return "truncated";
    case Reason::kBadMagic: return "bad_magic";
    case Reason::kUnsupportedFormat: return "unsupported_format";
    case Reason::kBadHeader: return "bad_header";
    case Reason::kTrailingBytes: return "trailing_bytes";
    case Reason::kWrongTarget: return "wrong_target";
    case Reason::kDowngrade: return "downgrade";
    case Reason::kTooLarge: return "too_large";
    case Reason::kHashMismatch: return "hash_mismatch";
    case Reason::kBadSignature: return "bad_signature";
    case Reason::kStorage: return "storage";
    case Reason::kBusy: return "busy";
    case Reason::kSelfTestFailed: return "self_test_failed";
    case Reason::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

bool is_valid_target(const char* name) {
  size_t length = 0;
  while (length < kTargetFieldBytes && name[length] != '\0') {
    if (!is_target_char(name[length])) return false;
    ++length;
  }
  return length >= 1 && length < kTargetFieldBytes;
}

Reason parse_header(const uint8_t* data, size_t size, PackageHeader* header, char* message,
                    size_t message_size) {
  const size_t magic_seen = size < sizeof(kPackageMagic) ? size : sizeof(kPackageMagic);
  if (magic_seen > 0 && std::memcmp(data, kPackageMagic, magic_seen) != 0)
    return refuse(Reason::kBadMagic, message, message_size, "not an OTA package (no EIOTA magic)");
  if (size < kHeaderBytes)
    return refuse(Reason::kTruncated, message, message_size, "truncated: %zu bytes, the header alone is %zu",
                  size, kHeaderBytes);
  PackageHeader h;
  h.format_version = load_le32(data + 8);
  if (h.format_version != kPackageFormatVersion)
    return refuse(Reason::kUnsupportedFormat, message, message_size,
                  "package format version %lu, this device reads %lu",
                  static_cast<unsigned long>(h.format_version),
                  static_cast<unsigned long>(kPackageFormatVersion));
  h.model_version = load_le32(data + 12);
  const uint8_t* target = data + 16;
  size_t length = 0;
  while (length < kTargetFieldBytes && target[length] != 0) ++length;
  bool target_ok = length >= 1 && length < kTargetFieldBytes;
  for (size_t i = 0; i < kTargetFieldBytes && target_ok; ++i)
    target_ok = i < length ? is_target_char(static_cast<char>(target[i])) : target[i] == 0;
  if (!target_ok)
    return refuse(Reason::kBadHeader, message, message_size,
                  "bad header: the target name must be 1..31 characters of [A-Za-z0-9._-], NUL-padded");
  std::memcpy(h.target, target, length);
  h.target[length] = '\0';
  h.payload_bytes = load_le32(data + 48);
  h.golden_input_bytes = load_le32(data + 52);
  h.golden_output_bytes = load_le32(data + 56);
  if (load_le32(data + 60) != 0)
    return refuse(Reason::kBadHeader, message, message_size, "bad header: reserved bytes 60..63 are not 0");
  if (h.payload_bytes == 0 || h.payload_bytes > kMaxPayloadBytes)
    return refuse(Reason::kBadHeader, message, message_size,
                  "bad header: payload of %lu bytes (1..%lu allowed)",
                  static_cast<unsigned long>(h.payload_bytes), static_cast<unsigned long>(kMaxPayloadBytes));
  if (h.golden_input_bytes == 0 || h.golden_input_bytes > kMaxGoldenBytes || h.golden_output_bytes == 0 ||
      h.golden_output_bytes > kMaxGoldenBytes)
    return refuse(Reason::kBadHeader, message, message_size,
                  "bad header: golden input %lu / output %lu bytes (1..%lu allowed)",
                  static_cast<unsigned long>(h.golden_input_bytes),
                  static_cast<unsigned long>(h.golden_output_bytes),
                  static_cast<unsigned long>(kMaxGoldenBytes));
  std::memcpy(h.payload_sha256, data + 64, 32);
  *header = h;
  return Reason::kOk;
}

Reason parse_package(const uint8_t* data, size_t size, PackageHeader* header, char* message,
                     size_t message_size) {
  const Reason reason = parse_header(data, size, header, message, message_size);
  if (reason != Reason::kOk) return reason;
  const uint64_t total = header->total_bytes();  // at most 160 + 96 MiB: no overflow in 64 bits
  if (size < total)
    return refuse(Reason::kTruncated, message, message_size, "truncated: %llu of %llu bytes",
                  static_cast<unsigned long long>(size), static_cast<unsigned long long>(total));
  if (size > total)
    return refuse(Reason::kTrailingBytes, message, message_size, "%llu bytes after the signature",
                  static_cast<unsigned long long>(size - total));
  return Reason::kOk;
}

Reason verify_package(const uint8_t* data, size_t size, const uint8_t public_key[kEd25519PublicKeyBytes],
                      PackageHeader* header, char* message, size_t message_size) {
  const Reason reason = parse_package(data, size, header, message, message_size);
  if (reason != Reason::kOk) return reason;
  uint8_t digest[32];
  sha256(data + header->payload_offset(), header->payload_bytes, digest);
  if (std::memcmp(digest, header->payload_sha256, 32) != 0)
    return refuse(Reason::kHashMismatch, message, message_size, "payload SHA-256 differs from the header's");
  const size_t signed_bytes = static_cast<size_t>(header->signature_offset());
  if (!ed25519_verify(data + signed_bytes, data, signed_bytes, public_key))
    return refuse(Reason::kBadSignature, message, message_size,
                  "bad signature: the package was altered or signed with another key");
  return Reason::kOk;
}

void encode_header(const PackageHeader& header, uint8_t out[kHeaderBytes]) {
  std::memset(out, 0, kHeaderBytes);
  std::memcpy(out, kPackageMagic, sizeof(kPackageMagic));
  store_le32(out + 8, header.format_version);
  store_le32(out + 12, header.model_version);
  for (size_t i = 0; i + 1 < kTargetFieldBytes && header.target[i] != '\0'; ++i)
    out[16 + i] = static_cast<uint8_t>(header.target[i]);
  store_le32(out + 48, header.payload_bytes);
  store_le32(out + 52, header.golden_input_bytes);
  store_le32(out + 56, header.golden_output_bytes);
  std::memcpy(out + 64, header.payload_sha256, 32);
}

}  // namespace edgeinfer::ota
