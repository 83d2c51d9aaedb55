#include "kernels/reference/signal/sample_fifo.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace edgeinfer {
namespace {

using namespace reference::signal;

std::vector<int16_t> peek(const SampleFifo& fifo, int32_t n) {
  std::vector<int16_t> out(n);
  fifo_peek(fifo, n, out.data());
  return out;
}

TEST(SignalSampleFifo, WrapsAround) {
  std::vector<int16_t> memory(5, 7);
  SampleFifo fifo;
  fifo.data = memory.data();
  fifo.capacity = 5;
  fifo_reset(&fifo);
  EXPECT_EQ(memory, std::vector<int16_t>(5, 0));
  const int16_t a[] = {1, 2, 3, 4};
  fifo_write(&fifo, a, 4);
  fifo_discard(&fifo, 3);
  const int16_t b[] = {5, 6, 7};
  fifo_write(&fifo, b, 3);  // wraps: positions 4, 0, 1
  EXPECT_EQ(fifo.count, 4);
  EXPECT_EQ(peek(fifo, 4), (std::vector<int16_t>{4, 5, 6, 7}));
  fifo_repeat_newest(&fifo, 1, 1);
  EXPECT_EQ(peek(fifo, 5), (std::vector<int16_t>{4, 5, 6, 7, 7}));
  fifo_discard(&fifo, 5);
  EXPECT_EQ(fifo.count, 0);
  fifo_write_zeros(&fifo, 2);
  EXPECT_EQ(peek(fifo, 2), (std::vector<int16_t>{0, 0}));
}

// Random operations within the documented preconditions agree with a std::deque.
TEST(SignalSampleFifo, MatchesADeque) {
  std::mt19937 rng(11);
  for (int capacity = 1; capacity <= 9; ++capacity) {
    std::vector<int16_t> memory(capacity);
    SampleFifo fifo;
    fifo.data = memory.data();
    fifo.capacity = capacity;
    fifo_reset(&fifo);
    std::deque<int16_t> model;
    for (int step = 0; step < 2000; ++step) {
      const int free = capacity - static_cast<int>(model.size());
      switch (rng() % 4) {
        case 0: {
          const int n = free == 0 ? 0 : static_cast<int>(rng() % (free + 1));
          std::vector<int16_t> values(n);
          for (int16_t& v : values) v = static_cast<int16_t>(rng());
          fifo_write(&fifo, values.data(), n);
          model.insert(model.end(), values.begin(), values.end());
          break;
        }
        case 1: {
          const int n = free == 0 ? 0 : static_cast<int>(rng() % (free + 1));
          fifo_write_zeros(&fifo, n);
          model.insert(model.end(), n, 0);
          break;
        }
        case 2: {
          const int n = static_cast<int>(rng() % (model.size() + 1));
          fifo_discard(&fifo, n);
          model.erase(model.begin(), model.begin() + n);
          break;
        }
        case 3: {
          if (model.empty()) break;
          const int n = 1 + static_cast<int>(rng() % model.size());
          const int times = free / n == 0 ? 0 : static_cast<int>(rng() % (free / n + 1));
          fifo_repeat_newest(&fifo, n, times);
          const std::vector<int16_t> newest(model.end() - n, model.end());
          for (int t = 0; t < times; ++t) model.insert(model.end(), newest.begin(), newest.end());
          break;
        }
      }
      ASSERT_EQ(fifo.count, static_cast<int32_t>(model.size()));
      ASSERT_EQ(peek(fifo, fifo.count), std::vector<int16_t>(model.begin(), model.end()));
    }
  }
}

}  // namespace
}  // namespace edgeinfer
