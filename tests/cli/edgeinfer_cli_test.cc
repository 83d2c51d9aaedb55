// The edgeinfer CLI as a user runs it: exit codes, one-line errors, exact arena behaviour, output files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/robustness/builder_models.h"
#include "tests/robustness/cli_models.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

using testing::run_command;

std::string cli() {
  return testing::edgeinfer_cli().string();
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("edgeinfer_cli_test_" + std::to_string(getpid()) + "_" + name);
}

// The demo model, saved by the demo itself: the CLI tests need no shared data.
std::filesystem::path demo_model() {
  static const std::filesystem::path path = [] {
    const auto file = temp_file("demo.tflite");
    const auto result = run_command(cli() + " demo --save " + file.string());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return file;
  }();
  return path;
}

TEST(CliTest, DemoRunsAndExplainsItself) {
  const auto result = run_command(cli() + " demo");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("bearing fault"), std::string::npos);
  EXPECT_NE(result.output.find("ALERT"), std::string::npos);
  EXPECT_NE(result.output.find("arena"), std::string::npos);
}

TEST(CliTest, HelpWorksForEverySubcommand) {
  for (const std::string sub : {"", " demo", " export", " inspect", " run", " size"}) {
    const auto result = run_command(cli() + sub + " --help");
    EXPECT_EQ(result.exit_code, 0) << sub << ": " << result.output;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_NE(run_command(cli() + " run --help").output.find("--stream"), std::string::npos);
}

TEST(CliTest, InspectJsonReportsArenaThatRunsExactlyAndFailsWithOneByteLess) {
  const auto inspect = run_command(cli() + " inspect --json " + demo_model().string());
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  const auto json = nlohmann::json::parse(inspect.output);
  const size_t arena = json["arena_bytes"].get<size_t>();
  EXPECT_GT(arena, 0u);
  EXPECT_EQ(json["op_counts"]["FULLY_CONNECTED"], 2);
  EXPECT_EQ(json["total_macs"], 8 * 3 + 3 * 8);

  const auto exact =
      run_command(cli() + " run " + demo_model().string() + " --fill lcg:1 --arena " + std::to_string(arena));
  EXPECT_EQ(exact.exit_code, 0) << exact.output;
  const auto smaller = run_command(cli() + " run " + demo_model().string() + " --fill lcg:1 --arena " +
                                   std::to_string(arena - 1));
  EXPECT_EQ(smaller.exit_code, 1) << smaller.output;
  EXPECT_NE(smaller.output.find("needs " + std::to_string(arena)), std::string::npos) << smaller.output;
  EXPECT_EQ(std::count(smaller.output.begin(), smaller.output.end(), '\n'), 1) << "one-line error";
}

TEST(CliTest, RunWritesOutputBytesAndAcceptsInputFiles) {
  const auto out_fill = temp_file("fill.bin");
  auto result =
      run_command(cli() + " run " + demo_model().string() + " --fill lcg:7 --output " + out_fill.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto filled = testing::read_bytes(out_fill);
  EXPECT_EQ(filled.size(), 8u);  // one int8 [1,8] output

  // The same input given as a file produces the same output.
  std::vector<uint8_t> input(8);
  uint32_t x = 7;
  for (auto& v : input) v = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  const auto in_file = temp_file("in.bin");
  std::ofstream(in_file, std::ios::binary).write(reinterpret_cast<const char*>(input.data()), input.size());
  const auto out_file = temp_file("file.bin");
  result = run_command(cli() + " run " + demo_model().string() + " --input " + in_file.string() +
                       " --output " + out_file.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(testing::read_bytes(out_file), filled);
}

TEST(CliTest, RunReportsLatencyAsJson) {
  const auto result = run_command(cli() + " run " + demo_model().string() + " --fill lcg:3 --runs 5 --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["runs"], 5);
  EXPECT_GE(json["median_us"].get<double>(), json["min_us"].get<double>());
  EXPECT_EQ(json["outputs"][0]["values"].size(), 8u);
}

TEST(CliTest, BadInputsGiveOneLineErrors) {
  const std::string model = demo_model().string();
  const auto short_file = temp_file("short.bin");
  std::ofstream(short_file, std::ios::binary) << "abc";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" run /no/such/model.tflite --fill lcg:1", "cannot open"},
      {" run " + model, "no input data"},
      {" run " + model + " --fill lcg:abc", "--fill seed"},
      {" run " + model + " --fill random:1", "lcg:SEED"},
      {" run " + model + " --fill lcg:99999999999", "32-bit"},
      {" run " + model + " --input " + short_file.string(), "3 bytes, input 0 (int8 [1,8]) needs 8"},
      {" run " + model + " --input a --input b", "model has 1 inputs, got 2"},
      {" run " + model + " --input " + short_file.string() + " --fill lcg:1", "not both"},
      {" inspect " + short_file.string(), "model is only 3 bytes"},
      {" inspect /tmp", "/tmp: is a directory"},
      {" run /tmp --fill lcg:1", "/tmp: is a directory"},
      {" inspect " + model + " --kernels fast", "--kernels fast: expected reference or optimized"},
      {" inspect " + model + " --optimized-ops CONV_2D", "--optimized-ops needs --kernels optimized"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
  EXPECT_NE(run_command(cli() + " run " + model + " --runs 0 --fill lcg:1").exit_code, 0);
  EXPECT_NE(run_command(cli() + " frobnicate").exit_code, 0);
}

TEST(CliTest, RunOutputMatchesTflmGolden) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto out = temp_file("hello.bin");
  const auto result =
      run_command(cli() + " run " + (shared / "models/tflm/hello_world_int8.tflite").string() +
                  " --fill lcg:12345 --output " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(testing::read_bytes(out),
            testing::read_bytes(shared / "golden/tflm/hello_world_int8.seed12345.bin"));
}

std::string read_text(const std::filesystem::path& path) {
  const auto bytes = testing::read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// The bytes of the array in an exported .cc ("0x1c, 0x00, ..." between the braces).
std::vector<uint8_t> exported_bytes(const std::string& source) {
  std::vector<uint8_t> bytes;
  const size_t open = source.find("] = {");
  const size_t close = source.find("};", open);
  for (size_t i = source.find("0x", open); i < close; i = source.find("0x", i + 4))
    bytes.push_back(static_cast<uint8_t>(std::stoul(source.substr(i + 2, 2), nullptr, 16)));
  return bytes;
}

TEST(CliTest, ExportWritesTheVerifiedModelAsAnAlignedArray) {
  const auto source = temp_file("model_data.cc");
  const auto header = temp_file("model_data.h");
  const auto result =
      run_command(cli() + " export " + demo_model().string() + " --format cc -o " + source.string() +
                  " --name g_demo_model --section .model --header " + header.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string text = read_text(source);
  const auto model = testing::read_bytes(demo_model());
  EXPECT_NE(text.find("extern const uint8_t g_demo_model[];"), std::string::npos) << text.substr(0, 600);
  EXPECT_NE(text.find("alignas(16) __attribute__((section(\".model\"))) const uint8_t g_demo_model[] = {"),
            std::string::npos);
  EXPECT_NE(text.find("const size_t g_demo_model_size = " + std::to_string(model.size()) + ";"),
            std::string::npos);
  EXPECT_EQ(exported_bytes(text), model);
  const std::string declarations = read_text(header);
  EXPECT_NE(declarations.find("extern const uint8_t g_demo_model[];"), std::string::npos) << declarations;
  EXPECT_NE(declarations.find("extern const size_t g_demo_model_size;"), std::string::npos) << declarations;
  EXPECT_FALSE(std::filesystem::exists(source.string() + ".tmp." + std::to_string(getpid())));

  // Default name from the file name, no section attribute unless asked for.
  const auto plain = temp_file("plain.cc");
  ASSERT_EQ(run_command(cli() + " export " + demo_model().string() + " -o " + plain.string()).exit_code, 0);
  const std::string plain_text = read_text(plain);
  const std::string stem = "edgeinfer_cli_test_" + std::to_string(getpid()) + "_demo_model_data";
  EXPECT_NE(plain_text.find("alignas(16) const uint8_t " + stem + "[] = {"), std::string::npos)
      << plain_text.substr(0, 600);
  EXPECT_EQ(plain_text.find("section"), std::string::npos);
}

TEST(CliTest, ExportRefusesBadModelsAndNames) {
  const std::string model = demo_model().string();
  const std::string out = temp_file("refused.cc").string();
  const auto short_file = temp_file("short.tflite");
  std::ofstream(short_file, std::ios::binary) << "abc";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" export /no/such/model.tflite -o " + out, "cannot open"},
      {" export " + short_file.string() + " -o " + out, "model is only 3 bytes"},
      {" export " + model + " --format bin -o " + out, "--format bin is not supported"},
      {" export " + model + " -o " + out + " --name 9lives", "not a C identifier"},
      {" export " + model + " -o " + out + " --name 'a-b'", "not a C identifier"},
      {" export " + model + " -o " + out + " --name int", "keyword"},
      {" export " + model + " -o " + out + " --name __model", "reserved"},
      {" export " + model + " -o " + out + " --section '.model\"x'", "not a section name"},
      {" export " + model + " -o " + model, "refusing to overwrite the model"},
      {" export " + model + " -o /no/such/dir/model.cc", "/no/such/dir/model.cc: cannot write"},
      {" export /tmp -o " + out, "/tmp: is a directory"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing written for a refused export";
  EXPECT_EQ(testing::read_bytes(model).size(), testing::read_bytes(demo_model()).size());
}

// A minimal firmware: an ELF header (size reads only the map) and a map in GNU ld's layout.
constexpr const char* kTinyMap = R"(Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x00000000         0x00400000         xr
RAM              0x20000000         0x00400000         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

.text           0x00000000      0x300
 .text          0x00000000      0x100 libedgeinfer_runtime.a(interpreter.cc.obj)
 .text          0x00000100       0x80 libedgeinfer_kernels.a(fully_connected.cc.obj)
 .text          0x00000180       0x80 /usr/lib/picolibc/arm-none-eabi/lib/libc.a(memcpy.S.o)
 .text          0x00000200      0x100 CMakeFiles/model.elf.dir/model_main.cc.obj

.model          0x00000300      0xa90
 .model         0x00000300      0xa90 CMakeFiles/model.elf.dir/model/data.cc.obj

.stack          0x20000000     0x4000
.data           0x20004000        0x8 load address 0x00000d90
 .data          0x20004000        0x8 CMakeFiles/model.elf.dir/model_main.cc.obj
.bss            0x20004008       0x78 load address 0x00000d98
 .bss           0x20004008       0x78 CMakeFiles/model.elf.dir/model_main.cc.obj
.arena          0x20004080      0x300 load address 0x00000d98
 .arena         0x20004080      0x300 CMakeFiles/model.elf.dir/model_main.cc.obj
OUTPUT(tiny.elf elf32-littlearm)
)";

constexpr const char* kTinyRunLog =
    R"(EI firmware board=mps2-an386 libc=picolibc model=hello_world_int8 kernels=optimized seed=12345 model_bytes=2704
EI verify instructions=13905
EI allocate instructions=36350 arena_used_bytes=544 arena_reserved_bytes=768
EI invoke run=first ticks=1900 instructions=9500 stack_bytes=960
EI invoke run=second ticks=1000 instructions=5000 stack_bytes=948
EI ram data_bytes=8 bss_bytes=120 stack_reserved_bytes=16384 stack_peak_bytes=2300
EI result=ok
)";

struct TinyFirmware {
  std::filesystem::path elf = temp_file("tiny.elf");
  std::filesystem::path log = temp_file("tiny.log");
  std::filesystem::path anchors = temp_file("anchors.json");
  TinyFirmware() {
    std::ofstream(elf, std::ios::binary) << "\x7f"
                                            "ELF\x01\x01\x01";
    std::ofstream(elf.string() + ".map") << kTinyMap;
    std::ofstream(log) << kTinyRunLog;
    std::ofstream(anchors) << R"({"models": {"hello_world_int8": {"macs": 288,
        "ref": {"instructions_per_invoke": 5255}, "cmsis": {"instructions_per_invoke": 2500}}}})";
  }
};

TEST(CliTest, SizeSplitsFlashAndRamAndComparesWithAnchors) {
  const TinyFirmware firmware;
  const auto result =
      run_command(cli() + " size " + firmware.elf.string() + " --run-log " + firmware.log.string() +
                  " --anchors " + firmware.anchors.string() + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["flash_bytes"]["runtime"], 0x100);
  EXPECT_EQ(json["flash_bytes"]["kernels"], 0x80);
  EXPECT_EQ(json["flash_bytes"]["c_library"], 0x80);
  EXPECT_EQ(json["flash_bytes"]["model"], 2704);
  EXPECT_EQ(json["flash_bytes"]["other"], 0x100 + 8);
  EXPECT_EQ(json["flash_bytes"]["total_without_model"], 0x300 + 8);
  EXPECT_EQ(json["ram_bytes"]["arena_reserved"], 0x300);
  EXPECT_EQ(json["ram_bytes"]["static"], 0x80);
  EXPECT_EQ(json["ram_bytes"]["stack_reserved"], 0x4000);
  EXPECT_EQ(json["run"]["instructions_per_invoke"], 5000);
  EXPECT_EQ(json["run"]["stack_peak_bytes"], 2300);
  EXPECT_EQ(json["macs"], 288);  // from the anchors: no --model given
  EXPECT_DOUBLE_EQ(json["tflm"]["this_over_cmsis_nn"].get<double>(), 2.0);

  const auto text =
      run_command(cli() + " size " + firmware.elf.string() + " --run-log " + firmware.log.string());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("arena used 544 bytes = 0.201x the model's 2,704 bytes (rule of thumb: 2x, i.e. "
                             "5,408 bytes)"),
            std::string::npos)
      << text.output;

  const auto row =
      run_command(cli() + " size " + firmware.elf.string() + " --run-log " + firmware.log.string() +
                  " --reference-run-log " + firmware.log.string() + " --markdown");
  ASSERT_EQ(row.exit_code, 0) << row.output;
  EXPECT_NE(
      row.output.find(
          "| hello_world_int8 | 256 | 128 | 2,704 | 544 | 128 | 2,300 | 5,000 | 5,000 | 1.00 | – | – |"),
      std::string::npos)
      << row.output;
}

TEST(CliTest, SizeExplainsMissingAndGarbledInputs) {
  const TinyFirmware firmware;
  const std::string elf = firmware.elf.string();
  const auto no_map = temp_file("no_map.elf");
  std::ofstream(no_map, std::ios::binary) << "\x7f"
                                             "ELF";
  const auto garbled = temp_file("garbled.elf");
  std::ofstream(garbled, std::ios::binary) << "\x7f"
                                              "ELF";
  std::ofstream(garbled.string() + ".map")
      << "Memory Configuration\n\nFLASH 0x0 0x100 xr\n\nLinker script and memory "
         "map\n\n.text 0x00000000 0xqq\n";
  const auto not_elf = temp_file("not_elf.elf");
  std::ofstream(not_elf) << "hello";
  const auto other_log = temp_file("other.log");
  std::string other = kTinyRunLog;
  other.replace(other.find("model_bytes=2704"), 16, "model_bytes=9999");
  std::ofstream(other_log) << other;
  const auto bad_json = temp_file("bad.json");
  std::ofstream(bad_json) << "{\"models\": ";
  const std::string log = " --run-log " + firmware.log.string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" size /no/such/firmware.elf", "/no/such/firmware.elf: cannot open"},
      {" size " + not_elf.string(), "not an ELF file"},
      {" size " + no_map.string(), "no linker map beside the ELF"},
      {" size " + garbled.string(), "line 7: garbled output section '.text'"},
      {" size " + elf + " --run-log /no/such.log", "run log /no/such.log"},
      {" size " + elf + " --run-log " + elf + ".map", "not the output of the model firmware"},
      {" size " + elf + " --run-log " + other_log.string(), "not this firmware's: it ran a 9,999-byte model"},
      {" size " + elf + " --anchors " + firmware.anchors.string(), "give --run-log too"},
      {" size " + elf + log + " --anchors " + bad_json.string(), "not valid JSON"},
      {" size " + elf + log + " --anchors " + firmware.anchors.string() + " --anchor-model vww",
       "no model 'vww' (has: hello_world_int8)"},
      {" size " + elf + log + " --model /no/such/model.tflite", "cannot open"},
      {" size " + elf + log + " --json --markdown", "not both"},
      {" size " + elf + " --map /tmp", "linker map /tmp: is a directory"},
      {" size " + elf + log + " --model /tmp", "/tmp: is a directory"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
}

// ---- Strings from models are escaped; no partial output
// ----------------------------------------------------

std::filesystem::path save_model(const std::string& name, const std::vector<uint8_t>& bytes) {
  const auto path = temp_file(name + ".tflite");
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory: "nothing left behind" checks list it.
std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = temp_file(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

bool has_raw_control_characters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\n') || u == 0x7F;
  });
}

// The bug report: invalid UTF-8 in a tensor name made `inspect --json` abort (nlohmann type_error 316).
TEST(CliTest, InspectEscapesInvalidUtf8AndControlCharactersFromTheModel) {
  const auto model = save_model("hostile", robustness::hostile_strings_model());
  const auto json_result = run_command(cli() + " inspect --json " + model.string());
  ASSERT_EQ(json_result.exit_code, 0) << json_result.output;
  const auto json = nlohmann::json::parse(json_result.output);               // throws if not JSON
  EXPECT_EQ(json["tensors"][0]["name"], "bad\xEF\xBF\xBD\xEF\xBF\xBDname");  // U+FFFD for each invalid byte
  EXPECT_EQ(json["tensors"][1]["name"], "line\nbreak\x1b[31m\xc2\x9b\xe2\x80\xae");  // valid: kept exactly
  EXPECT_EQ(json["description"], "descr\xEF\xBF\xBD\xEF\xBF\xBDiption\n\x1b[2J");
  EXPECT_TRUE(std::all_of(json_result.output.begin(), json_result.output.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  })) << "JSON output is ASCII";
  EXPECT_EQ(json_result.output.find('\x1b'), std::string::npos);

  const auto text = run_command(cli() + " inspect " + model.string());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("bad\\xFF\\xFEname"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("line\\nbreak\\x1B[31m\\u{009B}\\u{202E}"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("description: descr\\xFF\\xFEiption\\n\\x1B[2J\n"), std::string::npos)
      << text.output;
  EXPECT_FALSE(has_raw_control_characters(text.output)) << text.output;
}

TEST(CliTest, ErrorsQuotingModelStringsStayOnOneEscapedLine) {
  const auto model = save_model("hostile_custom", robustness::hostile_custom_op_model());
  const auto result = run_command(cli() + " run " + model.string() + " --fill lcg:1");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  EXPECT_NE(result.output.find("Op\\xFF\\n\\x1B]0;title\\x07"), std::string::npos) << result.output;
  EXPECT_FALSE(has_raw_control_characters(result.output)) << result.output;
  // inspect still reports it, with the arena unknown.
  const auto inspect = run_command(cli() + " inspect " + model.string());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("arena bytes: unknown"), std::string::npos) << inspect.output;
  EXPECT_FALSE(has_raw_control_characters(inspect.output)) << inspect.output;
}

TEST(CliTest, FailedCommandsLeaveNoOutputFiles) {
  const auto dir = temp_dir("no_leftovers");
  const std::string model = demo_model().string();
  const std::string source = (dir / "model.cc").string();
  // The header cannot be written: the source, which could, must not appear either.
  auto result = run_command(cli() + " export " + model + " -o " + source + " --header /no/such/dir/model.h");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("/no/such/dir/model.h: cannot write"), std::string::npos) << result.output;
  // A directory where the header should go: the rename fails after both files were written.
  std::filesystem::create_directory(dir / "model.h");
  result =
      run_command(cli() + " export " + model + " -o " + source + " --header " + (dir / "model.h").string());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("cannot replace"), std::string::npos) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  std::filesystem::remove(dir / "model.h");
  // run: the model fails after the output file was opened.
  result = run_command(cli() + " run " + model + " --fill lcg:1 --arena 64 --output " +
                       (dir / "out.bin").string());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  result = run_command(cli() + " run " + model + " --input /no/such/input.bin --output " +
                       (dir / "out.bin").string());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(files_in(dir), std::vector<std::string>{}) << "no output and no temporary file left";
  // -o and --header naming one file differently.
  result =
      run_command(cli() + " export " + model + " -o " + source + " --header " + dir.string() + "/./model.cc");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("name the same file"), std::string::npos) << result.output;
  std::filesystem::remove_all(dir);
}

// ---- run --stream -----------------------------------------------------------------------------------------

// N invokes through the C++ API: on one interpreter (state carried), or each on a fresh one.
std::vector<uint8_t> invoke_chunks(const std::vector<uint8_t>& model_bytes,
                                   const std::vector<uint8_t>& stream, bool fresh_each_time) {
  host::LoadedModel loaded;
  EXPECT_TRUE(loaded.load_bytes(model_bytes.data(), model_bytes.size()).is_ok());
  AllOpsResolver resolver;
  auto runner = std::make_unique<host::HostInterpreter>();
  EXPECT_TRUE(runner->init(loaded.model(), resolver).is_ok());
  const size_t chunk = runner->interpreter().input(0).bytes;
  std::vector<uint8_t> outputs;
  for (size_t offset = 0; offset + chunk <= stream.size(); offset += chunk) {
    if (fresh_each_time) {
      runner = std::make_unique<host::HostInterpreter>();
      EXPECT_TRUE(runner->init(loaded.model(), resolver).is_ok());
    }
    std::memcpy(runner->interpreter().input(0).data, stream.data() + offset, chunk);
    EXPECT_TRUE(runner->interpreter().invoke().is_ok());
    const auto bytes = host::output_bytes(runner->interpreter());
    outputs.insert(outputs.end(), bytes.begin(), bytes.end());
  }
  return outputs;
}

// A stream of `chunks` chunks of `chunk` bytes: LCG values (valid floats or integers of any width).
std::vector<uint8_t> lcg_stream(size_t chunks, size_t chunk, bool floats) {
  std::vector<uint8_t> stream(chunks * chunk);
  uint32_t x = 2024;
  if (floats) {
    for (size_t i = 0; i + 4 <= stream.size(); i += 4) {
      x = x * 1664525u + 1013904223u;
      const float value = static_cast<float>(x >> 8) / 16777216.0f * 2 - 1;
      std::memcpy(&stream[i], &value, 4);
    }
  } else {
    for (auto& b : stream) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  }
  return stream;
}

// `state_shows`: the outputs depend on earlier chunks (keyword_scrambled's SVDF state does not reach its
// saturated outputs).
void expect_stream_matches_api(const std::string& name, const std::vector<uint8_t>& model_bytes, bool floats,
                               size_t chunks, bool state_shows = true) {
  const auto model = save_model(name, model_bytes);
  host::LoadedModel loaded;
  ASSERT_TRUE(loaded.load_bytes(model_bytes.data(), model_bytes.size()).is_ok());
  const size_t chunk = loaded.model().tensor(loaded.model().input_tensor_index(0)).bytes;
  const auto stream = lcg_stream(chunks, chunk, floats);
  const auto stream_file = temp_file(name + "_stream.bin");
  write_bytes(stream_file, stream);
  const auto out = temp_file(name + "_stream_out.bin");
  const auto result = run_command(cli() + " run " + model.string() + " --stream " + stream_file.string() +
                                  " --output " + out.string() + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["invokes"], chunks);
  EXPECT_EQ(json["chunk_bytes"], chunk);

  const auto streamed = testing::read_bytes(out);
  const auto consecutive = invoke_chunks(model_bytes, stream, false);
  const auto fresh = invoke_chunks(model_bytes, stream, true);
  ASSERT_FALSE(consecutive.empty());
  EXPECT_EQ(streamed.size(), consecutive.size());
  EXPECT_EQ(json["output_bytes"], consecutive.size());
  EXPECT_EQ(streamed, consecutive) << "the stream must equal consecutive invokes on one interpreter";
  if (state_shows) EXPECT_NE(streamed, fresh) << "the model has state: fresh interpreters give other outputs";
  // The first chunk has no history: it matches a fresh first invoke.
  const size_t per_invoke = consecutive.size() / chunks;
  EXPECT_TRUE(std::equal(streamed.begin(), streamed.begin() + per_invoke, fresh.begin()));

  // Without --output: the text report names the invokes.
  const auto text = run_command(cli() + " run " + model.string() + " --stream " + stream_file.string());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("stream: " + std::to_string(chunks) + " invokes of " + std::to_string(chunk) +
                             "-byte chunks"),
            std::string::npos)
      << text.output;
}

TEST(CliTest, RunStreamEqualsConsecutiveInvokesOfOneInterpreter) {
  expect_stream_matches_api("svdf", robustness::svdf_model(), true, 7);
}

TEST(CliTest, RunStreamKeepsTheStateOfRealModels) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto model = [&](const char* path) { return testing::read_bytes(shared / "models" / path); };
  // SVDF state, which does not reach keyword_scrambled's saturated outputs; LSTM state; signal ops' state.
  expect_stream_matches_api("keyword_scrambled", model("tflm/keyword_scrambled.tflite"), false, 6, false);
  expect_stream_matches_api("dtln", model("extra/dtln_noise_suppression.tflite"), false, 5);
  expect_stream_matches_api("audio_preprocessor", model("tflm/audio_preprocessor_int8.tflite"), false, 5);
}

TEST(CliTest, RunStreamRefusesBadStreamsWithOneLineErrors) {
  const auto dir = temp_dir("stream_errors");
  const auto svdf = save_model("svdf_errors", robustness::svdf_model());  // float [1,4]: 16-byte chunks
  const auto two_inputs = save_model("two_inputs", robustness::add_int8_model());
  const auto empty = dir / "empty.bin";
  write_bytes(empty, {});
  const auto partial = dir / "partial.bin";
  write_bytes(partial, std::vector<uint8_t>(16 * 3 + 5));
  const auto good = dir / "good.bin";
  write_bytes(good, std::vector<uint8_t>(16 * 2));
  const std::string out = " --output " + (dir / "out.bin").string();
  const std::string model = svdf.string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" run " + model + " --stream " + empty.string() + out,
       "--stream " + empty.string() +
           ": empty: need one or more chunks of 16 bytes (input 0 (float32 [1,4]))"},
      {" run " + model + " --stream " + partial.string() + out,
       "53 bytes is not a whole number of 16-byte chunks (input 0 (float32 [1,4]))"},
      {" run " + two_inputs.string() + " --stream " + good.string() + out,
       "--stream needs a model with one input; " + two_inputs.string() + " has 2"},
      {" run " + model + " --stream /no/such/stream.bin" + out, "--stream /no/such/stream.bin: cannot open"},
      {" run " + model + " --stream " + dir.string() + out, "is a directory"},
      {" run " + model + " --stream " + good.string() + " --fill lcg:1" + out,
       "no --input or --fill with it"},
      {" run " + model + " --stream " + good.string() + " --runs 3" + out,
       "--runs does not apply to --stream"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
  std::vector<std::string> expected_files = {"empty.bin", "good.bin", "partial.bin"};
  EXPECT_EQ(files_in(dir), expected_files) << "no output file after a failed --stream";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgeinfer
