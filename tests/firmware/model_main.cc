// A model firmware: the EdgeInfer runtime with a model built into flash, run on QEMU.
//
// Verifies the model, allocates its arena, fills every input from the LCG (--fill lcg:EI_SEED), invokes and
// prints the outputs as hex with the instructions each step took, then invokes again (state reset, inputs
// refilled) to check that a second run gives the same bytes. Every result line starts with "EI " and holds
// key=value pairs, for scripts/firmware_test.sh.
#include <cstddef>
#include <cstdint>

#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "platform/cortex_m/icount.h"
#include "platform/cortex_m/semihosting.h"
#include "platform/cortex_m/stack.h"

#ifndef EI_SEED
#define EI_SEED 12345
#endif
#ifndef EI_ARENA_BYTES
#define EI_ARENA_BYTES (256 * 1024)
#endif

extern const uint8_t ei_model_data[];
extern const size_t ei_model_data_size;

extern "C" {
extern uint8_t __data_start[], __data_end[], __bss_start[], __bss_end[];
}

namespace cm = edgeinfer::cortex_m;
using edgeinfer::Status;

namespace {

// In RAM, in its own section so that size reports show it apart from .bss.
alignas(edgeinfer::Interpreter::kArenaAlignment)
    __attribute__((section(".arena"))) uint8_t g_arena[EI_ARENA_BYTES];

// Only the kernels the model uses (ei_model_ops.inc, generated from EI_OPS), so only those get linked.
#define EI_OP(op, kernel_namespace, kernel) +1
constexpr int kNumOps = 0
#include "ei_model_ops.inc"
    ;
#undef EI_OP

// The deepest stack use of the whole run: stack_repaint() restarts the measurement, so keep the maximum.
size_t g_stack_peak = 0;
void update_stack_peak() {
  const size_t peak = cm::stack_peak_bytes();
  if (peak > g_stack_peak) g_stack_peak = peak;
}

uint64_t instructions_between(uint64_t t0, uint64_t t1) {
  return cm::ticks_to_instructions(t1 - t0) - cm::icount_overhead_instructions();
}

void line(const char* key, uint64_t value) {
  cm::write(" ");
  cm::write(key);
  cm::write("=");
  cm::write_u64(value);
}

[[noreturn]] void fail(const char* what, const Status& status) {
  cm::write("EI error: ");
  cm::write(what);
  cm::write(": ");
  cm::write(status.message());
  cm::write("\n");
  cm::exit(1);
}

Status fill_inputs(const edgeinfer::Interpreter& interpreter) {
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    EI_RETURN_IF_ERROR(edgeinfer::fill_lcg(interpreter.input(i), EI_SEED));
  }
  return Status::ok();
}

// FNV-1a over all output bytes: compares the two invokes without a copy of the outputs.
uint32_t hash_outputs(const edgeinfer::Interpreter& interpreter) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const edgeinfer::Tensor t = interpreter.output(i);
    const uint8_t* p = static_cast<const uint8_t*>(t.data);
    for (size_t j = 0; j < t.bytes; ++j) h = (h ^ p[j]) * 16777619u;
  }
  return h;
}

// Runs invoke() and reports its instructions and the stack it used beyond the caller's frame.
Status measured_invoke(edgeinfer::Interpreter& interpreter, const char* label) {
  update_stack_peak();
  cm::stack_repaint();
  const uintptr_t sp = cm::stack_pointer();
  const uint64_t t0 = cm::icount_ticks();
  Status status = interpreter.invoke();
  const uint64_t t1 = cm::icount_ticks();
  const size_t used_from_here = cm::stack_peak_bytes() - (cm::stack_top() - sp);
  cm::write("EI invoke");
  cm::write(" run=");
  cm::write(label);
  line("ticks", t1 - t0);
  line("instructions", instructions_between(t0, t1));
  line("stack_bytes", used_from_here);
  cm::write("\n");
  return status;
}

}  // namespace

int main() {
  cm::icount_start();
  cm::write("EI firmware board=" EI_BOARD_NAME " libc=" EI_LIBC_NAME " model=" EI_MODEL_NAME
            " kernels=" EI_KERNELS_NAME);
  line("seed", EI_SEED);
  line("model_bytes", ei_model_data_size);
  line("icount_shift", cm::kIcountShift);
  line("icount_overhead", cm::icount_overhead_instructions());
  cm::write("\n");

  static edgeinfer::MutableOpResolver<kNumOps> resolver;
#define EI_OP(op, kernel_namespace, kernel)                                                         \
  if (Status s = resolver.add(edgeinfer::BuiltinOp::op, edgeinfer::kernel_namespace::kernel()); !s) \
    fail("registering " #kernel_namespace "::" #kernel, s);
#include "ei_model_ops.inc"
#undef EI_OP

  edgeinfer::Model model;
  uint64_t t0 = cm::icount_ticks();
  Status status = edgeinfer::Model::from_bytes(ei_model_data, ei_model_data_size, &model);
  uint64_t t1 = cm::icount_ticks();
  if (!status) fail("loading the model", status);
  cm::write("EI verify");
  line("instructions", instructions_between(t0, t1));
  cm::write("\n");

  // Static: the interpreter's few hundred bytes belong in .bss, not in the stack measurement.
  static edgeinfer::Interpreter interpreter(model, resolver, g_arena, sizeof(g_arena));
  t0 = cm::icount_ticks();
  status = interpreter.allocate();
  t1 = cm::icount_ticks();
  if (!status) fail("allocate", status);
  cm::write("EI allocate");
  line("instructions", instructions_between(t0, t1));
  line("arena_used_bytes", interpreter.arena_used_bytes());
  line("arena_persistent_bytes", interpreter.persistent_bytes());
  line("arena_planned_bytes", interpreter.planned_bytes());
  line("arena_reserved_bytes", sizeof(g_arena));
  cm::write("\n");

  if (Status s = fill_inputs(interpreter); !s) fail("filling the inputs", s);
  if (Status s = measured_invoke(interpreter, "first"); !s) fail("invoke", s);
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const edgeinfer::Tensor t = interpreter.output(i);
    cm::write("EI output index=");
    cm::write_u64(i);
    line("bytes", t.bytes);
    cm::write(" hex=");
    cm::write_hex_bytes(t.data, t.bytes);
    cm::write("\n");
  }
  const uint32_t first_hash = hash_outputs(interpreter);

  // Second run, as the TFLM anchors measure it (after a warm-up); same inputs, state reset: same outputs.
  if (Status s = interpreter.reset_state(); !s) fail("reset_state", s);
  if (Status s = fill_inputs(interpreter); !s) fail("filling the inputs", s);
  if (Status s = measured_invoke(interpreter, "second"); !s) fail("second invoke", s);
  const bool same = hash_outputs(interpreter) == first_hash;

  cm::write("EI ram");
  line("data_bytes", static_cast<uint64_t>(__data_end - __data_start));
  line("bss_bytes", static_cast<uint64_t>(__bss_end - __bss_start));
  line("arena_reserved_bytes", sizeof(g_arena));
  line("stack_reserved_bytes", cm::stack_size());
  update_stack_peak();
  line("stack_peak_bytes", g_stack_peak);
  cm::write("\n");
  if (g_stack_peak >= cm::stack_size()) {
    // No painted word left: the stack overflowed (into nothing on QEMU: below RAM, writes are ignored).
    cm::write("EI error: the stack overflowed its ");
    cm::write_u64(cm::stack_size());
    cm::write(" bytes (link with -Wl,--defsym=__stack_size=N)\n");
    return 1;
  }
  if (!same) {
    cm::write("EI error: the second invoke gave different outputs\n");
    return 1;
  }
  cm::write("EI result=ok\n");
  return 0;
}
