// The pieces of `edgeinfer size` that tests reach directly: the GNU ld map parser, the flash/RAM split, and
// the model firmware's run log (tests/firmware/model_main.cc's "EI key=value" lines).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgeinfer::cli {

// Where flash bytes come from, decided per input section by its object file (and the .model section).
enum class Component { kRuntime, kKernels, kModel, kCLibrary, kOther };
inline constexpr int kNumComponents = 5;
const char* component_name(Component component);

struct InputSection {
  std::string name;
  uint64_t address = 0;
  uint64_t size = 0;  // alignment padding before it (*fill*) included
  std::string file;   // "libedgeinfer_runtime.a(model.cc.obj)", "CMakeFiles/…/main.cc.obj", "linker stubs"
};

struct OutputSection {
  std::string name;
  uint64_t address = 0;
  uint64_t size = 0;
  std::optional<uint64_t> load_address;
  std::vector<InputSection> inputs;
};

struct MemoryRegion {
  std::string name;
  uint64_t origin = 0;
  uint64_t length = 0;
  bool writable = false;  // attributes contain 'w': RAM; otherwise flash
};

struct LinkerMap {
  std::vector<MemoryRegion> regions;
  std::vector<OutputSection> sections;  // allocated sections only (no .debug_*, .comment, /DISCARD/)
};

// Parses the text of a GNU ld map (-Wl,-Map=FILE). nullopt with `error` ("line N: …") when it is not one.
std::optional<LinkerMap> parse_linker_map(std::string_view text, std::string* error);

struct Footprint {
  std::array<uint64_t, kNumComponents> flash{};  // by Component, .data's initial values included
  uint64_t flash_total = 0;
  uint64_t arena_bytes = 0;           // the .arena section (reserved)
  uint64_t data_bytes = 0;            // initialized RAM (.data, .tdata, …)
  uint64_t bss_bytes = 0;             // zeroed RAM (.bss, .tbss)
  uint64_t stack_reserved_bytes = 0;  // the .stack section
  std::map<std::string, uint64_t> flash_by_object;
  uint64_t flash_of(Component c) const { return flash[static_cast<int>(c)]; }
};

// nullopt with `error` when the map has no memory region that holds its sections.
std::optional<Footprint> compute_footprint(const LinkerMap& map, std::string* error);

// The model firmware's measurements (absent keys stay nullopt).
struct RunLog {
  std::string model;
  std::string kernels;
  std::string board;
  std::optional<uint64_t> model_bytes;
  std::optional<uint64_t> verify_instructions;
  std::optional<uint64_t> allocate_instructions;
  std::optional<uint64_t> arena_used_bytes;
  std::optional<uint64_t> invoke_instructions;  // the second invoke's (as the TFLM anchors), else the first's
  std::optional<uint64_t> invoke_stack_bytes;
  std::optional<uint64_t> stack_peak_bytes;  // the whole run's
  bool finished_ok = false;                  // "EI result=ok"
};

// Parses firmware output; nullopt with `error` when a line is garbled, the firmware reported an error, or the
// invoke/allocate lines are missing.
std::optional<RunLog> parse_run_log(std::string_view text, std::string* error);

}  // namespace edgeinfer::cli
