# Cortex-M platform support for firmware projects configured with arm-none-eabi.cmake:
#   include(<repo>/platform/cortex_m/cortex_m.cmake)
#   add_executable(app.elf main.cc)
#   ei_cortex_m_firmware(app.elf)      # startup, semihosting, icount, linker script, map file, size report
set(EI_CORTEX_M_DIR "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(EI_REPO_ROOT "${EI_CORTEX_M_DIR}/../.." ABSOLUTE)

if(NOT DEFINED EI_BOARD)
  message(FATAL_ERROR "EI_BOARD is not set: configure with -DCMAKE_TOOLCHAIN_FILE=${EI_CORTEX_M_DIR}/arm-none-eabi.cmake")
endif()
string(REPLACE "-" "_" _ei_board_id "${EI_BOARD}")
set(EI_LINKER_SCRIPT "${EI_CORTEX_M_DIR}/${_ei_board_id}.ld")
if(NOT EXISTS "${EI_LINKER_SCRIPT}")
  message(FATAL_ERROR "no linker script for board ${EI_BOARD} (${EI_LINKER_SCRIPT})")
endif()
set(EI_ICOUNT_SHIFT 3 CACHE STRING "QEMU -icount shift the firmware assumes (scripts/qemu_run.sh uses 3)")
# The clock of the timer platform/cortex_m/icount.cc counts with: MPS2 TIMER0 runs at SYSCLK (25 MHz), the
# an547's system counter at 32 MHz.
if(EI_BOARD STREQUAL "mps3-an547")
  set(_ei_timer_hz 32000000)
else()
  set(_ei_timer_hz 25000000)
endif()
string(TOUPPER "${_ei_board_id}" _ei_board_macro)

# An object library, not an archive: the vector table and Reset_Handler must be linked although nothing in
# the application refers to them.
add_library(ei_cortex_m_platform OBJECT
  "${EI_CORTEX_M_DIR}/startup.S"
  "${EI_CORTEX_M_DIR}/runtime_support.cc"
  "${EI_CORTEX_M_DIR}/semihosting.cc"
  "${EI_CORTEX_M_DIR}/icount.cc"
  "${EI_CORTEX_M_DIR}/stack.cc")
target_include_directories(ei_cortex_m_platform PUBLIC "${EI_REPO_ROOT}")
target_compile_definitions(ei_cortex_m_platform PUBLIC EI_ICOUNT_SHIFT=${EI_ICOUNT_SHIFT}
                           EI_ICOUNT_TIMER_HZ=${_ei_timer_hz} EI_BOARD_${_ei_board_macro}=1
                           EI_BOARD_NAME="${EI_BOARD}" EI_LIBC_NAME="${EI_LIBC}")
target_compile_features(ei_cortex_m_platform PUBLIC cxx_std_17)

function(ei_cortex_m_firmware target)
  target_link_libraries(${target} PRIVATE ei_cortex_m_platform)
  target_link_options(${target} PRIVATE
    "-T${EI_LINKER_SCRIPT}" "-L${EI_CORTEX_M_DIR}"
    "-Wl,-Map=$<TARGET_FILE:${target}>.map" "-Wl,--print-memory-usage")
  set_target_properties(${target} PROPERTIES LINK_DEPENDS
    "${EI_LINKER_SCRIPT};${EI_CORTEX_M_DIR}/cortex_m_sections.ld")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_SIZE}" -A "$<TARGET_FILE:${target}>"
    VERBATIM)
endfunction()
