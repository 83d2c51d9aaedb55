# ctest entries for the Cortex-M firmware (included from tests/CMakeLists.txt): each builds the firmware with
# scripts/firmware_build.sh into this build tree, runs the instruction counter's self-test and the model under
# QEMU, compares the outputs byte for byte with the host CLI's and prints the footprint (`edgeinfer size`).
# Skip visibly ("[  SKIPPED ]") without arm-none-eabi-g++, qemu-system-arm or the shared models. Label
# `firmware`.
#
# Tests for one board share a firmware build tree: the core libraries compile once (70 s on two cores), then
# each test reconfigures EI_MODEL/EI_KERNELS and rebuilds only the model's source, main and the link; with the
# QEMU runs, 2-3 s per test. The whole label: 2 minutes from empty trees. RESOURCE_LOCK runs them in turn.
option(EDGEINFER_FIRMWARE_TESTS "Add the Cortex-M firmware tests (QEMU) to ctest" ON)
if(NOT EDGEINFER_FIRMWARE_TESTS)
  return()
endif()

# edgeinfer_add_firmware_test(BOARD MODEL SEED [reference|optimized]): MODEL relative to the shared dir.
function(edgeinfer_add_firmware_test board model seed)
  set(kernels optimized)
  if(ARGC GREATER 3)
    set(kernels ${ARGV3})
  endif()
  get_filename_component(name "${model}" NAME_WE)
  set(test firmware_${board}_${name}_seed${seed})
  if(kernels STREQUAL "reference")
    string(APPEND test _reference)
  endif()
  string(REPLACE "-" "_" test "${test}")
  add_test(NAME ${test}
           COMMAND "${PROJECT_SOURCE_DIR}/scripts/firmware_test.sh" --board ${board} --kernels ${kernels}
                   --host-bin "$<TARGET_FILE:edgeinfer>" --build-dir "${CMAKE_BINARY_DIR}/firmware-${board}"
                   --shared-dir "${EDGEINFER_SHARED_DIR}" "${model}" ${seed})
  set_tests_properties(${test} PROPERTIES LABELS firmware SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
                       RESOURCE_LOCK firmware-${board} TIMEOUT 1800)
endfunction()

# The six int8 models of the Cortex-M target, optimized kernels (kernels/optimized/cortex_m), TFLM's seed.
edgeinfer_add_firmware_test(mps2-an386 models/mlperf_tiny/kws_ref_model.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/mlperf_tiny/pretrainedResnet_quant.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/mlperf_tiny/vww_96_int8.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/mlperf_tiny/ad01_int8.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/tflm/person_detect.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/tflm/micro_speech_quantized.tflite 12345)
# The reference kernels on the target too: FULLY_CONNECTED, a second seed through depthwise conv + FC, and a
# conv model.
edgeinfer_add_firmware_test(mps2-an386 models/tflm/hello_world_int8.tflite 12345 reference)
edgeinfer_add_firmware_test(mps2-an386 models/tflm/micro_speech_quantized.tflite 7 reference)
edgeinfer_add_firmware_test(mps2-an386 models/mlperf_tiny/kws_ref_model.tflite 12345 reference)
# A float model, the M7 board, and the M55 board (its own instruction counter: the SSE-300 system counter).
edgeinfer_add_firmware_test(mps2-an386 models/tflm/hello_world_float.tflite 12345)
edgeinfer_add_firmware_test(mps2-an500 models/tflm/hello_world_int8.tflite 12345)
edgeinfer_add_firmware_test(mps3-an547 models/tflm/person_detect.tflite 12345)
