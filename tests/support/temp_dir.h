// Test files on disk: a fresh directory per test (named after the process and the test, removed after it),
// and the bytes of the small dataset files the data and CLI tests write (IDX, gzip).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace edgeinfer::testing {

// Fixture base: dir_ exists and is empty when a test starts, and is gone after it. A subclass that overrides
// SetUp() calls TempDirTest::SetUp() first.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes DIR/name (creating its directories) and returns its path.
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const;
  std::string write(const std::string& name, const std::string& text) const;
  std::vector<uint8_t> read(const std::string& name) const;

  std::filesystem::path dir_;
};

// An IDX file of unsigned bytes: 00 00 08 NDIMS, big-endian dimensions, then the values.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& shape, const std::vector<uint8_t>& values);

// `plain` in the gzip format (zlib with the gzip wrapper).
std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& plain);

}  // namespace edgeinfer::testing
