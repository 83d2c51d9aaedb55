#include "tests/support/wav.h"

#include <cstring>

#include "tests/support/shared_data.h"

namespace edgeinfer::testing {
namespace {

uint32_t le32(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

}  // namespace

bool read_wav(const std::filesystem::path& path, WavAudio* audio, std::string* error) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 ||
      std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    *error = "not a RIFF/WAVE file";
    return false;
  }
  bool have_format = false;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const uint8_t* chunk = bytes.data() + at;
    const uint32_t size = le32(chunk + 4);
    if (size > bytes.size() - at - 8) {
      *error = "chunk runs past the end of the file";
      return false;
    }
    const uint8_t* body = chunk + 8;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16 || le16(body) != 1 || le16(body + 14) != 16) {
        *error = "not 16-bit PCM";
        return false;
      }
      audio->channels = le16(body + 2);
      audio->sample_rate = static_cast<int>(le32(body + 4));
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_format) {
        *error = "data chunk before fmt chunk";
        return false;
      }
      audio->samples.resize(size / 2);
      for (size_t i = 0; i < audio->samples.size(); ++i)
        audio->samples[i] = static_cast<int16_t>(le16(body + 2 * i));
      return true;
    }
    at += 8 + size + (size & 1);  // chunks are padded to even sizes
  }
  *error = "no data chunk";
  return false;
}

}  // namespace edgeinfer::testing
