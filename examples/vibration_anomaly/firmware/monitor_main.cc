// The flagship's whole device pipeline on the Cortex-M4 (mps2-an386 under QEMU): the scenario of
// monitor_scenario.h with the detector built in (detector_data.h, generated at build time from
// `edgeinfer demo vibration --save-detector`: the int8 autoencoder in flash, its input standardization and
// threshold). Prints the scenario's lines (compared with monitor_host's by check_monitor_firmware.sh) and,
// per window, the instructions QEMU counted (icount) for the pipeline and the model:
//   I <window> pipeline=<n> ingest=<n> model=<n>
//     pipeline: sensor window push + features + gate + model inputs + quantization + score + alert logic +
//               statistics, i.e. the monitor's push() calls for the window minus the model's invoke
//     ingest:   the part of it that stores the samples in the window's ring (the pushes that do not
//               complete the window: all of the hop's frames but the last)
//     model:    from the first op's start to the last op's end (an OpObserver)
// then their maxima and means, the arena and the RAM sections.
#include <cstddef>
#include <cstdint>

#include "detector_data.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/model.h"
#include "examples/vibration_anomaly/firmware/monitor_scenario.h"
#include "platform/cortex_m/icount.h"
#include "platform/cortex_m/semihosting.h"
#include "platform/cortex_m/stack.h"

#ifndef EI_ARENA_BYTES
#define EI_ARENA_BYTES 4096
#endif

extern "C" {
extern uint8_t __data_start[], __data_end[], __bss_start[], __bss_end[];
}

namespace cm = edgeinfer::cortex_m;
namespace vib = edgeinfer::vibration;
using edgeinfer::Status;

namespace {

alignas(edgeinfer::Interpreter::kArenaAlignment)
    __attribute__((section(".arena"))) uint8_t g_arena[EI_ARENA_BYTES];

// The model's span inside invoke(): ticks from the first op's start to the last op's end.
class ModelTimer : public edgeinfer::OpObserver {
 public:
  explicit ModelTimer(int num_ops) : last_op_(num_ops - 1) {}
  void on_op_begin(int op_index) override {
    if (op_index == 0) begin_ = cm::icount_ticks();
  }
  void on_op_end(int op_index, const Status&) override {
    if (op_index == last_op_) ticks_ += cm::icount_ticks() - begin_;
  }
  uint64_t take_ticks() {
    const uint64_t t = ticks_;
    ticks_ = 0;
    return t;
  }

 private:
  int last_op_;
  uint64_t begin_ = 0, ticks_ = 0;
};

void write_field(const char* key, uint64_t value) {
  cm::write(" ");
  cm::write(key);
  cm::write("=");
  cm::write_u64(value);
}

struct FirmwareHooks {
  ModelTimer* timer;
  uint64_t push_start = 0;
  uint64_t ingest_ticks = 0;  // pushes that did not complete a window, since the last window
  uint64_t pipeline_max = 0, model_max = 0, pipeline_sum = 0, model_sum = 0, scored_windows = 0;
  uint64_t ingest_sum = 0;

  uint64_t instructions(uint64_t ticks) const {
    const uint64_t n = cm::ticks_to_instructions(ticks), overhead = cm::icount_overhead_instructions();
    return n > overhead ? n - overhead : 0;
  }
  void write(const char* text) { cm::write(text); }
  void before_push() { push_start = cm::icount_ticks(); }
  void after_push(bool window_done, int window) {
    const uint64_t ticks = cm::icount_ticks() - push_start;
    if (!window_done) {
      ingest_ticks += ticks;
      return;
    }
    const uint64_t ingest = cm::ticks_to_instructions(ingest_ticks);
    const uint64_t process = instructions(ticks);
    const uint64_t model = cm::ticks_to_instructions(timer->take_ticks());
    const uint64_t pipeline = ingest + (process > model ? process - model : 0);
    ingest_ticks = 0;
    cm::write("I ");
    cm::write_u64(static_cast<uint64_t>(window));
    write_field("pipeline", pipeline);
    write_field("ingest", ingest);
    write_field("model", model);
    cm::write("\n");
    if (pipeline > pipeline_max) pipeline_max = pipeline;
    if (model > model_max) model_max = model;
    pipeline_sum += pipeline;
    ingest_sum += ingest;
    if (model > 0) {
      model_sum += model;
      ++scored_windows;
    }
  }
};

[[noreturn]] void fail(const char* what, const Status& status) {
  cm::write("error ");
  cm::write(what);
  cm::write(": ");
  cm::write(status.message());
  cm::write("\n");
  cm::exit(1);
}

}  // namespace

int main() {
  cm::icount_start();
  cm::write("vibration monitor firmware board=" EI_BOARD_NAME);
  write_field("model_bytes", sizeof ei_vibration_model);
  write_field("icount_overhead", cm::icount_overhead_instructions());
  cm::write("\n");

  static edgeinfer::MutableOpResolver<vib::scenario::kNumOps> resolver;
  if (Status s = vib::scenario::register_kernels(&resolver); !s) fail("registering the kernels", s);
  static edgeinfer::Model model;
  if (Status s = edgeinfer::Model::from_bytes(ei_vibration_model, sizeof ei_vibration_model, &model); !s)
    fail("loading the model", s);
  static edgeinfer::Interpreter interpreter(model, resolver, g_arena, sizeof g_arena);
  if (Status s = interpreter.allocate(); !s) fail("allocate", s);
  cm::write("arena");
  write_field("used_bytes", interpreter.arena_used_bytes());
  write_field("reserved_bytes", sizeof g_arena);
  cm::write("\n");

  static ModelTimer timer(model.num_ops());
  interpreter.set_observer(&timer);
  vib::DetectorParams params;
  for (int i = 0; i < vib::kModelInputs; ++i) {
    params.input_mean[i] = ei_vibration_input_mean[i];
    params.input_std[i] = ei_vibration_input_std[i];
  }
  params.score_threshold = ei_vibration_score_threshold;

  static FirmwareHooks hooks{&timer};
  cm::stack_repaint();
  if (!vib::scenario::run(&interpreter, params, hooks)) cm::exit(1);

  const uint64_t windows = vib::scenario::kSeconds - 1;
  cm::write("instructions_per_window");
  write_field("pipeline_max", hooks.pipeline_max);
  write_field("pipeline_mean", hooks.pipeline_sum / windows);
  write_field("ingest_mean", hooks.ingest_sum / windows);
  write_field("model_max", hooks.model_max);
  write_field("model_mean", hooks.scored_windows ? hooks.model_sum / hooks.scored_windows : 0);
  cm::write("\n");
  cm::write("ram");
  write_field("data_bytes", static_cast<uint64_t>(__data_end - __data_start));
  write_field("bss_bytes", static_cast<uint64_t>(__bss_end - __bss_start));
  write_field("arena_reserved_bytes", sizeof g_arena);
  write_field("stack_reserved_bytes", cm::stack_size());
  write_field("stack_peak_bytes", cm::stack_peak_bytes());
  // The device's own state (window ring, planar copy, feature workspace, gates, statistics) apart from the
  // test harness's (the simulator, its schedule and the frame buffer, also in .bss).
  write_field("monitor_bytes", sizeof(vib::VibrationMonitor));
  write_field("interpreter_bytes", sizeof(edgeinfer::Interpreter));
  cm::write("\n");
  cm::exit(0);
}
