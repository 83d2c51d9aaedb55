// int8 models agree with their float twins (the same network before TensorFlow's post-training
// quantization) on the same inputs. Inputs are int8 values from the LCG, dequantized with the int8 model's
// input parameters and fed to the float model, so both see exactly the same real numbers.
//
// Metric: normalized RMS error, RMS(int8 output dequantized - float output) / RMS(float output), over 4
// seeds. The LCG inputs are noise, far from the data these models were calibrated on, so activations often
// saturate the int8 ranges: errors are larger than on real data. Each bound is about 1.5x the figure we
// measured (in the comment), so a real arithmetic error (a wrong multiplier or rounding: 20-100% error)
// fails while the quantization noise itself passes.
#include <gtest/gtest.h>

#include <cmath>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

struct Twin {
  std::string float_model;  // path below shared/models
  std::string int8_model;
  double max_normalized_rms;  // bound asserted
};

void PrintTo(const Twin& twin, std::ostream* os) { *os << twin.int8_model; }

class FloatTwinTest : public ::testing::TestWithParam<Twin> {};

struct Runner {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
};

std::unique_ptr<Runner> open(const std::filesystem::path& path) {
  auto r = std::make_unique<Runner>();
  Status status = r->model.load_file(path.string());
  if (status.is_ok()) status = r->runner.init(r->model.model(), r->resolver);
  EXPECT_TRUE(status.is_ok()) << path << ": " << status.message();
  return status.is_ok() ? std::move(r) : nullptr;
}

TEST_P(FloatTwinTest, Int8AgreesWithFloatWithinTolerance) {
  EI_REQUIRE_SHARED_DIR(shared);
  const Twin& twin = GetParam();
  auto real = open(shared / "models" / twin.float_model);
  auto quantized = open(shared / "models" / twin.int8_model);
  ASSERT_TRUE(real && quantized);
  Interpreter& f = real->runner.interpreter();
  Interpreter& q = quantized->runner.interpreter();
  ASSERT_EQ(f.num_inputs(), q.num_inputs());
  double error_squares = 0, signal_squares = 0;
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    for (int i = 0; i < q.num_inputs(); ++i) {
      const Tensor qi = q.input(i), fi = f.input(i);
      ASSERT_EQ(qi.num_elements(), fi.num_elements());
      ASSERT_TRUE(fill_lcg(qi, seed).is_ok());
      std::vector<float> values(qi.num_elements());
      ASSERT_TRUE(qi.get_as_float(values.data(), values.size()).is_ok());
      ASSERT_TRUE(fi.set_from_float(values.data(), values.size()).is_ok());
    }
    ASSERT_TRUE(f.invoke().is_ok());
    ASSERT_TRUE(q.invoke().is_ok());
    ASSERT_TRUE(f.reset_state().is_ok());
    ASSERT_TRUE(q.reset_state().is_ok());
    for (int o = 0; o < q.num_outputs(); ++o) {
      const Tensor qo = q.output(o), fo = f.output(o);
      ASSERT_EQ(qo.num_elements(), fo.num_elements());
      std::vector<float> dequantized(qo.num_elements());
      ASSERT_TRUE(qo.get_as_float(dequantized.data(), dequantized.size()).is_ok());
      for (int64_t k = 0; k < qo.num_elements(); ++k) {
        const double expected = fo.data_as<float>()[k];
        error_squares += (dequantized[k] - expected) * (dequantized[k] - expected);
        signal_squares += expected * expected;
      }
    }
  }
  ASSERT_GT(signal_squares, 0.0);
  const double normalized_rms = std::sqrt(error_squares / signal_squares);
  RecordProperty("normalized_rms", std::to_string(normalized_rms));
  std::printf("%s vs %s: normalized RMS error %.4f (bound %.2f)\n", twin.int8_model.c_str(),
              twin.float_model.c_str(), normalized_rms, twin.max_normalized_rms);
  EXPECT_LE(normalized_rms, twin.max_normalized_rms);
}

INSTANTIATE_TEST_SUITE_P(
    Twins, FloatTwinTest,
    ::testing::Values(
        // measured 0.111: a single scalar output, where one int8 step is a large share of the value
        Twin{"tflm/hello_world_float.tflite", "tflm/hello_world_int8.tflite", 0.17},
        Twin{"mlperf_tiny/ad01_fp32.tflite", "mlperf_tiny/ad01_int8.tflite", 0.15},  // measured 0.101
        Twin{"tflm/trained_lstm.tflite", "tflm/trained_lstm_int8.tflite", 0.01},  // measured 0.003
        Twin{"mlperf_tiny/pretrainedResnet.tflite", "mlperf_tiny/pretrainedResnet_quant.tflite",
             0.20},  // measured 0.132
        Twin{"mlperf_tiny/vww_96_float.tflite", "mlperf_tiny/vww_96_int8.tflite", 0.05}),  // measured 0.027
    [](const auto& info) {
      std::string name = std::filesystem::path(info.param.int8_model).stem().string();
      return name;
    });

}  // namespace
}  // namespace edgeinfer
