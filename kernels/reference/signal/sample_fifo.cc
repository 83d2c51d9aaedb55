#include "kernels/reference/signal/sample_fifo.h"

#include <cstring>

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

// Position `offset` samples after the head, wrapped into [0, capacity).
int32_t wrap(const SampleFifo& fifo, int64_t offset) {
  const int64_t position = fifo.head + offset;
  return static_cast<int32_t>(position >= fifo.capacity ? position - fifo.capacity : position);
}

// Copies `n` values into the ring starting at `start`, in at most two pieces.
void copy_in(SampleFifo* fifo, int32_t start, const int16_t* values, int32_t n) {
  const int32_t first = n < fifo->capacity - start ? n : fifo->capacity - start;
  std::memcpy(fifo->data + start, values, static_cast<size_t>(first) * sizeof(int16_t));
  std::memcpy(fifo->data, values + first, static_cast<size_t>(n - first) * sizeof(int16_t));
}

}  // namespace

void fifo_reset(SampleFifo* fifo) {
  fifo->head = 0;
  fifo->count = 0;
  std::memset(fifo->data, 0, static_cast<size_t>(fifo->capacity) * sizeof(int16_t));
}

void fifo_write(SampleFifo* fifo, const int16_t* values, int32_t n) {
  if (n <= 0) return;
  copy_in(fifo, wrap(*fifo, fifo->count), values, n);
  fifo->count += n;
}

void fifo_write_zeros(SampleFifo* fifo, int32_t n) {
  for (int32_t i = 0; i < n; ++i) fifo->data[wrap(*fifo, fifo->count + i)] = 0;
  if (n > 0) fifo->count += n;
}

void fifo_repeat_newest(SampleFifo* fifo, int32_t n, int32_t times) {
  if (n <= 0) return;
  // The source samples stay where they are while the copies go into free space after them.
  const int64_t source = fifo->count - n;
  for (int32_t t = 0; t < times; ++t) {
    for (int32_t i = 0; i < n; ++i) {
      fifo->data[wrap(*fifo, fifo->count + i)] = fifo->data[wrap(*fifo, source + i)];
    }
    fifo->count += n;
  }
}

void fifo_peek(const SampleFifo& fifo, int32_t n, int16_t* out) {
  if (n <= 0) return;
  const int32_t first = n < fifo.capacity - fifo.head ? n : fifo.capacity - fifo.head;
  std::memcpy(out, fifo.data + fifo.head, static_cast<size_t>(first) * sizeof(int16_t));
  std::memcpy(out + first, fifo.data, static_cast<size_t>(n - first) * sizeof(int16_t));
}

void fifo_discard(SampleFifo* fifo, int32_t n) {
  fifo->head = wrap(*fifo, n);
  fifo->count -= n;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
