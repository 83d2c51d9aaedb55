// What the startup code and the C/C++ runtime expect from the platform: constructors, exit, fault reports,
// and the few C library hooks that get linked in.
#include <cstddef>
#include <cstdint>

#include "platform/cortex_m/semihosting.h"

namespace cm = edgeinfer::cortex_m;

extern "C" {

typedef void (*InitFunction)();
extern InitFunction __preinit_array_start[], __preinit_array_end[];
extern InitFunction __init_array_start[], __init_array_end[];

extern char __tls_base[];
// picolibc keeps errno in thread-local storage and finds it through a pointer _set_tls() sets (its crt0
// would); newlib has no TLS. Weak: null when the C library does not define it.
void _set_tls(void* tls) __attribute__((weak));

// Called by Reset_Handler before main(): the C library's TLS pointer, then C++ constructors. Our own loop
// rather than newlib's __libc_init_array, which would also call _init() from crti.o (not linked).
void ei_run_constructors() {
  if (_set_tls) _set_tls(__tls_base);
  for (InitFunction* f = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (InitFunction* f = __init_array_start; f < __init_array_end; ++f) (*f)();
}

// Called by Reset_Handler with main()'s result.
[[noreturn]] void ei_exit(int status) {
  cm::exit(status);
}

// Reached through ei_default_exception_entry (startup.S) for any exception without a handler.
[[noreturn]] void ei_fault_handler(const uint32_t* frame, uint32_t exc_return) {
  uint32_t ipsr;
  asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  const uint32_t exception = ipsr & 0x1FF;
  volatile const uint32_t* const scb = reinterpret_cast<volatile const uint32_t*>(0xE000ED00u);
  cm::write("\nEI fault: exception ");
  cm::write_u64(exception);
  cm::write(" pc=");
  cm::write_hex32(frame[6]);
  cm::write(" lr=");
  cm::write_hex32(frame[5]);
  cm::write(" cfsr=");
  cm::write_hex32(scb[0x28 / 4]);
  cm::write(" hfsr=");
  cm::write_hex32(scb[0x2C / 4]);
  cm::write(" mmfar=");
  cm::write_hex32(scb[0x34 / 4]);
  cm::write(" bfar=");
  cm::write_hex32(scb[0x38 / 4]);
  cm::write("\n");
  (void)exc_return;
  cm::exit(128 + static_cast<int>(exception & 0x7F));
}

// assert() failures (builds without NDEBUG; flatbuffers' FLATBUFFERS_ASSERT too). Defined here so that
// newlib's version, which prints through stdio (FILE buffers, malloc, signals: ~10 KB), is not linked.
[[noreturn]] void __assert_func(const char* file, int line, const char* function, const char* expression) {
  cm::write("\nEI fault: assertion failed: ");
  cm::write(expression);
  cm::write(" (");
  cm::write(file);
  cm::write(":");
  cm::write_u64(static_cast<uint64_t>(line));
  cm::write(function ? ", " : "");
  cm::write(function ? function : "");
  cm::write(")\n");
  cm::exit(126);
}

// The heap: there is none. newlib-nano's snprintf family references malloc (only to grow asprintf buffers,
// never for a fixed buffer), which references _sbrk: the link needs it, and any call means some code used the
// heap after all, which the firmware reports and stops on.
void* _sbrk(ptrdiff_t increment) {
  cm::write("\nEI fault: heap use (malloc) in heap-free firmware\n");
  cm::exit(125);
}

// A pure virtual call is a bug; report it like a fault.
[[noreturn]] void __cxa_pure_virtual() {
  cm::write("\nEI fault: pure virtual call\n");
  cm::exit(127);
}

}  // extern "C"
