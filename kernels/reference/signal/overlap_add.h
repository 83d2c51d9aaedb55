// SignalOverlapAdd (TFLM's Signal library): a stateful op that rebuilds a signal from overlapping frames.
// Each frame of frame_size samples is added into a frame_size accumulator (int16: saturating; float: plain
// sum); its first frame_step samples are emitted and the accumulator moves on by frame_step, filling with
// zeros. Every row of frames (all dimensions but the last two) has its own accumulator in persistent memory.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// Adds `frames` frames of `frame_size` samples into `accumulator` (frame_size values) and writes
// frames x frame_step samples; 1 <= frame_step <= frame_size.
void overlap_add_int16(const int16_t* input, int32_t frames, int32_t frame_size, int32_t frame_step,
                       int16_t* accumulator, int16_t* output);
void overlap_add_float(const float* input, int32_t frames, int32_t frame_size, int32_t frame_step,
                       float* accumulator, float* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
