// edgeinfer demo: the main job on an embedded default, with no files needed. Builds a tiny int8 vibration
// anomaly model (an autoencoder over 8 vibration band energies), runs it in an exactly sized arena, and
// scores normal and faulty windows by reconstruction error, checked against plain float math.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"

namespace edgeinfer::cli {
namespace {

constexpr int kBands = 8;   // band energies per vibration window
constexpr int kLatent = 3;  // healthy machines vary along 3 directions (speed, load, temperature)
constexpr float kInputScale = 2.0f / 127;   // inputs within [-2, 2]
constexpr float kWeightScale = 1.0f / 127;  // unit basis vectors
constexpr float kLatentScale = 4.0f / 127;
constexpr float kAlertThreshold = 0.02f;  // mean squared reconstruction error

// An orthonormal basis of the healthy subspace (rows): what the encoder projects onto and the decoder
// rebuilds from. A trained autoencoder learns this; here it is fixed so the output can be explained.
std::vector<std::vector<float>> healthy_basis() {
  std::vector<std::vector<float>> basis = {
      {1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, -1, -1, -1, -1}, {1, 1, -1, -1, 1, 1, -1, -1}};
  for (auto& row : basis)
    for (float& v : row) v /= std::sqrt(8.0f);
  return basis;
}

int8_t quantize(float value, float scale) {
  const float q = std::round(value / scale);
  return static_cast<int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
}

std::vector<uint8_t> build_model() {
  const auto basis = healthy_basis();
  std::vector<int8_t> encoder, decoder;
  for (int l = 0; l < kLatent; ++l)
    for (int b = 0; b < kBands; ++b)
      encoder.push_back(quantize(basis[l][b], kWeightScale));  // [latent, bands]
  for (int b = 0; b < kBands; ++b)
    for (int l = 0; l < kLatent; ++l)
      decoder.push_back(quantize(basis[l][b], kWeightScale));  // [bands, latent]
  using compiler::QuantParams;
  compiler::ModelBuilder builder;
  builder.set_description("EdgeInfer demo: vibration anomaly autoencoder (8 bands -> 3 -> 8), int8");
  const int window =
      builder.add_tensor(DataType::kInt8, {1, kBands}, QuantParams::per_tensor(kInputScale, 0), "window");
  const int enc_w = builder.add_constant(DataType::kInt8, {kLatent, kBands}, encoder,
                                         QuantParams::per_tensor(kWeightScale, 0), "encoder/weights");
  const int enc_b =
      builder.add_constant(DataType::kInt32, {kLatent}, std::vector<int32_t>(kLatent, 0),
                           QuantParams::per_tensor(kInputScale * kWeightScale, 0), "encoder/bias");
  const int latent =
      builder.add_tensor(DataType::kInt8, {1, kLatent}, QuantParams::per_tensor(kLatentScale, 0), "latent");
  const int dec_w = builder.add_constant(DataType::kInt8, {kBands, kLatent}, decoder,
                                         QuantParams::per_tensor(kWeightScale, 0), "decoder/weights");
  const int dec_b =
      builder.add_constant(DataType::kInt32, {kBands}, std::vector<int32_t>(kBands, 0),
                           QuantParams::per_tensor(kLatentScale * kWeightScale, 0), "decoder/bias");
  const int rebuilt = builder.add_tensor(DataType::kInt8, {1, kBands},
                                         QuantParams::per_tensor(kInputScale, 0), "reconstruction");
  auto fc_options = [](flatbuffers::FlatBufferBuilder& fbb) {
    return tflite::CreateFullyConnectedOptions(fbb).Union();
  };
  builder.add_op(BuiltinOp::kFullyConnected, {window, enc_w, enc_b}, {latent},
                 tflite::BuiltinOptions::FullyConnectedOptions, fc_options);
  builder.add_op(BuiltinOp::kFullyConnected, {latent, dec_w, dec_b}, {rebuilt},
                 tflite::BuiltinOptions::FullyConnectedOptions, fc_options);
  builder.set_inputs({window});
  builder.set_outputs({rebuilt});
  return builder.finish();
}

struct Window {
  const char* label;
  std::vector<float> bands;
};

// Healthy windows are combinations of the basis; faulty ones add energy in a direction healthy machines
// never show (a bearing tone in one band).
std::vector<Window> sample_windows() {
  const auto basis = healthy_basis();
  auto healthy = [&](float a, float b, float c) {
    std::vector<float> v(kBands);
    for (int i = 0; i < kBands; ++i) v[i] = a * basis[0][i] + b * basis[1][i] + c * basis[2][i];
    return v;
  };
  auto with_tone = [](std::vector<float> v, int band, float energy) {
    v[band] += energy;
    return v;
  };
  return {{"healthy, idle", healthy(0.5f, 0.1f, 0.0f)},
          {"healthy, full load", healthy(2.0f, 0.8f, -0.4f)},
          {"healthy, warm", healthy(1.2f, -0.3f, 0.6f)},
          {"bearing fault", with_tone(healthy(1.2f, -0.3f, 0.6f), 5, 0.9f)},
          {"imbalance", with_tone(with_tone(healthy(0.8f, 0.2f, 0.1f), 0, 0.7f), 1, -0.7f)}};
}

float float_score(const std::vector<float>& x) {
  const auto basis = healthy_basis();
  std::vector<float> rebuilt(kBands, 0.0f);
  for (int l = 0; l < kLatent; ++l) {
    float z = 0;
    for (int b = 0; b < kBands; ++b) z += basis[l][b] * x[b];
    for (int b = 0; b < kBands; ++b) rebuilt[b] += z * basis[l][b];
  }
  float error = 0;
  for (int b = 0; b < kBands; ++b) error += (x[b] - rebuilt[b]) * (x[b] - rebuilt[b]);
  return error / kBands;
}

int demo(const std::string& save_path) {
  const std::vector<uint8_t> bytes = build_model();
  if (!save_path.empty()) {
    OutputFile out(save_path);  // temporary file renamed into place: never a half-written model
    out.write(bytes.data(), bytes.size());
    out.commit();
  }
  host::LoadedModel loaded;
  Status status = loaded.load_bytes(bytes.data(), bytes.size());
  if (!status.is_ok()) throw CliError{status.message()};
  // Register only what the model uses, as firmware would.
  MutableOpResolver<1> resolver;
  resolver.add(BuiltinOp::kFullyConnected, reference::fully_connected());
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver);  // measures the exact arena, then allocates exactly that
  if (!status.is_ok()) throw CliError{status.message()};
  Interpreter& interpreter = runner.interpreter();

  std::printf("EdgeInfer demo: vibration anomaly detection on an embedded default\n\n");
  std::printf("model  : int8 autoencoder, 8 vibration band energies -> 3 -> 8, %zu bytes%s%s\n", bytes.size(),
              save_path.empty() ? "" : ", saved to ", printable(save_path).c_str());
  std::printf("arena  : %zu bytes, exact (%zu persistent + %zu activations); no heap, no guessing\n",
              runner.arena_bytes(), interpreter.persistent_bytes(), interpreter.planned_bytes());
  std::printf("score  : mean squared reconstruction error; alert above %.3f\n\n", kAlertThreshold);
  std::printf("%-20s %12s %12s  %s\n", "window", "int8 score", "float score", "verdict");
  int disagreements = 0;
  for (const Window& window : sample_windows()) {
    const Tensor input = interpreter.input(0);
    status = input.set_from_float(window.bands.data(), window.bands.size());
    if (!status.is_ok()) throw CliError{status.message()};
    const std::vector<float> original = [&] {  // what the model saw, after quantization
      std::vector<float> v(kBands);
      input.get_as_float(v.data(), v.size());
      return v;
    }();
    status = interpreter.invoke();
    if (!status.is_ok()) throw CliError{status.message()};
    std::vector<float> rebuilt(kBands);
    interpreter.output(0).get_as_float(rebuilt.data(), rebuilt.size());
    float error = 0;
    for (int b = 0; b < kBands; ++b) error += (original[b] - rebuilt[b]) * (original[b] - rebuilt[b]);
    const float score = error / kBands;
    const float reference = float_score(window.bands);
    const bool alert = score > kAlertThreshold;
    disagreements += alert != (reference > kAlertThreshold);
    std::printf("%-20s %12.4f %12.4f  %s\n", window.label, score, reference,
                alert ? "ALERT: send upstream" : "ok");
  }
  std::printf(
      "\nHealthy windows rebuild almost exactly (only int8 rounding remains); faults put energy outside\n"
      "what healthy machines show, so their reconstruction error is large and only they go upstream.\n");
  if (disagreements > 0) {
    std::fprintf(stderr, "edgeinfer demo: %d verdicts differ between int8 and float\n", disagreements);
    return 1;
  }
  return 0;
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "demo",
      "The flagship (demo vibration), or without a subcommand a tiny int8 autoencoder with "
      "hand-set weights that shows the exact arena (no files needed)");
  auto save_path = std::make_shared<std::string>();
  command->add_option("--save", *save_path,
                      "Also write the demo model to FILE (.tflite), e.g. to inspect it");
  const Command vibration = add_vibration_demo(*command);
  return {command, [save_path, vibration] {
            if (vibration.app->parsed()) return vibration.action();
            return demo(*save_path);
          }};
}

}  // namespace edgeinfer::cli
