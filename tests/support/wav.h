// Reads 16-bit PCM WAV files (the Speech Commands clips of ../shared/data/micro_speech) for tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace edgeinfer::testing {

struct WavAudio {
  int sample_rate = 0;
  int channels = 0;
  std::vector<int16_t> samples;  // interleaved when channels > 1
};

// Parses a RIFF/WAVE file with 16-bit PCM data. Returns false and sets `error` for anything else or for a
// truncated file.
bool read_wav(const std::filesystem::path& path, WavAudio* audio, std::string* error);

}  // namespace edgeinfer::testing
