// The real SVDF and LSTM models of ../shared against TFLM's goldens (first invoke after allocation, inputs
// from --fill lcg:12345), with only the kernels these models use registered.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::reference {
namespace {

struct Outputs {
  Status status;
  std::vector<uint8_t> bytes;
};

// Only the kernels these models use.
const testing::KernelList kKernels = {
    {BuiltinOp::kSvdf, &svdf()},
    {BuiltinOp::kUnidirectionalSequenceLstm, &unidirectional_sequence_lstm()},
    {BuiltinOp::kFullyConnected, &fully_connected()},
    {BuiltinOp::kReshape, &reshape()},
    {BuiltinOp::kSoftmax, &softmax()},
    {BuiltinOp::kQuantize, &quantize()},
    {BuiltinOp::kLogistic, &logistic()},
};

// One invoke with every input filled by the LCG from `seed`.
Outputs invoke_lcg(testing::ModelSession& model, uint32_t seed) {
  Outputs out;
  Interpreter& interpreter = model.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    out.status = fill_lcg(interpreter.input(i), seed);
    if (!out.status.is_ok()) return out;
  }
  out.status = interpreter.invoke();
  if (out.status.is_ok()) out.bytes = host::output_bytes(interpreter);
  return out;
}

void expect_golden(const std::string& dir, const std::string& stem) {
  EI_REQUIRE_SHARED_DIR(shared);
  testing::ModelSession model;
  const Status status = model.open_file((shared / "models" / dir / (stem + ".tflite")).string(), kKernels);
  ASSERT_TRUE(status.is_ok()) << status.message();
  const Outputs first = invoke_lcg(model, 12345);
  ASSERT_TRUE(first.status.is_ok()) << first.status.message();
  const std::vector<uint8_t> golden =
      testing::read_bytes(shared / "golden" / "tflm" / (stem + ".seed12345.bin"));
  ASSERT_EQ(first.bytes.size(), golden.size());
  for (size_t i = 0; i < golden.size(); ++i) {
    ASSERT_EQ(first.bytes[i], golden[i]) << stem << ": first differing byte " << i;
  }
  // The state carries over to a second invoke; reset_state() brings back the first result.
  const Outputs second = invoke_lcg(model, 12345);
  ASSERT_TRUE(second.status.is_ok());
  ASSERT_TRUE(model.interpreter().reset_state().is_ok());
  const Outputs again = invoke_lcg(model, 12345);
  ASSERT_TRUE(again.status.is_ok());
  EXPECT_EQ(again.bytes, golden);
}

TEST(RecurrentModels, KeywordScrambledInt16StateMatchesTflm) {
  expect_golden("tflm", "keyword_scrambled");
}
TEST(RecurrentModels, KeywordScrambledInt8StateMatchesTflm) {
  expect_golden("tflm", "keyword_scrambled_8bit");
}
TEST(RecurrentModels, TrainedLstmFloatMatchesTflm) {
  expect_golden("tflm", "trained_lstm");
}
TEST(RecurrentModels, TrainedLstmInt8MatchesTflm) {
  expect_golden("tflm", "trained_lstm_int8");
}

// No TFLM goldens for these: they must allocate, run, and give the same bytes when run again from a reset.
void expect_runs(const std::string& stem) {
  EI_REQUIRE_SHARED_DIR(shared);
  testing::ModelSession model;
  const Status status =
      model.open_file((shared / "models" / "extra" / (stem + ".tflite")).string(), kKernels);
  ASSERT_TRUE(status.is_ok()) << status.message();
  const Outputs first = invoke_lcg(model, 7);
  ASSERT_TRUE(first.status.is_ok()) << first.status.message();
  ASSERT_TRUE(model.interpreter().reset_state().is_ok());
  EXPECT_EQ(invoke_lcg(model, 7).bytes, first.bytes);
}

TEST(RecurrentModels, MicroSpeechLstmRuns) {
  expect_runs("micro_speech_lstm");
}
TEST(RecurrentModels, DtlnNoiseSuppressionRuns) {
  expect_runs("dtln_noise_suppression");
}

}  // namespace
}  // namespace edgeinfer::reference
