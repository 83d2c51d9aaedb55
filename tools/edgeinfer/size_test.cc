// The linker map parser and run log reader behind `edgeinfer size`, on small hand-written texts in the layout
// GNU ld 2.40 writes (tests/firmware's maps): names too long for their column wrap onto the next line.
#include "tools/edgeinfer/size.h"

#include <gtest/gtest.h>

namespace edgeinfer::cli {
namespace {

constexpr const char* kMap = R"(Archive member included to satisfy reference by file (symbol)

libedgeinfer_runtime.a(model.cc.obj)
                              CMakeFiles/model.elf.dir/model_main.cc.obj (edgeinfer::Model::from_bytes)

Discarded input sections

 .text          0x00000000        0x0 libedgeinfer_runtime.a(model.cc.obj)

Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x00000000         0x00400000         xr
RAM              0x20000000         0x00400000         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

LOAD CMakeFiles/model.elf.dir/model_main.cc.obj
LOAD libedgeinfer_runtime.a
START GROUP
LOAD /usr/lib/picolibc/arm-none-eabi/lib/release/thumb/v7e-m+fp/hard/libc.a
END GROUP
                0x00004000                        __stack_size = DEFINED (__stack_size)?__stack_size:0x4000

.vectors        0x00000000       0x40
 *(.vectors)
 .vectors       0x00000000       0x40 CMakeFiles/ei_cortex_m_platform.dir/platform/cortex_m/startup.S.obj
                0x00000000                ei_vector_table

.text           0x00000040      0x200
 *(.text .text.*)
 .text._ZN9edgeinfer5Model10from_bytesEPKvjPS0_
                0x00000040      0x100 libedgeinfer_runtime.a(model.cc.obj)
                0x00000040                edgeinfer::Model::from_bytes(void const*, unsigned int, edgeinfer::Model*)
 *fill*         0x00000140        0x4 
 .text.conv     0x00000144       0x7c libedgeinfer_kernels.a(conv.cc.obj)
 .text.main     0x000001c0       0x40 CMakeFiles/model.elf.dir/model_main.cc.obj
                0x000001c0                main
 .text          0x00000200       0x30 /usr/lib/picolibc/arm-none-eabi/lib/release/thumb/v7e-m+fp/hard/libc.a(memcpy.S.o)
 .text          0x00000230        0x8 /usr/lib/gcc/arm-none-eabi/12.2.1/thumb/v7e-m+fp/hard/libgcc.a(_udivmoddi4.o)
 .glue_7t       0x00000238        0x0 linker stubs
                0x00000240                        . = ALIGN (0x4)

.model          0x00000240       0x50
                0x00000240                        . = ALIGN (0x10)
 *(.model .model.*)
 .model         0x00000240       0x50 CMakeFiles/model.elf.dir/model/hello_data.cc.obj
                0x00000240                ei_model_data

.ARM.extab
 *(.ARM.extab* .gnu.linkonce.armextab.*)

.stack          0x20000000     0x4000
                0x20000000                        __stack_limit = .
 *fill*         0x20000000     0x4000 

.data           0x20004000        0x8 load address 0x00000290
 *(.data .data.*)
 .data._ZN9edgeinfer8cortex_m12_GLOBAL__N_110g_overheadE
                0x20004000        0x8 CMakeFiles/ei_cortex_m_platform.dir/platform/cortex_m/icount.cc.obj

.bss            0x20004008       0x74 load address 0x00000298
 .bss._ZZ4mainE11interpreter
                0x20004008       0x74 CMakeFiles/model.elf.dir/model_main.cc.obj

.arena          0x20004080     0x1000 load address 0x00000298
 *(.arena .arena.*)
 .arena         0x20004080     0x1000 CMakeFiles/model.elf.dir/model_main.cc.obj

/DISCARD/
 *(.note.GNU-stack)

.comment        0x00000000       0x26
 .comment       0x00000000       0x26 CMakeFiles/model.elf.dir/model_main.cc.obj
.debug_info     0x00000000     0x9999
 .debug_info    0x00000000     0x9999 libedgeinfer_runtime.a(model.cc.obj)
OUTPUT(model.elf elf32-littlearm)
)";

Footprint footprint_of(const char* text) {
  std::string error;
  const auto map = parse_linker_map(text, &error);
  EXPECT_TRUE(map.has_value()) << error;
  if (!map) return {};
  const auto footprint = compute_footprint(*map, &error);
  EXPECT_TRUE(footprint.has_value()) << error;
  return footprint.value_or(Footprint{});
}

TEST(LinkerMapTest, ReadsRegionsAndAllocatedSectionsOnly) {
  std::string error;
  const auto map = parse_linker_map(kMap, &error);
  ASSERT_TRUE(map.has_value()) << error;
  ASSERT_EQ(map->regions.size(), 2u);
  EXPECT_EQ(map->regions[0].name, "FLASH");
  EXPECT_FALSE(map->regions[0].writable);
  EXPECT_EQ(map->regions[1].origin, 0x20000000u);
  EXPECT_TRUE(map->regions[1].writable);
  std::vector<std::string> names;
  for (const auto& section : map->sections) names.push_back(section.name);
  EXPECT_EQ(names, (std::vector<std::string>{".vectors", ".text", ".model", ".ARM.extab", ".stack", ".data",
                                             ".bss", ".arena"}));
  const OutputSection& text = map->sections[1];
  EXPECT_EQ(text.address, 0x40u);
  EXPECT_EQ(text.size, 0x200u);
  ASSERT_EQ(text.inputs.size(), 6u);
  // A name too long for its column: address, size and file on the next line.
  EXPECT_EQ(text.inputs[0].name, ".text._ZN9edgeinfer5Model10from_bytesEPKvjPS0_");
  EXPECT_EQ(text.inputs[0].size, 0x100u);
  EXPECT_EQ(text.inputs[0].file, "libedgeinfer_runtime.a(model.cc.obj)");
  EXPECT_EQ(text.inputs[1].size, 0x7cu + 4) << "the padding before it counts with the section it aligns";
  EXPECT_EQ(text.inputs[5].file, "linker stubs");
  EXPECT_EQ(map->sections[5].load_address, 0x290u);
  EXPECT_FALSE(map->sections[1].load_address.has_value());
}

TEST(LinkerMapTest, SplitsFlashAndRamByComponent) {
  const Footprint footprint = footprint_of(kMap);
  EXPECT_EQ(footprint.flash_of(Component::kRuntime), 0x100u);
  EXPECT_EQ(footprint.flash_of(Component::kKernels), 0x80u);
  EXPECT_EQ(footprint.flash_of(Component::kModel), 0x50u);
  EXPECT_EQ(footprint.flash_of(Component::kCLibrary), 0x38u);  // picolibc's memcpy + libgcc
  // Vectors 0x40 + main 0x40 + .text's final ALIGN 0x8 + .data's initial values 0x8.
  EXPECT_EQ(footprint.flash_of(Component::kOther), 0x40u + 0x40 + 0x8 + 0x8);
  EXPECT_EQ(footprint.flash_total, 0x40u + 0x200 + 0x50 + 0x8);
  EXPECT_EQ(footprint.arena_bytes, 0x1000u);
  EXPECT_EQ(footprint.stack_reserved_bytes, 0x4000u);
  EXPECT_EQ(footprint.data_bytes, 8u);
  EXPECT_EQ(footprint.bss_bytes, 0x74u);
  EXPECT_EQ(footprint.flash_by_object.at("libedgeinfer_kernels.a(conv.cc.obj)"), 0x80u);
  EXPECT_EQ(footprint.flash_by_object.at("model_main.cc.obj"), 0x40u);
}

TEST(LinkerMapTest, NewlibNanoArchivesCountAsCLibrary) {
  std::string text = kMap;
  const std::string picolibc = "/usr/lib/picolibc/arm-none-eabi/lib/release/thumb/v7e-m+fp/hard/libc.a";
  text.replace(text.find(picolibc + "(memcpy"), picolibc.size(),
               "/usr/lib/arm-none-eabi/newlib/thumb/v7e-m+fp/hard/libc_nano.a");
  EXPECT_EQ(footprint_of(text.c_str()).flash_of(Component::kCLibrary), 0x38u);
}

TEST(LinkerMapTest, RejectsTextThatIsNotAMap) {
  std::string error;
  EXPECT_FALSE(parse_linker_map("", &error).has_value());
  EXPECT_NE(error.find("not a GNU ld map"), std::string::npos) << error;
  EXPECT_FALSE(parse_linker_map("\x7f"
                                "ELF\x01\x01 binary junk",
                                &error)
                   .has_value());
  EXPECT_NE(error.find("Memory Configuration"), std::string::npos) << error;

  // Truncated right after the memory configuration.
  std::string text = kMap;
  text.resize(text.find("Linker script and memory map"));
  EXPECT_FALSE(parse_linker_map(text, &error).has_value());
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  // Truncated among the sections: without ld's closing OUTPUT(...) line the sums would be short.
  text = kMap;
  text.resize(text.find(".bss            0x20004008"));
  EXPECT_FALSE(parse_linker_map(text, &error).has_value());
  EXPECT_NE(error.find("no OUTPUT(...) line after the sections: truncated"), std::string::npos) << error;

  // A size that is not a number, reported with its line.
  text = kMap;
  text.replace(text.find(".text           0x00000040      0x200"), 37,
               ".text           0x00000040      0xzz0");
  EXPECT_FALSE(parse_linker_map(text, &error).has_value());
  EXPECT_NE(error.find("garbled output section '.text'"), std::string::npos) << error;
  EXPECT_EQ(error.rfind("line ", 0), 0u) << error;
}

TEST(LinkerMapTest, RejectsSectionsOutsideEveryRegion) {
  std::string text = kMap;
  const std::string ram = "RAM              0x20000000";
  text.replace(text.find(ram), ram.size(), "RAM              0x30000000");
  std::string error;
  const auto map = parse_linker_map(text, &error);
  ASSERT_TRUE(map.has_value()) << error;
  EXPECT_FALSE(compute_footprint(*map, &error).has_value());
  EXPECT_NE(error.find("section .stack at 0x20000000 lies in no memory region"), std::string::npos) << error;
}

constexpr const char* kRunLog = R"(EI icount_selftest PASSED
EI firmware board=mps2-an386 libc=picolibc model=hello_world_int8 kernels=optimized seed=12345 model_bytes=2704 icount_shift=3
EI verify instructions=13905
EI allocate instructions=36350 arena_used_bytes=544 arena_persistent_bytes=400 arena_planned_bytes=144 arena_reserved_bytes=560
EI invoke run=first ticks=1900 instructions=9500 stack_bytes=960
EI output index=0 bytes=1 hex=1e
EI invoke run=second ticks=1854 instructions=9270 stack_bytes=948
EI ram data_bytes=8 bss_bytes=116 arena_reserved_bytes=560 stack_reserved_bytes=16384 stack_peak_bytes=2300
EI result=ok
PASS firmware mps2-an386 hello_world_int8 seed 12345
)";

TEST(RunLogTest, ReadsTheSecondInvokeAndTheRunsPeaks) {
  std::string error;
  const auto log = parse_run_log(kRunLog, &error);
  ASSERT_TRUE(log.has_value()) << error;
  EXPECT_EQ(log->model, "hello_world_int8");
  EXPECT_EQ(log->kernels, "optimized");
  EXPECT_EQ(log->board, "mps2-an386");
  EXPECT_EQ(log->model_bytes, 2704u);
  EXPECT_EQ(log->verify_instructions, 13905u);
  EXPECT_EQ(log->allocate_instructions, 36350u);
  EXPECT_EQ(log->arena_used_bytes, 544u);
  EXPECT_EQ(log->invoke_instructions, 9270u);
  EXPECT_EQ(log->invoke_stack_bytes, 948u);
  EXPECT_EQ(log->stack_peak_bytes, 2300u);
  EXPECT_TRUE(log->finished_ok);
}

TEST(RunLogTest, RejectsFailedRunsAndOtherText) {
  std::string error;
  std::string text = kRunLog;
  text.insert(text.find("EI invoke run=first"), "EI error: allocate: arena too small\n");
  EXPECT_FALSE(parse_run_log(text, &error).has_value());
  EXPECT_NE(error.find("the firmware failed: error: allocate: arena too small"), std::string::npos) << error;

  EXPECT_FALSE(parse_run_log("hello\nworld\n", &error).has_value());
  EXPECT_NE(error.find("not the output of the model firmware"), std::string::npos) << error;

  text = kRunLog;
  text.replace(text.find("instructions=9270"), 17, "instructions=92x0");
  EXPECT_FALSE(parse_run_log(text, &error).has_value());
  EXPECT_NE(error.find("line 7: instructions=92x0 is not a number"), std::string::npos) << error;
}

}  // namespace
}  // namespace edgeinfer::cli
