// A fixed-capacity FIFO of int16 samples over caller-provided memory: the ring buffer behind SignalStacker
// and SignalDelay. It holds what TFLM's circular buffer holds, in the same order, for every sequence of
// calls those ops make (they never overfill or over-read it; the callers' prepare() checks guarantee that).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

struct SampleFifo {
  int16_t* data = nullptr;  // `capacity` samples
  int32_t capacity = 0;
  int32_t head = 0;   // index of the oldest sample
  int32_t count = 0;  // samples held
};

// Empties `fifo` and zeroes its memory.
void fifo_reset(SampleFifo* fifo);
// Appends `n` samples (n <= capacity - count).
void fifo_write(SampleFifo* fifo, const int16_t* values, int32_t n);
// Appends `n` zeros (n <= capacity - count).
void fifo_write_zeros(SampleFifo* fifo, int32_t n);
// Appends the newest `n` samples again, `times` times (n <= count, n * times <= capacity - count).
void fifo_repeat_newest(SampleFifo* fifo, int32_t n, int32_t times);
// Copies the oldest `n` samples out without removing them (n <= count).
void fifo_peek(const SampleFifo& fifo, int32_t n, int16_t* out);
// Removes the oldest `n` samples (n <= count).
void fifo_discard(SampleFifo* fifo, int32_t n);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
