#include "platform/cortex_m/semihosting.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

// Semihosting operation numbers (Arm "Semihosting for AArch32 and AArch64", version 2).
constexpr uint32_t kSysWriteC = 0x03;
constexpr uint32_t kSysWrite0 = 0x04;
constexpr uint32_t kSysExit = 0x18;  // angel_SWIreason_ReportException ("angel_SWIExit")
constexpr uint32_t kSysExitExtended = 0x20;
constexpr uint32_t kAdpStoppedApplicationExit = 0x20026;

uint32_t semihost(uint32_t op, const void* arg) {
  register uint32_t r0 asm("r0") = op;
  register const void* r1 asm("r1") = arg;
  // "memory": the host reads the buffers r1 points to.
  asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

void write(const char* text) {
  semihost(kSysWrite0, text);
}

void write_char(char c) {
  semihost(kSysWriteC, &c);
}

void write_u64(uint64_t value) {
  char buffer[21];
  char* p = buffer + sizeof(buffer);
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  write(p);
}

void write_i64(int64_t value) {
  if (value < 0) {
    write_char('-');
    write_u64(0 - static_cast<uint64_t>(value));
  } else {
    write_u64(static_cast<uint64_t>(value));
  }
}

void write_hex32(uint32_t value) {
  static const char kDigits[] = "0123456789abcdef";
  char buffer[11] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) buffer[2 + i] = kDigits[(value >> (28 - 4 * i)) & 0xF];
  buffer[10] = '\0';
  write(buffer);
}

void write_hex_bytes(const void* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  // Chunks: one semihosting call per 64 bytes rather than per character (each call is a trap to QEMU).
  char buffer[2 * 64 + 1];
  while (size > 0) {
    const size_t chunk = size < 64 ? size : 64;
    for (size_t i = 0; i < chunk; ++i) {
      buffer[2 * i] = kDigits[bytes[i] >> 4];
      buffer[2 * i + 1] = kDigits[bytes[i] & 0xF];
    }
    buffer[2 * chunk] = '\0';
    write(buffer);
    bytes += chunk;
    size -= chunk;
  }
}

void exit(int status) {
  // SYS_EXIT_EXTENDED carries the status; plain SYS_EXIT on AArch32 can only say "success" or "failure",
  // so fall back to it if the host does not implement the extended call.
  const uint32_t block[2] = {kAdpStoppedApplicationExit, static_cast<uint32_t>(status)};
  semihost(kSysExitExtended, block);
  semihost(kSysExit, reinterpret_cast<const void*>(status == 0 ? kAdpStoppedApplicationExit : 0x20023));
  for (;;) asm volatile("bkpt 0");
}

}  // namespace cortex_m
}  // namespace edgeinfer
