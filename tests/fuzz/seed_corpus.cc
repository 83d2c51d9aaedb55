// Writes the libFuzzer seed corpus: the builder-made models of tests/robustness/builder_models.h, one file
// each, into the directory given as the only argument (scripts/fuzz.sh calls it).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/robustness/builder_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int written = 0;
  for (const auto& [name, build] : edgeinfer::robustness::builder_models()) {
    const std::vector<uint8_t> bytes = build();
    std::ofstream out(dir / (name + ".tflite"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / (name + ".tflite")).c_str());
      return 1;
    }
    ++written;
  }
  std::printf("wrote %d seed models to %s\n", written, dir.c_str());
  return 0;
}
