// The OTA package: a signed model update. Freestanding (no heap, no exceptions): the device parses and
// verifies packages itself.
//
// Byte layout (all integers little-endian):
//   offset     size  field
//   0          8     magic "EIOTA\0\0\0"
//   8          4     format version (kPackageFormatVersion = 1)
//   12         4     model version (uint32; the device refuses a version <= the confirmed one)
//   16         32    target name: 1..31 characters of [A-Za-z0-9._-], then NUL bytes to the end of the field
//   48         4     payload bytes P (the .tflite model), 1 .. kMaxPayloadBytes
//   52         4     golden input bytes GI (every model input's bytes, in input order), 1 .. kMaxGoldenBytes
//   56         4     golden output bytes GO (every output's bytes, in output order), 1 .. kMaxGoldenBytes
//   60         4     reserved, 0
//   64         32    SHA-256 of the payload
//   96         P     payload
//   96+P       GI    golden input
//   96+P+GI    GO    golden output (what the runtime must produce for the golden input, byte for byte)
//   96+P+GI+GO 64    Ed25519 signature (RFC 8032) over every byte before it
// Total: 160 + P + GI + GO bytes exactly; anything shorter is truncated, anything longer refused.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/ota/ed25519.h"

namespace edgeinfer::ota {

inline constexpr uint8_t kPackageMagic[8] = {'E', 'I', 'O', 'T', 'A', 0, 0, 0};
inline constexpr uint32_t kPackageFormatVersion = 1;
inline constexpr size_t kHeaderBytes = 96;
inline constexpr size_t kTargetFieldBytes = 32;
inline constexpr size_t kSignatureBytes = kEd25519SignatureBytes;
inline constexpr uint32_t kMaxPayloadBytes = 64u << 20;
inline constexpr uint32_t kMaxGoldenBytes = 16u << 20;

// Why a package (or an install step) was refused. Every refusal leaves the running model untouched.
enum class Reason : uint8_t {
  kOk = 0,
  kTruncated,          // shorter than its header says (or than a header)
  kBadMagic,           // not an OTA package
  kUnsupportedFormat,  // a format version we do not read
  kBadHeader,          // a field out of range (sizes, target name, reserved bytes)
  kTrailingBytes,      // longer than its header says
  kWrongTarget,        // built for another device type
  kDowngrade,          // model version <= the confirmed one
  kTooLarge,           // does not fit the device's slot
  kHashMismatch,       // payload SHA-256 differs from the header's
  kBadSignature,       // Ed25519 signature invalid (tampered bytes or another key)
  kStorage,            // a slot or state write/read failed
  kBusy,               // an update is pending confirmation
  kSelfTestFailed,     // the new model did not load, allocate or reproduce the golden output: rolled back
  kUnhealthy,          // a healthy-run check failed after the self-test: rolled back
};
const char* reason_name(Reason reason);  // "truncated", "bad_signature", ...

inline constexpr size_t kMessageBytes = 160;

struct PackageHeader {
  uint32_t format_version = 0;
  uint32_t model_version = 0;
  char target[kTargetFieldBytes] = {};  // NUL-terminated
  uint32_t payload_bytes = 0;
  uint32_t golden_input_bytes = 0;
  uint32_t golden_output_bytes = 0;
  uint8_t payload_sha256[32] = {};

  // Where each part starts in the package, and the whole size.
  uint64_t payload_offset() const { return kHeaderBytes; }
  uint64_t golden_input_offset() const { return kHeaderBytes + uint64_t{payload_bytes}; }
  uint64_t golden_output_offset() const { return golden_input_offset() + golden_input_bytes; }
  uint64_t signature_offset() const { return golden_output_offset() + golden_output_bytes; }
  uint64_t total_bytes() const { return signature_offset() + kSignatureBytes; }
};

// Parses the header from the first `size` bytes of a package and checks every field. kTruncated when fewer
// than kHeaderBytes are given (kBadMagic first if those already disagree with the magic). `message` gets a
// one-line reason (it may be null).
Reason parse_header(const uint8_t* data, size_t size, PackageHeader* header, char* message,
                    size_t message_size);

// parse_header, then the package's total size against `size`: kTruncated or kTrailingBytes.
Reason parse_package(const uint8_t* data, size_t size, PackageHeader* header, char* message,
                     size_t message_size);

// The whole check of a package in memory: parse_package, the payload hash, the signature.
Reason verify_package(const uint8_t* data, size_t size, const uint8_t public_key[kEd25519PublicKeyBytes],
                      PackageHeader* header, char* message, size_t message_size);

// Writes `header`'s fields in the layout above (payload_sha256 included; the packer computes it).
void encode_header(const PackageHeader& header, uint8_t out[kHeaderBytes]);

// A valid target name: 1..31 characters of [A-Za-z0-9._-].
bool is_valid_target(const char* name);

}  // namespace edgeinfer::ota
