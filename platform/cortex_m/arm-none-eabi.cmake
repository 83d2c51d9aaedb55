# CMake toolchain file: bare-metal Arm Cortex-M with the GNU Arm toolchain (arm-none-eabi-gcc).
#
#   cmake -S tests/firmware -B build/fw -DCMAKE_TOOLCHAIN_FILE=platform/cortex_m/arm-none-eabi.cmake \
#         -DEI_BOARD=mps2-an386 [-DEI_LIBC=newlib-nano|picolibc]
#
# EI_BOARD picks the CPU flags here and the linker script in cortex_m.cmake:
#   mps2-an386  Cortex-M4F, FPv4-SP (single-precision FPU)   QEMU -M mps2-an386
#   mps2-an500  Cortex-M7,  FPv5-D16 (double-precision FPU)  QEMU -M mps2-an500
#   mps3-an547  Cortex-M55, FPv5-D16 + Helium (MVE)          QEMU -M mps3-an547
# EI_LIBC: picolibc (--specs=picolibc.specs; the default when installed) or newlib-nano (--specs=nano.specs,
# ships with the toolchain); README.md compares them.
# We bring our own startup code (startup.S), so no crt0 is linked (-nostartfiles).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(EI_BOARD "mps2-an386" CACHE STRING
    "Target board: mps2-an386 (Cortex-M4F), mps2-an500 (Cortex-M7) or mps3-an547 (Cortex-M55)")
find_program(EI_ARM_GCC arm-none-eabi-gcc REQUIRED)
# picolibc when installed (Debian: picolibc-arm-none-eabi): smaller than newlib-nano (README.md).
execute_process(COMMAND "${EI_ARM_GCC}" -print-file-name=picolibc.specs OUTPUT_VARIABLE _ei_picolibc_specs
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(IS_ABSOLUTE "${_ei_picolibc_specs}" AND EXISTS "${_ei_picolibc_specs}")
  set(_ei_default_libc picolibc)
else()
  set(_ei_default_libc newlib-nano)
endif()
set(EI_LIBC "${_ei_default_libc}" CACHE STRING "C library: picolibc (default when installed) or newlib-nano")
# try_compile() projects re-read this file: pass the choices on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EI_BOARD EI_LIBC)
# A bare-metal executable cannot link without our startup code and linker script: test the compiler only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

get_filename_component(EI_ARM_BIN "${EI_ARM_GCC}" DIRECTORY)
set(CMAKE_C_COMPILER "${EI_ARM_BIN}/arm-none-eabi-gcc")
set(CMAKE_CXX_COMPILER "${EI_ARM_BIN}/arm-none-eabi-g++")
set(CMAKE_ASM_COMPILER "${EI_ARM_BIN}/arm-none-eabi-gcc")
set(CMAKE_OBJCOPY "${EI_ARM_BIN}/arm-none-eabi-objcopy" CACHE FILEPATH "")
set(CMAKE_SIZE "${EI_ARM_BIN}/arm-none-eabi-size" CACHE FILEPATH "")
set(CMAKE_NM "${EI_ARM_BIN}/arm-none-eabi-nm" CACHE FILEPATH "")

if(EI_BOARD STREQUAL "mps2-an386")
  set(EI_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16")
elseif(EI_BOARD STREQUAL "mps2-an500")
  # QEMU's Cortex-M7 has the double-precision FPv5 unit (MVFR0 reports double support).
  set(EI_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16")
elseif(EI_BOARD STREQUAL "mps3-an547")
  # -mcpu=cortex-m55 implies the FPU and MVE (Helium); the C library comes from the v8-m.main+dp multilib.
  set(EI_CPU_FLAGS "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
else()
  message(FATAL_ERROR "EI_BOARD: unknown board '${EI_BOARD}' (mps2-an386, mps2-an500 or mps3-an547)")
endif()

set(EI_LIBC_LINK_FLAGS "")
if(EI_LIBC STREQUAL "newlib-nano")
  set(EI_LIBC_FLAGS "--specs=nano.specs")
elseif(EI_LIBC STREQUAL "picolibc")
  set(EI_LIBC_FLAGS "--specs=picolibc.specs")
  # Link the speed-optimized build (the default one is -Os with byte-by-byte memcpy/memset: 1.6x the
  # instructions per invoke on hello_world_int8) and the integer-only printf (the core never formats floats;
  # the default one carries a float-to-decimal converter, 3.4 KB).
  set(EI_LIBC_LINK_FLAGS "--picolibc-buildtype=release -Wl,--defsym=vfprintf=__i_vfprintf")
else()
  message(FATAL_ERROR "EI_LIBC: unknown C library '${EI_LIBC}' (newlib-nano or picolibc)")
endif()

# Sections per function/object so --gc-sections drops what the model does not use (unregistered kernels).
set(CMAKE_C_FLAGS_INIT "${EI_CPU_FLAGS} ${EI_LIBC_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${EI_CPU_FLAGS}")
# No exceptions, RTTI or thread-safe statics (no OS); no atexit registration for static destructors
# (firmware never returns to a caller that would run them).
set(CMAKE_CXX_FLAGS_INIT
    "${CMAKE_C_FLAGS_INIT} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
# (CMake links through the compiler with the compile flags, so CPU and specs flags are already there.)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections ${EI_LIBC_LINK_FLAGS}")

# Find headers and libraries for the target only in the toolchain's own sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
