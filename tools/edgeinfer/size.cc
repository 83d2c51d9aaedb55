// edgeinfer size FIRMWARE.elf [--run-log LOG] [--reference-run-log LOG] [--model MODEL] [--anchors FILE]
//                              [--anchor-model NAME] [--json | --markdown] [--objects]
// The firmware's footprint from the GNU ld map beside it (FIRMWARE.elf.map): flash split into runtime,
// kernels, model, C library and the rest; RAM into arena, static data and stack. With the firmware's output
// (tests/firmware/model_main.cc): arena used, stack peak and instructions per invoke, against TFLM's anchors.
#include "tools/edgeinfer/size.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_stats.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// The text after the first `count` words (a file name may hold spaces: "linker stubs").
std::string_view rest_after_words(std::string_view line, size_t count) {
  size_t i = 0;
  for (size_t w = 0; w < count; ++w) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
  }
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return line.substr(i);
}

std::optional<uint64_t> parse_hex(std::string_view word) {
  if (word.size() < 3 || word[0] != '0' || (word[1] != 'x' && word[1] != 'X')) return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data() + 2, word.data() + word.size(), value, 16);
  if (error != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_decimal(std::string_view word) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value, 10);
  if (word.empty() || error != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Sections that take no memory on the target: debug information, comments, build attributes.
bool is_non_allocated(std::string_view name) {
  for (std::string_view prefix : {".debug", ".comment", ".ARM.attributes", ".note", ".stab",
                                  ".gnu.attributes", ".gnu_debug", ".GCC.command.line", "/DISCARD/"})
    if (starts_with(name, prefix)) return true;
  return false;
}

// RAM sections without initial values (no image in flash).
bool is_zero_initialized(std::string_view name) {
  for (std::string_view prefix : {".bss", ".tbss", ".sbss", ".noinit", ".heap", ".arena", ".stack"})
    if (starts_with(name, prefix)) return true;
  return false;
}

std::string_view archive_of(std::string_view file) {
  const size_t open = file.find('(');
  if (open == std::string_view::npos || file.back() != ')') return {};
  return file.substr(0, open);
}

std::string base_name(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "libedgeinfer_kernels.a(conv.cc.obj)", "model_main.cc.obj": short enough for a table, unique enough.
std::string object_key(std::string_view file) {
  const std::string_view archive = archive_of(file);
  if (archive.empty()) return base_name(file);
  return base_name(archive) + std::string(file.substr(archive.size()));
}

Component component_of(std::string_view section, std::string_view file) {
  if (section == ".model" || starts_with(section, ".model.")) return Component::kModel;
  const std::string_view archive = archive_of(file);
  const std::string name = base_name(archive.empty() ? file : archive);
  if (name == "libedgeinfer_runtime.a") return Component::kRuntime;
  if (name == "libedgeinfer_kernels.a") return Component::kKernels;
  // newlib(-nano), picolibc, libgcc, libstdc++ and the toolchain's start files.
  static const char* const kToolchainFiles[] = {
      "libc.a",           "libc_nano.a", "libg.a",      "libg_nano.a",      "libm.a",
      "libgcc.a",         "libgcc_eh.a", "libstdc++.a", "libstdc++_nano.a", "libsupc++.a",
      "libsupc++_nano.a", "libnosys.a",  "librdimon.a", "libsemihost.a",    "libcrt0.a",
      "crt0.o",           "crti.o",      "crtn.o",      "crtbegin.o",       "crtend.o"};
  for (const char* toolchain_file : kToolchainFiles)
    if (name == toolchain_file) return Component::kCLibrary;
  return Component::kOther;
}

std::string line_error(size_t index, const std::string& what) {
  return "line " + std::to_string(index + 1) + ": " + what;
}

}  // namespace

const char* component_name(Component component) {
  switch (component) {
    case Component::kRuntime: return "runtime";
    case Component::kKernels: return "kernels";
    case Component::kModel: return "model";
    case Component::kCLibrary: return "c_library";
    case Component::kOther: return "other";
  }
  return "?";
}

std::optional<LinkerMap> parse_linker_map(std::string_view text, std::string* error) {
  const std::vector<std::string_view> lines = split_lines(text);
  LinkerMap map;
  size_t i = 0;
  while (i < lines.size() && lines[i] != "Memory Configuration") ++i;
  if (i == lines.size()) {
    *error = "no 'Memory Configuration' section: not a GNU ld map file (link with -Wl,-Map=FILE)";
    return std::nullopt;
  }
  for (++i; i < lines.size() && lines[i] != "Linker script and memory map"; ++i) {
    const auto words = split_words(lines[i]);
    if (words.empty() || words[0] == "Name" || words[0] == "*default*") continue;
    const auto origin = words.size() >= 3 ? parse_hex(words[1]) : std::nullopt;
    const auto length = words.size() >= 3 ? parse_hex(words[2]) : std::nullopt;
    if (!origin || !length) {
      *error = line_error(i, "garbled memory region (expected NAME ORIGIN LENGTH [ATTRIBUTES])");
      return std::nullopt;
    }
    const bool writable = words.size() >= 4 && words[3].find('w') != std::string_view::npos;
    map.regions.push_back({std::string(words[0]), *origin, *length, writable});
  }
  if (i == lines.size()) {
    *error = "no 'Linker script and memory map' section: truncated or not a GNU ld map file";
    return std::nullopt;
  }
  if (map.regions.empty()) {
    *error =
        "the map's 'Memory Configuration' lists no memory region (the firmware's linker script has MEMORY)";
    return std::nullopt;
  }

  bool saw_output = false;           // ld writes OUTPUT(FILE FORMAT) after the last allocated section
  OutputSection* current = nullptr;  // null inside sections that take no target memory
  uint64_t pending_fill = 0;         // padding, counted with the input section it aligns
  for (++i; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    if (line == "Cross Reference Table") break;
    if (starts_with(line, "OUTPUT(")) saw_output = true;
    const auto words = split_words(line);
    if (line[0] != ' ' && line[0] != '\t') {
      // An output section header "NAME ADDRESS SIZE [load address LMA]", NAME alone when long; or
      // LOAD/START GROUP/OUTPUT(...) lines, which carry no sizes.
      current = nullptr;
      pending_fill = 0;
      if (words[0][0] != '.' && words[0] != "/DISCARD/") continue;
      std::vector<std::string_view> fields(words.begin() + 1, words.end());
      if (fields.empty() && i + 1 < lines.size() && !lines[i + 1].empty() && lines[i + 1][0] == ' ') {
        const auto next = split_words(lines[i + 1]);
        if (next.size() >= 2 && parse_hex(next[0]) && parse_hex(next[1])) {
          fields = next;
          ++i;
        }
      }
      if (is_non_allocated(words[0])) continue;
      OutputSection section;
      section.name = std::string(words[0]);
      if (!fields.empty()) {
        const auto address = parse_hex(fields[0]);
        const auto size = fields.size() >= 2 ? parse_hex(fields[1]) : std::nullopt;
        if (!address || !size) {
          *error =
              line_error(i, "garbled output section '" + section.name + "' (expected NAME ADDRESS SIZE)");
          return std::nullopt;
        }
        section.address = *address;
        section.size = *size;
        if (fields.size() >= 5 && fields[2] == "load" && fields[3] == "address") {
          section.load_address = parse_hex(fields[4]);
          if (!section.load_address) {
            *error = line_error(i, "garbled load address of '" + section.name + "'");
            return std::nullopt;
          }
        }
      }
      map.sections.push_back(std::move(section));
      current = &map.sections.back();
      continue;
    }
    if (current == nullptr || words.empty()) continue;
    if (words[0] == "*fill*") {
      const auto size = words.size() >= 3 ? parse_hex(words[2]) : std::nullopt;
      if (!size) {
        *error = line_error(i, "garbled *fill* line");
        return std::nullopt;
      }
      pending_fill += *size;
      continue;
    }
    // Input sections are indented by one space; symbols and assignments by many; patterns start with '*'.
    if (line[0] != ' ' || line.size() < 2 || line[1] == ' ' || words[0][0] == '*') continue;
    std::string_view address_line = line;
    size_t skip = 1;
    if (words.size() == 1) {
      if (i + 1 >= lines.size()) continue;
      address_line = lines[i + 1];
      skip = 0;
    }
    const auto fields = split_words(address_line);
    if (fields.size() < skip + 2) continue;
    const auto address = parse_hex(fields[skip]);
    const auto size = parse_hex(fields[skip + 1]);
    if (!address || !size) {
      // " FILL mask 0x…", " LONG 0x…", " KEEP (…)": statements, not input sections.
      if (words.size() > 1) continue;
      *error = line_error(
          i + 1, "garbled input section '" + std::string(words[0]) + "' (expected ADDRESS SIZE FILE)");
      return std::nullopt;
    }
    if (skip == 0) ++i;
    current->inputs.push_back({std::string(words[0]), *address, *size + pending_fill,
                               std::string(rest_after_words(address_line, skip + 2))});
    pending_fill = 0;
  }
  if (map.sections.empty()) {
    *error = "no output sections after 'Linker script and memory map': truncated map file";
    return std::nullopt;
  }
  if (!saw_output) {
    *error = "no OUTPUT(...) line after the sections: truncated map file";
    return std::nullopt;
  }
  return map;
}

std::optional<Footprint> compute_footprint(const LinkerMap& map, std::string* error) {
  auto region_of = [&map](uint64_t address) -> const MemoryRegion* {
    for (const auto& region : map.regions)
      if (address >= region.origin && address - region.origin < region.length) return &region;
    return nullptr;
  };
  Footprint footprint;
  auto add_to_flash = [&footprint](const OutputSection& section) {
    uint64_t attributed = 0;
    for (const auto& input : section.inputs) {
      const Component component = component_of(section.name, input.file);
      footprint.flash[static_cast<int>(component)] += input.size;
      footprint.flash_by_object[object_key(input.file)] += input.size;
      attributed += input.size;
    }
    // Alignment at the section's end and linker-generated bytes belong to no object.
    if (section.size > attributed)
      footprint.flash[static_cast<int>(Component::kOther)] += section.size - attributed;
    footprint.flash_total += section.size;
  };
  for (const auto& section : map.sections) {
    if (section.size == 0) continue;
    const MemoryRegion* region = region_of(section.address);
    if (region == nullptr) {
      char address[32];
      std::snprintf(address, sizeof(address), "0x%llx", static_cast<unsigned long long>(section.address));
      *error = "section " + section.name + " at " + address + " lies in no memory region of the map";
      return std::nullopt;
    }
    if (!region->writable) {
      add_to_flash(section);
    } else if (section.name == ".arena") {
      footprint.arena_bytes += section.size;
    } else if (section.name == ".stack") {
      footprint.stack_reserved_bytes += section.size;
    } else if (is_zero_initialized(section.name)) {
      footprint.bss_bytes += section.size;
    } else {
      footprint.data_bytes += section.size;
      const MemoryRegion* load_region = section.load_address ? region_of(*section.load_address) : nullptr;
      if (load_region != nullptr && !load_region->writable) add_to_flash(section);  // the initial values
    }
  }
  return footprint;
}

std::optional<RunLog> parse_run_log(std::string_view text, std::string* error) {
  RunLog log;
  bool saw_second_invoke = false;
  const std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (starts_with(line, "EI error:")) {
      *error = "the firmware failed: " + std::string(line.substr(3));
      return std::nullopt;
    }
    if (!starts_with(line, "EI ")) continue;
    const auto words = split_words(line.substr(3));
    if (words.empty()) continue;
    const std::string_view kind = words[0];
    if (kind == "result=ok") log.finished_ok = true;
    if (kind != "firmware" && kind != "verify" && kind != "allocate" && kind != "invoke" && kind != "ram")
      continue;
    std::map<std::string_view, std::string_view> values;
    for (size_t w = 1; w < words.size(); ++w) {
      const size_t equals = words[w].find('=');
      if (equals == std::string_view::npos || equals == 0) {
        *error = line_error(i, "garbled 'EI " + std::string(kind) + "' line: '" + std::string(words[w]) +
                                   "' is not key=value");
        return std::nullopt;
      }
      values[words[w].substr(0, equals)] = words[w].substr(equals + 1);
    }
    std::string number_error;
    auto number = [&](std::string_view key) -> std::optional<uint64_t> {
      const auto found = values.find(key);
      if (found == values.end()) return std::nullopt;
      const auto value = parse_decimal(found->second);
      if (!value && number_error.empty())
        number_error =
            line_error(i, std::string(key) + "=" + std::string(found->second) + " is not a number");
      return value;
    };
    if (kind == "firmware") {
      log.model = std::string(values["model"]);
      log.kernels = std::string(values["kernels"]);
      log.board = std::string(values["board"]);
      log.model_bytes = number("model_bytes");
    } else if (kind == "verify") {
      log.verify_instructions = number("instructions");
    } else if (kind == "allocate") {
      log.allocate_instructions = number("instructions");
      log.arena_used_bytes = number("arena_used_bytes");
    } else if (kind == "invoke") {
      const bool second = values["run"] == "second";
      if (second || !saw_second_invoke) {  // the second invoke's figures win
        log.invoke_instructions = number("instructions");
        log.invoke_stack_bytes = number("stack_bytes");
      }
      saw_second_invoke = saw_second_invoke || second;
    } else if (kind == "ram") {
      log.stack_peak_bytes = number("stack_peak_bytes");
    }
    if (!number_error.empty()) {
      *error = number_error;
      return std::nullopt;
    }
  }
  if (!log.allocate_instructions || !log.arena_used_bytes || !log.invoke_instructions) {
    *error =
        "no 'EI allocate' and 'EI invoke' lines with instructions=: not the output of the model firmware "
        "(tests/firmware/model_main.cc), or it stopped early";
    return std::nullopt;
  }
  return log;
}

namespace {

struct SizeOptions {
  std::string elf;
  std::string map;
  std::string run_log;
  std::string reference_run_log;
  std::string model;
  std::string anchors;
  std::string anchor_model;
  bool json = false;
  bool markdown = false;
  bool objects = false;
};

std::string read_text(const std::string& path, const std::string& what) {
  std::string error;
  const auto bytes = host::read_file(path, &error);
  if (!bytes) throw CliError{what + " " + error};
  return std::string(bytes->begin(), bytes->end());
}

RunLog load_run_log(const std::string& path) {
  const std::string text = read_text(path, "run log");
  std::string error;
  auto log = parse_run_log(text, &error);
  if (!log) throw CliError{"run log " + path + ": " + error};
  return *log;
}

// 1234567 -> "1,234,567".
std::string grouped(uint64_t value) {
  std::string digits = std::to_string(value);
  for (int pos = static_cast<int>(digits.size()) - 3; pos > 0; pos -= 3) digits.insert(pos, ",");
  return digits;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

struct AnchorFigures {
  std::string name;
  std::optional<uint64_t> macs;
  uint64_t reference_instructions = 0;
  uint64_t cmsis_instructions = 0;
};

AnchorFigures load_anchors(const std::string& path, const std::string& model) {
  const std::string text = read_text(path, "anchors");
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw CliError{"anchors " + path + ": not valid JSON"};
  if (!json.contains("models") || !json["models"].is_object())
    throw CliError{"anchors " + path + ": no \"models\" object"};
  const auto& models = json["models"];
  if (!models.contains(model)) {
    std::string names;
    for (const auto& [name, value] : models.items()) names += (names.empty() ? "" : ", ") + name;
    throw CliError{"anchors " + path + ": no model '" + model + "' (has: " + names +
                   "); pick one with --anchor-model"};
  }
  const auto& entry = models[model];
  auto instructions = [&](const char* kernels) -> uint64_t {
    if (!entry.contains(kernels) || !entry[kernels].contains("instructions_per_invoke") ||
        !entry[kernels]["instructions_per_invoke"].is_number_unsigned())
      throw CliError{"anchors " + path + ": models." + model + "." + kernels +
                     ".instructions_per_invoke is missing or not a count"};
    return entry[kernels]["instructions_per_invoke"].get<uint64_t>();
  };
  AnchorFigures anchors{model, std::nullopt, instructions("ref"), instructions("cmsis")};
  if (entry.contains("macs") && entry["macs"].is_number_unsigned())
    anchors.macs = entry["macs"].get<uint64_t>();
  return anchors;
}

int size_report(const SizeOptions& options) {
  if (options.json && options.markdown) throw CliError{"give --json or --markdown, not both"};
  std::string text;  // printed at once: a failure prints no partial report
  // The ELF itself is only checked: the sizes come from its map.
  {
    std::ifstream elf(options.elf, std::ios::binary);
    if (!elf) throw CliError{options.elf + ": cannot open: " + std::strerror(errno)};
    char magic[4] = {};
    elf.read(magic, 4);
    if (elf.gcount() != 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F')
      throw CliError{options.elf + ": not an ELF file"};
  }
  const std::string map_path = options.map.empty() ? options.elf + ".map" : options.map;
  std::string error;
  if (!std::filesystem::exists(map_path))
    throw CliError{map_path +
                   ": no linker map beside the ELF (link with -Wl,-Map=ELF.map, or pass --map FILE)"};
  const auto map = parse_linker_map(read_text(map_path, "linker map"), &error);
  if (!map) throw CliError{map_path + ": " + error};
  const auto footprint = compute_footprint(*map, &error);
  if (!footprint) throw CliError{map_path + ": " + error};
  const uint64_t model_flash = footprint->flash_of(Component::kModel);

  std::optional<RunLog> log;
  if (!options.run_log.empty()) {
    log = load_run_log(options.run_log);
    // A log of another firmware would give a silently wrong report.
    if (log->model_bytes && model_flash != 0 &&
        (model_flash < *log->model_bytes || model_flash >= *log->model_bytes + 16))
      throw CliError{"run log " + options.run_log + " is not this firmware's: it ran a " +
                     grouped(*log->model_bytes) + "-byte model, the .model section of " + map_path +
                     " holds " + grouped(model_flash) + " bytes"};
  }
  std::optional<RunLog> reference_log;
  if (!options.reference_run_log.empty()) {
    if (!log) throw CliError{"--reference-run-log compares instructions with --run-log: give both"};
    reference_log = load_run_log(options.reference_run_log);
    if (reference_log->model != log->model)
      throw CliError{"--reference-run-log ran model '" + reference_log->model + "', --run-log ran '" +
                     log->model + "'"};
  }
  std::optional<AnchorFigures> anchors;
  if (!options.anchors.empty()) {
    if (!log) throw CliError{"--anchors compares instructions per invoke: give --run-log too"};
    anchors = load_anchors(options.anchors, options.anchor_model.empty() ? log->model : options.anchor_model);
  }
  std::optional<uint64_t> macs;
  std::string macs_source;
  if (!options.model.empty()) {
    host::LoadedModel loaded;
    const Status status = loaded.load_file(options.model);
    if (!status.is_ok()) throw CliError{status.message()};
    macs = static_cast<uint64_t>(compiler::compute_model_stats(loaded.model()).total_macs);
    macs_source = options.model;
  } else if (anchors && anchors->macs) {
    macs = anchors->macs;
    macs_source = options.anchors;
  }

  const uint64_t static_bytes = footprint->data_bytes + footprint->bss_bytes;
  const uint64_t model_bytes = log && log->model_bytes ? *log->model_bytes : model_flash;
  auto per_instruction = [&](uint64_t instructions) { return static_cast<double>(*macs) / instructions; };

  if (options.json) {
    nlohmann::json json;
    json["elf"] = options.elf;
    json["map"] = map_path;
    nlohmann::json flash;
    for (int c = 0; c < kNumComponents; ++c)
      flash[component_name(static_cast<Component>(c))] = footprint->flash[c];
    flash["total"] = footprint->flash_total;
    flash["total_without_model"] = footprint->flash_total - model_flash;
    json["flash_bytes"] = flash;
    json["ram_bytes"] = {{"arena_reserved", footprint->arena_bytes},
                         {"static", static_bytes},
                         {"data", footprint->data_bytes},
                         {"bss", footprint->bss_bytes},
                         {"stack_reserved", footprint->stack_reserved_bytes},
                         {"total", footprint->arena_bytes + static_bytes + footprint->stack_reserved_bytes}};
    if (options.objects) json["flash_by_object"] = footprint->flash_by_object;
    if (log) {
      nlohmann::json run;
      run["model"] = log->model;
      run["kernels"] = log->kernels;
      run["board"] = log->board;
      run["finished_ok"] = log->finished_ok;
      auto put = [&run](const char* key, const std::optional<uint64_t>& value) {
        run[key] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
      };
      put("instructions_per_invoke", log->invoke_instructions);
      put("verify_instructions", log->verify_instructions);
      put("allocate_instructions", log->allocate_instructions);
      put("arena_used_bytes", log->arena_used_bytes);
      put("invoke_stack_bytes", log->invoke_stack_bytes);
      put("stack_peak_bytes", log->stack_peak_bytes);
      json["run"] = run;
      json["arena_used_per_model_byte"] =
          model_bytes ? static_cast<double>(*log->arena_used_bytes) / model_bytes : 0.0;
      if (reference_log) {
        json["reference_instructions_per_invoke"] = *reference_log->invoke_instructions;
        json["reference_over_this"] =
            static_cast<double>(*reference_log->invoke_instructions) / *log->invoke_instructions;
      }
      if (macs) {
        json["macs"] = *macs;
        json["macs_per_instruction"] = per_instruction(*log->invoke_instructions);
      }
      if (anchors)
        json["tflm"] = {{"model", anchors->name},
                        {"reference_instructions_per_invoke", anchors->reference_instructions},
                        {"cmsis_nn_instructions_per_invoke", anchors->cmsis_instructions},
                        {"this_over_cmsis_nn",
                         static_cast<double>(*log->invoke_instructions) / anchors->cmsis_instructions}};
    }
    print_report(json_text(json, 1) + "\n");
    return 0;
  }

  if (options.markdown) {
    if (!log) throw CliError{"--markdown makes a row of measurements: give --run-log too"};
    auto or_dash = [](const std::optional<uint64_t>& value) {
      return value ? grouped(*value) : std::string("–");
    };
    appendf(
        text,
        "| model | flash runtime | flash kernels | flash model | RAM arena used | RAM static | stack peak | "
        "instr./invoke reference | instr./invoke optimized | reference / optimized | MACs / instr. | "
        "optimized / TFLM+CMSIS-NN |\n");
    appendf(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const uint64_t instructions = *log->invoke_instructions;
    appendf(
        text, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        printable(log->model).c_str(), grouped(footprint->flash_of(Component::kRuntime)).c_str(),
        grouped(footprint->flash_of(Component::kKernels)).c_str(), grouped(model_flash).c_str(),
        grouped(*log->arena_used_bytes).c_str(), grouped(static_bytes).c_str(),
        or_dash(log->stack_peak_bytes).c_str(),
        reference_log ? grouped(*reference_log->invoke_instructions).c_str() : "–",
        grouped(instructions).c_str(),
        reference_log
            ? fixed(static_cast<double>(*reference_log->invoke_instructions) / instructions, 2).c_str()
            : "–",
        macs ? fixed(per_instruction(instructions), 3).c_str() : "–",
        anchors ? fixed(static_cast<double>(instructions) / anchors->cmsis_instructions, 2).c_str() : "–");
    print_report(text);
    return 0;
  }

  appendf(text, "firmware %s (map %s)\n", printable(options.elf).c_str(), printable(map_path).c_str());
  appendf(text, "flash %s bytes (%s without the model)\n", grouped(footprint->flash_total).c_str(),
          grouped(footprint->flash_total - model_flash).c_str());
  const char* const kFlashNotes[kNumComponents] = {"libedgeinfer_runtime.a", "libedgeinfer_kernels.a",
                                                   ".model section", "C library, libgcc, libstdc++",
                                                   "platform, startup, main, padding"};
  for (int c = 0; c < kNumComponents; ++c)
    appendf(text, "  %-10s %12s  %s\n", component_name(static_cast<Component>(c)),
            grouped(footprint->flash[c]).c_str(), kFlashNotes[c]);
  appendf(text, "RAM %s bytes reserved\n",
          grouped(footprint->arena_bytes + static_bytes + footprint->stack_reserved_bytes).c_str());
  appendf(text, "  %-10s %12s  .arena%s\n", "arena", grouped(footprint->arena_bytes).c_str(),
          log ? (", " + grouped(*log->arena_used_bytes) + " used").c_str() : "");
  appendf(text, "  %-10s %12s  .data %s + .bss %s\n", "static", grouped(static_bytes).c_str(),
          grouped(footprint->data_bytes).c_str(), grouped(footprint->bss_bytes).c_str());
  std::string stack_note = ".stack";
  if (log && log->stack_peak_bytes) stack_note += ", peak " + grouped(*log->stack_peak_bytes) + " used";
  if (log && log->invoke_stack_bytes)
    stack_note += " (" + grouped(*log->invoke_stack_bytes) + " below invoke)";
  appendf(text, "  %-10s %12s  %s\n", "stack", grouped(footprint->stack_reserved_bytes).c_str(),
          stack_note.c_str());
  if (options.objects) {
    std::vector<std::pair<std::string, uint64_t>> objects(footprint->flash_by_object.begin(),
                                                          footprint->flash_by_object.end());
    std::stable_sort(objects.begin(), objects.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    appendf(text, "flash by object:\n");
    for (const auto& [object, bytes] : objects)
      if (bytes > 0) appendf(text, "  %12s  %s\n", grouped(bytes).c_str(), printable(object).c_str());
  }
  if (!log) {
    print_report(text);
    return 0;
  }
  const uint64_t instructions = *log->invoke_instructions;
  appendf(text, "run (%s kernels, %s): %s instructions per invoke; verify %s, allocate %s\n",
          log->kernels.empty() ? "?" : printable(log->kernels).c_str(),
          log->board.empty() ? "?" : printable(log->board).c_str(), grouped(instructions).c_str(),
          log->verify_instructions ? grouped(*log->verify_instructions).c_str() : "?",
          grouped(*log->allocate_instructions).c_str());
  if (model_bytes > 0)
    appendf(text, "arena used %s bytes = %sx the model's %s bytes (rule of thumb: 2x, i.e. %s bytes)\n",
            grouped(*log->arena_used_bytes).c_str(),
            fixed(static_cast<double>(*log->arena_used_bytes) / model_bytes, 3).c_str(),
            grouped(model_bytes).c_str(), grouped(2 * model_bytes).c_str());
  if (reference_log)
    appendf(text, "reference kernels: %s instructions per invoke = %sx these\n",
            grouped(*reference_log->invoke_instructions).c_str(),
            fixed(static_cast<double>(*reference_log->invoke_instructions) / instructions, 2).c_str());
  if (macs)
    appendf(text, "%s MACs (%s): %s MACs per instruction\n", grouped(*macs).c_str(),
            printable(macs_source).c_str(), fixed(per_instruction(instructions), 3).c_str());
  if (anchors)
    appendf(text, "TFLM %s: reference %s, CMSIS-NN %s instructions per invoke; these / CMSIS-NN = %s\n",
            printable(anchors->name).c_str(), grouped(anchors->reference_instructions).c_str(),
            grouped(anchors->cmsis_instructions).c_str(),
            fixed(static_cast<double>(instructions) / anchors->cmsis_instructions, 2).c_str());
  if (!log->finished_ok)
    appendf(text, "warning: the run log has no 'EI result=ok' line: the run did not finish\n");
  print_report(text);
  return 0;
}

}  // namespace

Command add_size_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "size", "Firmware footprint from its linker map: flash and RAM per component, with run measurements");
  auto options = std::make_shared<SizeOptions>();
  command->add_option("FIRMWARE", options->elf, "The firmware ELF; its GNU ld map is read from FIRMWARE.map")
      ->required();
  command->add_option("--map", options->map, "The linker map (default: FIRMWARE.map)");
  command->add_option("--run-log", options->run_log,
                      "The firmware's output (EI lines): arena used, stack peak, instructions per invoke");
  command->add_option("--reference-run-log", options->reference_run_log,
                      "Output of the same model's reference-kernel firmware: instructions compared");
  command->add_option("--model", options->model, "The .tflite model, for its MACs (MACs per instruction)");
  command->add_option("--anchors", options->anchors,
                      "TFLM anchors JSON (anchors/cm4_tflm.json) to compare with");
  command->add_option("--anchor-model", options->anchor_model,
                      "Model name in the anchors (default: the run's)");
  command->add_flag("--json", options->json, "Print JSON");
  command->add_flag("--markdown", options->markdown, "Print a Markdown table (header and one row)");
  command->add_flag("--objects", options->objects, "Also list flash bytes per object file");
  return {command, [options] { return size_report(*options); }};
}

}  // namespace edgeinfer::cli
