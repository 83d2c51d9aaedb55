// The host side of the firmware test: runs monitor_scenario.h's scenario through the same VibrationMonitor
// with the detector `edgeinfer demo vibration --save-detector DIR` wrote, and prints the same lines as the
// firmware (monitor_main.cc) without its instruction counts.
//   vibration_monitor_host DIR        (DIR/model.tflite, DIR/detector.json)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "edgeinfer/interpreter.h"
#include "edgeinfer/model.h"
#include "examples/vibration_anomaly/firmware/monitor_scenario.h"

namespace vib = edgeinfer::vibration;

namespace {

struct HostHooks {
  void write(const char* text) { std::fputs(text, stdout); }
  void before_push() {}
  void after_push(bool, int) {}
};

int fail(const std::string& what) {
  std::fprintf(stderr, "vibration_monitor_host: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: vibration_monitor_host DETECTOR_DIR");
  const std::string dir = argv[1];
  std::ifstream model_file(dir + "/model.tflite", std::ios::binary);
  std::ifstream json_file(dir + "/detector.json");
  if (!model_file || !json_file) return fail("cannot read " + dir + "/model.tflite and detector.json");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(model_file)),
                                std::istreambuf_iterator<char>());
  // Aligned like the firmware's copy in flash.
  alignas(16) static unsigned char model_data[1 << 20];
  if (bytes.size() > sizeof model_data) return fail("model too large");
  std::copy(bytes.begin(), bytes.end(), model_data);

  vib::DetectorParams params;
  try {
    const nlohmann::json j = nlohmann::json::parse(json_file);
    // The json holds each float as the shortest decimal of its exact double value: back to the same float.
    for (int i = 0; i < vib::kModelInputs; ++i) {
      params.input_mean[i] = static_cast<float>(j.at("input_mean").at(i).get<double>());
      params.input_std[i] = static_cast<float>(j.at("input_std").at(i).get<double>());
    }
    params.score_threshold = static_cast<float>(j.at("score_threshold").get<double>());
  } catch (const std::exception& e) {
    return fail(dir + "/detector.json: " + e.what());
  }

  static edgeinfer::MutableOpResolver<vib::scenario::kNumOps> resolver;
  if (auto s = vib::scenario::register_kernels(&resolver); !s) return fail(s.message());
  static edgeinfer::Model model;
  if (auto s = edgeinfer::Model::from_bytes(model_data, bytes.size(), &model); !s) return fail(s.message());
  alignas(edgeinfer::Interpreter::kArenaAlignment) static uint8_t arena[64 * 1024];
  static edgeinfer::Interpreter interpreter(model, resolver, arena, sizeof arena);
  if (auto s = interpreter.allocate(); !s) return fail(s.message());
  HostHooks hooks;
  return vib::scenario::run(&interpreter, params, hooks) ? 0 : 1;
}
