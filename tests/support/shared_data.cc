#include "tests/support/shared_data.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace edgeinfer::testing {

std::optional<std::filesystem::path> shared_dir() {
  const char* from_environment = std::getenv("EDGEINFER_SHARED_DIR");
  std::filesystem::path dir =
      from_environment && *from_environment ? from_environment : EDGEINFER_SHARED_DIR_DEFAULT;
  std::error_code error;
  if (!std::filesystem::is_directory(dir / "models", error)) return std::nullopt;
  return dir;
}

std::vector<std::filesystem::path> shared_models() {
  std::vector<std::filesystem::path> models;
  auto dir = shared_dir();
  if (!dir) return models;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(*dir / "models"))
    if (entry.is_regular_file() && entry.path().extension() == ".tflite") models.push_back(entry.path());
  std::sort(models.begin(), models.end());
  return models;
}

std::vector<int64_t> read_csv_integers(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<int64_t> values;
  std::string field;
  while (std::getline(in, field, ',')) {
    std::stringstream stream(field);
    int64_t value;
    if (stream >> value) values.push_back(value);
  }
  return values;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::string error;
  auto bytes = host::read_file(path.string(), &error);
  return bytes ? *bytes : std::vector<uint8_t>{};
}

std::filesystem::path edgeinfer_cli() {
  const char* from_environment = std::getenv("EDGEINFER_BINARY_DIR");
  const std::filesystem::path dir =
      from_environment && *from_environment ? from_environment : EDGEINFER_BINARY_DIR;
  return dir / "bin" / "edgeinfer";
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> chunk;
  size_t n;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) result.output.append(chunk.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace edgeinfer::testing
