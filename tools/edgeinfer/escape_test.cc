#include "tools/edgeinfer/escape.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/output_file.h"

namespace edgeinfer::cli {
namespace {

TEST(EscapeTest, KeepsPrintableUtf8) {
  EXPECT_EQ(printable("conv2d/weights:0"), "conv2d/weights:0");
  EXPECT_EQ(printable("gewicht_\xC3\xA4\xE2\x82\xAC\xF0\x9F\x99\x82"),
            "gewicht_\xC3\xA4\xE2\x82\xAC\xF0\x9F\x99\x82");
  EXPECT_EQ(printable(""), "");
}

TEST(EscapeTest, EscapesControlCharactersAndBackslash) {
  EXPECT_EQ(printable("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(printable(std::string_view("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1B[31mred");
  EXPECT_EQ(printable("\x7f"), "\\x7F");
  EXPECT_EQ(printable("a\\b"), "a\\\\b");
  EXPECT_EQ(printable("\xC2\x9B"), "\\u{009B}");  // C1 CSI
  EXPECT_EQ(printable("a\xE2\x80\xAE"
                      "b"),
            "a\\u{202E}b");                           // right-to-left override
  EXPECT_EQ(printable("\xE2\x80\xA8"), "\\u{2028}");  // line separator
}

TEST(EscapeTest, EscapesEveryByteOfInvalidUtf8) {
  EXPECT_EQ(printable("\xff"), "\\xFF");
  EXPECT_EQ(printable("ab\xC3"), "ab\\xC3");                         // truncated sequence at the end
  EXPECT_EQ(printable("\xC0\x80"), "\\xC0\\x80");                    // overlong NUL
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xED\\xA0\\x80");           // surrogate
  EXPECT_EQ(printable("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(printable("\xE2\x82"
                      "A"),
            "\\xE2\\x82A");
}

TEST(EscapeTest, OutputIsValidUtf8OnOneLineForEveryByteString) {
  // Every 1- and 2-byte string, and 3-byte strings over the interesting lead bytes.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char bytes[2] = {static_cast<char>(a), static_cast<char>(b)};
      const std::string out = printable(std::string_view(bytes, 2));
      ASSERT_TRUE(is_valid_utf8(out)) << a << " " << b;
      ASSERT_EQ(out.find('\n'), std::string::npos);
      for (unsigned char c : out) ASSERT_TRUE(c >= 0x20 && c != 0x7F) << a << " " << b;
    }
  }
}

TEST(EscapeTest, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x99\x82"));
  EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x99"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_EQ(utf8_sequence_length("\xE0\xA0\x80"), 3u);
  EXPECT_EQ(utf8_sequence_length("\xE0\x9F\x80"), 0u);  // overlong
}

TEST(EscapeTest, JsonTextReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json json;
  json["name"] = "bad\xff\xfe name";
  json["keys"]["\xC3"] = 1;
  json["ok"] = "caf\xC3\xA9";
  EXPECT_THROW(json.dump(), nlohmann::json::type_error);  // the bug: type_error 316
  const std::string text = json_text(json);
  for (unsigned char c : text) EXPECT_LT(c, 0x80);  // ASCII only
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["name"], "bad\xEF\xBF\xBD\xEF\xBF\xBD name");
  EXPECT_EQ(parsed["ok"], "caf\xC3\xA9");
  EXPECT_TRUE(parsed["keys"].contains("\xEF\xBF\xBD"));
}

std::filesystem::path temp_dir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("edgeinfer_output_file_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t files_in(const std::filesystem::path& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(OutputFileTest, WritesOnlyOnCommitAndRemovesTheTemporaryOtherwise) {
  const auto dir = temp_dir();
  const auto path = dir / "out.bin";
  {
    OutputFile out(path.string());
    out.write("partial");
    EXPECT_TRUE(std::filesystem::exists(out.temp_path()));
    EXPECT_EQ(out.temp_path().rfind(path.string(), 0), 0u) << "beside the destination";
    EXPECT_FALSE(std::filesystem::exists(path));
  }  // not committed: a failed command
  EXPECT_EQ(files_in(dir), 0u);
  {
    OutputFile out(path.string());
    out.write("complete");
    out.commit();
  }
  EXPECT_EQ(read_text(path), "complete");
  EXPECT_EQ(files_in(dir), 1u);
  std::filesystem::remove_all(dir);
}

TEST(OutputFileTest, CommitAllIsAllOrNothing) {
  const auto dir = temp_dir();
  std::filesystem::create_directory(dir / "taken");  // a directory: renaming a file over it fails
  OutputFile first((dir / "a.cc").string());
  OutputFile second((dir / "taken").string());
  first.write("a");
  second.write("b");
  EXPECT_THROW(commit_all({&first, &second}), CliError);
  EXPECT_FALSE(std::filesystem::exists(dir / "a.cc")) << "the first file was renamed, then removed again";
  EXPECT_EQ(files_in(dir), 1u) << "only the directory; no temporary file";
  std::filesystem::remove_all(dir);
}

TEST(OutputFileTest, UnwritableDirectoryIsAOneLineError) {
  try {
    OutputFile out("/no/such/dir/out.bin");
    FAIL() << "no error";
  } catch (const CliError& error) {
    EXPECT_EQ(error.message, "/no/such/dir/out.bin: cannot write (No such file or directory)");
  }
}

}  // namespace
}  // namespace edgeinfer::cli
