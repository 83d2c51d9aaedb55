// SignalStacker: stacks consecutive frames of num_channels int16 values into one output of
// left_context + 1 + right_context frames, every stacker_step frames, as TFLM's stacker does: the very first
// frame is repeated left_context extra times as padding, and the "valid" output says whether this invoke
// produced a stack (the stack output keeps its previous contents otherwise).
#pragma once

#include <cstdint>

#include "kernels/reference/signal/sample_fifo.h"

namespace edgeinfer {
namespace reference {
namespace signal {

struct StackerParams {
  int32_t num_channels = 0;
  int32_t left_context = 0;
  int32_t right_context = 0;
  int32_t step = 1;  // 1 .. left_context + right_context + 1 frames
};

struct StackerState {
  SampleFifo fifo;  // capacity num_channels * (left_context + right_context + 1)
  bool has_first_frame = false;
};

// Adds one frame; when a full stack is available, writes it to `output` and returns true.
bool stacker_push(const StackerParams& params, StackerState* state, const int16_t* frame, int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
