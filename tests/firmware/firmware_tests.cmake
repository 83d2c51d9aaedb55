# ctest entries for the Cortex-M firmware (included from tests/CMakeLists.txt): each builds the firmware with
# scripts/firmware_build.sh into this build tree, runs the instruction counter's self-test and the model under
# QEMU, and compares the outputs byte for byte with the host CLI's. Skip visibly ("[  SKIPPED ]") without
# arm-none-eabi-g++, qemu-system-arm or the shared models. Label `firmware`.
#
# Tests for one board share a firmware build tree (the core libraries compile once, ~2 minutes on two cores):
# RESOURCE_LOCK runs them one after the other.
option(EDGEINFER_FIRMWARE_TESTS "Add the Cortex-M firmware tests (QEMU) to ctest" ON)
if(NOT EDGEINFER_FIRMWARE_TESTS)
  return()
endif()

function(edgeinfer_add_firmware_test board model seed)
  get_filename_component(name "${model}" NAME_WE)
  set(test firmware_${board}_${name}_seed${seed})
  string(REPLACE "-" "_" test "${test}")
  add_test(NAME ${test}
           COMMAND "${PROJECT_SOURCE_DIR}/scripts/firmware_test.sh" --board ${board}
                   --host-bin "$<TARGET_FILE:edgeinfer>" --build-dir "${CMAKE_BINARY_DIR}/firmware-${board}"
                   --shared-dir "${EDGEINFER_SHARED_DIR}" "${model}" ${seed})
  set_tests_properties(${test} PROPERTIES LABELS firmware SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
                       RESOURCE_LOCK firmware-${board} TIMEOUT 1800)
endfunction()

# int8 FULLY_CONNECTED (the goldens' seed and another), the M7 board, a conv model, a float model.
edgeinfer_add_firmware_test(mps2-an386 models/tflm/hello_world_int8.tflite 12345)
edgeinfer_add_firmware_test(mps2-an386 models/tflm/micro_speech_quantized.tflite 7)
edgeinfer_add_firmware_test(mps2-an386 models/tflm/hello_world_float.tflite 12345)
edgeinfer_add_firmware_test(mps2-an500 models/tflm/hello_world_int8.tflite 12345)
