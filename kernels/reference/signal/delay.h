// SignalDelay: delays a signal by delay_length samples along its innermost dimension, each row (outer
// index) independently, starting from zeros and keeping the delay line across invokes, as TFLM's delay.
#pragma once

#include <cstdint>

#include "kernels/reference/signal/sample_fifo.h"

namespace edgeinfer {
namespace reference {
namespace signal {

// One delay line per row, each holding frame_size + delay_length samples.
struct DelayState {
  SampleFifo* lines = nullptr;  // `rows` FIFOs
  int32_t rows = 0;
  int32_t frame_size = 0;
  int32_t delay_length = 0;
};

// Starts every line with delay_length zeros (the lines' memory is set up by the caller).
void delay_reset(DelayState* state);

// Pushes one frame per row from `input` (rows x frame_size) and pops as many into `output`.
void delay_process(DelayState* state, const int16_t* input, int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
