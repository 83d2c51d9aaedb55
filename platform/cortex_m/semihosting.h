// Console output and exit through Arm semihosting (BKPT 0xAB): the firmware talks to QEMU
// (`-semihosting-config enable=on,target=native`) or to a debugger, with no UART driver and no OS.
// On real hardware with no debugger attached, BKPT escalates to a HardFault: use these only under QEMU or a
// debug probe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {
namespace cortex_m {

// A zero-terminated string (SYS_WRITE0).
void write(const char* text);
// One character (SYS_WRITEC).
void write_char(char c);
// Decimal and hexadecimal numbers, with no printf (keeps newlib's formatter and its heap hooks out of our
// code paths).
void write_u64(uint64_t value);
void write_i64(int64_t value);
void write_hex32(uint32_t value);  // "0x" and 8 digits
// Bytes as lowercase hex pairs, no separators ("f8017f").
void write_hex_bytes(const void* data, size_t size);

// Ends the program: QEMU exits with `status` (SYS_EXIT_EXTENDED, ADP_Stopped_ApplicationExit + subcode).
[[noreturn]] void exit(int status);

}  // namespace cortex_m
}  // namespace edgeinfer
