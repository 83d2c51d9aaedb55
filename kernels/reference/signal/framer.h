// SignalFramer (TFLM's Signal library): a stateful op that turns a stream of int16 samples into overlapping
// frames. Each invoke feeds frame_step samples per frame slot; once frame_size samples are buffered, a slot
// receives the oldest frame_size of them and the buffer drops its oldest frame_step. With prefill, the
// buffer starts with frame_size - frame_step zeros so the first invoke already yields frames. The "valid"
// output is false when any slot had no frame yet; such slots are zeroed (the op's documented output;
// TFLM leaves them as they were).
//
// Every innermost input row has its own buffer, kept in persistent memory across invokes.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

struct FramerParams {
  int32_t frame_size = 0;
  int32_t frame_step = 0;
  bool prefill = false;
};

// Samples one row's buffer holds: frame_size rounded up to a multiple of frame_step (never exceeded).
int64_t framer_capacity(const FramerParams& params);

// One row's state: `samples` (framer_capacity() values) and how many of them are buffered.
struct FramerRow {
  int16_t* samples = nullptr;
  int32_t* available = nullptr;
};

// The state before the first invoke (empty, or frame_size - frame_step zeros with prefill).
void framer_reset(const FramerParams& params, const FramerRow& row);

// Feeds `frames` * frame_step samples of one row and writes `frames` frames of frame_size samples; returns
// false when some frame was not ready (and zeroed).
bool framer_push(const FramerParams& params, const FramerRow& row, const int16_t* input, int32_t frames,
                 int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
