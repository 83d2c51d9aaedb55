#include "compiler/tensor_compare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/interpreter.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"

namespace edgeinfer::host {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

// The LCG's float32 values, as `--fill lcg:SEED` gives them.
std::vector<float> lcg_floats(uint32_t seed, int count) {
  std::vector<float> values;
  uint32_t x = seed;
  for (int i = 0; i < count; ++i) {
    x = lcg_next(x);
    values.push_back((static_cast<float>(x >> 8) / 16777216.0f) * 2.0f - 1.0f);
  }
  return values;
}

auto add_options() {
  return [](auto& fbb) { return tflite::CreateAddOptions(fbb).Union(); };
}

// float [1,8]: t1 = in + 1, t2 = t1 + 2, t3 = t2 + 4. t1 and t3 are never live together, so the planner
// may give them the same bytes: t1 is only right when taken right after op 0.
std::vector<uint8_t> float_chain_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 8}, {}, "in");
  int previous = in;
  for (float k : {1.0f, 2.0f, 4.0f}) {
    const int c = b.add_constant<float>(DataType::kFloat32, {1, 8}, std::vector<float>(8, k));
    const int out = b.add_tensor(DataType::kFloat32, {1, 8}, {}, "plus" + std::to_string(int(k)));
    b.add_op(BuiltinOp::kAdd, {previous, c}, {out}, tflite::BuiltinOptions::AddOptions, add_options());
    previous = out;
  }
  b.set_inputs({in});
  b.set_outputs({previous});
  return b.finish();
}

// int8 ADD -> int8 FULLY_CONNECTED -> DEQUANTIZE -> float ADD: integer and float tensors.
std::vector<uint8_t> mixed_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, 8}, QuantParams::per_tensor(0.5f, 0), "in");
  const int c0 = b.add_constant<int8_t>(DataType::kInt8, {1, 8}, {3, -7, 12, 0, 25, -40, 5, 9},
                                        QuantParams::per_tensor(0.5f, 0), "c0");
  const int sum = b.add_tensor(DataType::kInt8, {1, 8}, QuantParams::per_tensor(1.0f, 0), "sum");
  b.add_op(BuiltinOp::kAdd, {in, c0}, {sum}, tflite::BuiltinOptions::AddOptions, add_options());
  std::vector<int8_t> weights(32);
  for (int i = 0; i < 32; ++i) weights[i] = static_cast<int8_t>((i * 37) % 23 - 11);
  const int w =
      b.add_constant<int8_t>(DataType::kInt8, {4, 8}, weights, QuantParams::per_tensor(0.25f, 0), "w");
  const int bias = b.add_constant<int32_t>(DataType::kInt32, {4}, {100, -50, 0, 7},
                                           QuantParams::per_tensor(0.25f, 0), "bias");
  const int fc = b.add_tensor(DataType::kInt8, {1, 4}, QuantParams::per_tensor(2.0f, -3), "fc");
  b.add_op(BuiltinOp::kFullyConnected, {sum, w, bias}, {fc}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  const int deq = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "deq");
  b.add_op(BuiltinOp::kDequantize, {fc}, {deq});
  const int c1 = b.add_constant<float>(DataType::kFloat32, {1, 4}, {0.5f, -1.25f, 3.0f, 0.125f}, {}, "c1");
  const int out = b.add_tensor(DataType::kFloat32, {1, 4}, {}, "out");
  b.add_op(BuiltinOp::kAdd, {deq, c1}, {out}, tflite::BuiltinOptions::AddOptions, add_options());
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// float SVDF (rank 1, 2 filters, memory 2) with its state tensor.
std::vector<uint8_t> svdf_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "in");
  const int wf = b.add_constant<float>(DataType::kFloat32, {2, 2}, {1.0f, 0.5f, 2.0f, -1.0f});
  const int wt = b.add_constant<float>(DataType::kFloat32, {2, 2}, {0.25f, 1.0f, -0.5f, 1.0f});
  const int state = b.add_variable(DataType::kFloat32, {1, 4}, {}, "state");
  const int out = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "out");
  b.add_op(BuiltinOp::kSvdf, {in, wf, wt, -1, state}, {out}, tflite::BuiltinOptions::SVDFOptions,
           [](auto& fbb) { return tflite::CreateSVDFOptions(fbb, 1).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

class TensorCompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("edgeinfer_tensor_compare_" + std::to_string(getpid()) + "_" + info->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void load(const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(loaded_.load_bytes(bytes.data(), bytes.size()).is_ok());
  }
  const Model& model() const { return loaded_.model(); }

  // Our own run as the golden set, in TFLM's format.
  void write_golden(uint32_t seed = 12345) {
    CapturedRun run;
    const Status status = capture_run(model(), resolver_, seed, &run);
    ASSERT_TRUE(status.is_ok()) << status.message();
    std::string error;
    ASSERT_TRUE(write_golden_dir(model(), run, dir_, &error)) << error;
  }
  std::optional<CompareReport> compare(std::string* error, uint32_t seed = 12345) {
    return compare_with_golden(model(), resolver_, dir_, seed, error);
  }
  void write_text(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string read_text(const std::string& name) {
    std::ifstream in(dir_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  template <class T>
  std::vector<T> golden_values(int t) {
    std::string error;
    auto golden = load_golden_dir(dir_, &error);
    EXPECT_TRUE(golden) << error;
    auto bytes = golden->read(t, &error);
    EXPECT_TRUE(bytes) << error;
    std::vector<T> values(bytes->size() / sizeof(T));
    std::memcpy(values.data(), bytes->data(), bytes->size());
    return values;
  }
  template <class T>
  void set_golden_values(int t, const std::vector<T>& values) {
    std::ofstream out(dir_ / golden_tensor_file(t), std::ios::binary);
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(T)));
  }
  // The error compare() gives for the golden dir as it now is; it must be one line.
  std::string compare_error() {
    std::string error;
    auto report = compare(&error);
    EXPECT_FALSE(report) << "expected an error, got a report";
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
  }

  std::filesystem::path dir_;
  LoadedModel loaded_;
  AllOpsResolver resolver_;
};

// ---- The interpreter's observer hook ----

class RecordingObserver final : public OpObserver {
 public:
  explicit RecordingObserver(const Interpreter& interpreter) : interpreter_(interpreter) {}
  void on_op_begin(int op) override { events.push_back("begin " + std::to_string(op)); }
  void on_op_end(int op, const Status& status) override {
    events.push_back("end " + std::to_string(op) + (status.is_ok() ? " ok" : " error"));
    const Tensor out = interpreter_.tensor(output_of(op));
    outputs.emplace_back(out.data_as<float>(), out.data_as<float>() + out.num_elements());
  }
  int output_of(int op) const { return (*interpreter_.model().op(op)->outputs())[0]; }
  std::vector<std::string> events;
  std::vector<std::vector<float>> outputs;

 private:
  const Interpreter& interpreter_;
};

TEST_F(TensorCompareTest, ObserverIsCalledAroundEveryOpInOrderWithItsOutputsInPlace) {
  load(float_chain_model());
  HostInterpreter runner;
  ASSERT_TRUE(runner.init(model(), resolver_).is_ok());
  Interpreter& interpreter = runner.interpreter();
  RecordingObserver observer(interpreter);
  interpreter.set_observer(&observer);
  ASSERT_TRUE(fill_lcg(interpreter.input(0), 7).is_ok());
  ASSERT_TRUE(interpreter.invoke().is_ok());
  EXPECT_EQ(observer.events,
            (std::vector<std::string>{"begin 0", "end 0 ok", "begin 1", "end 1 ok", "begin 2", "end 2 ok"}));
  const std::vector<float> in = lcg_floats(7, 8);
  ASSERT_EQ(observer.outputs.size(), 3u);
  for (int i = 0; i < 8; ++i) {
    const float t1 = in[i] + 1.0f, t2 = t1 + 2.0f, t3 = t2 + 4.0f;
    EXPECT_EQ(observer.outputs[0][i], t1) << i;
    EXPECT_EQ(observer.outputs[1][i], t2) << i;
    EXPECT_EQ(observer.outputs[2][i], t3) << i;
  }
  // Removed: invoke no longer calls it.
  interpreter.set_observer(nullptr);
  ASSERT_TRUE(fill_lcg(interpreter.input(0), 7).is_ok());
  ASSERT_TRUE(interpreter.invoke().is_ok());
  EXPECT_EQ(observer.events.size(), 6u);
}

// ---- Capture ----

TEST_F(TensorCompareTest, CaptureTakesEachOutputRightAfterItsOpDespiteMemoryReuse) {
  load(float_chain_model());
  CapturedRun run;
  ASSERT_TRUE(capture_run(model(), resolver_, 99, &run).is_ok());
  ASSERT_EQ(run.tensors.size(), 4u);  // the input and three op outputs (constants are not captured)
  const std::vector<float> in = lcg_floats(99, 8);
  auto values = [&](int t) {
    std::vector<float> v(8);
    std::memcpy(v.data(), run.tensors.at(t).data(), 32);
    return v;
  };
  const int t_in = 0, t1 = 2, t2 = 4, t3 = 6;  // tensors: in, c, plus1, c, plus2, c, plus4
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(values(t_in)[i], in[i]);
    EXPECT_EQ(values(t1)[i], in[i] + 1.0f);
    EXPECT_EQ(values(t2)[i], (in[i] + 1.0f) + 2.0f);
    EXPECT_EQ(values(t3)[i], ((in[i] + 1.0f) + 2.0f) + 4.0f);
  }
}

TEST_F(TensorCompareTest, StateTensorIsCapturedAfterTheInvokeAndReportedWithItsOp) {
  load(svdf_model());
  CapturedRun run;
  ASSERT_TRUE(capture_run(model(), resolver_, 12345, &run).is_ok());
  const int state = 3;
  ASSERT_TRUE(run.tensors.count(state));
  std::vector<float> s(4);
  std::memcpy(s.data(), run.tensors.at(state).data(), 16);
  // One step from zero: each filter's memory shifts left and takes its new feature activation last.
  const std::vector<float> in = lcg_floats(12345, 2);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(s[1], 1.0f * in[0] + 0.5f * in[1]);
  EXPECT_EQ(s[2], 0.0f);
  EXPECT_EQ(s[3], 2.0f * in[0] + -1.0f * in[1]);

  write_golden();
  EXPECT_NE(read_text("tensors.tsv").find("3\tstate\tFLOAT32\t[1,4]\t-2\t16\n"), std::string::npos)
      << read_text("tensors.tsv");
  std::vector<float> golden = golden_values<float>(state);
  golden[3] += 0.5f;
  set_golden_values(state, golden);
  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  EXPECT_FALSE(report->matches());
  ASSERT_NE(report->first_departure(), nullptr);
  EXPECT_EQ(report->first_departure()->op, 0);
  EXPECT_EQ(report->first_departure()->op_name, "SVDF");
  const TensorComparison& t = report->first_departure()->tensors.back();
  EXPECT_EQ(t.tensor, state);
  EXPECT_EQ(t.role, TensorRole::kState);
  EXPECT_EQ(t.differing, 1);
  EXPECT_EQ(t.first_index, 3);
  EXPECT_EQ(t.max_abs_diff.kind, Scalar::Kind::kFloat);
  EXPECT_EQ(t.max_abs_diff.f, 0.5);
  EXPECT_EQ(
      describe_first_departure(*report).rfind("first departs at op 0 (SVDF): state tensor 3 'state', 1 of 4 "
                                              "values differ, max |diff| 0.5, first at [3]",
                                              0),
      0u)
      << describe_first_departure(*report);
}

// ---- Comparing ----

TEST_F(TensorCompareTest, OwnRunAsGoldenMatchesEverywhere) {
  load(mixed_model());
  write_golden();
  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  EXPECT_TRUE(report->matches());
  EXPECT_EQ(report->first_departure(), nullptr);
  EXPECT_EQ(report->num_ops, 4);
  ASSERT_EQ(report->ops.size(), 5u);  // the inputs, then four ops
  EXPECT_EQ(report->ops[0].op, -1);
  EXPECT_EQ(report->ops[2].op_name, "FULLY_CONNECTED");
  EXPECT_EQ(report->tensors_compared, 5);
  EXPECT_EQ(report->tensors_differing, 0);
  EXPECT_EQ(report->ops_departing, 0);
  EXPECT_EQ(describe_first_departure(*report), "all 5 tensors match TFLM's");
  // Another seed is another run: the input and everything after it departs.
  report = compare(&error, 1);
  ASSERT_TRUE(report) << error;
  ASSERT_NE(report->first_departure(), nullptr);
  EXPECT_EQ(report->first_departure()->op, -1);
  EXPECT_NE(describe_first_departure(*report).find("first departs at the model inputs: tensor 0 'in'"),
            std::string::npos);
}

TEST_F(TensorCompareTest, AlteredIntegerTensorIsFoundAtItsOpWithCountAndDifference) {
  load(mixed_model());
  write_golden();
  const int fc = 5;  // in, c0, sum, w, bias, fc, deq, c1, out
  std::vector<int8_t> golden = golden_values<int8_t>(fc);
  ASSERT_EQ(golden.size(), 4u);
  const std::vector<int8_t> ours = golden;
  // Away from the int8 limits, so the change is exactly what is written.
  auto shift = [](int8_t v, int by) { return static_cast<int8_t>(v > 0 ? v - by : v + by); };
  golden[1] = shift(golden[1], 3);
  golden[3] = shift(golden[3], 1);
  set_golden_values(fc, golden);

  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  EXPECT_FALSE(report->matches());
  // Only op 1 departs: later ops ran on our own values, which the golden for them matches.
  EXPECT_EQ(report->ops_departing, 1);
  EXPECT_EQ(report->tensors_differing, 1);
  const OpComparison* op = report->first_departure();
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->op, 1);
  EXPECT_EQ(op->op_name, "FULLY_CONNECTED");
  ASSERT_EQ(op->tensors.size(), 1u);
  const TensorComparison& t = op->tensors[0];
  EXPECT_EQ(t.tensor, fc);
  EXPECT_EQ(t.name, "fc");
  EXPECT_EQ(t.type, DataType::kInt8);
  EXPECT_EQ(t.outcome, TensorOutcome::kDiffer);
  EXPECT_EQ(t.values, 4);
  EXPECT_EQ(t.differing, 2);
  EXPECT_EQ(t.first_index, 1);
  EXPECT_EQ(t.max_abs_diff.kind, Scalar::Kind::kUnsigned);
  EXPECT_EQ(t.max_abs_diff.u, 3u);
  EXPECT_EQ(t.ours_first.s, ours[1]);
  EXPECT_EQ(t.golden_first.s, golden[1]);
  EXPECT_EQ(
      describe_first_departure(*report),
      "first departs at op 1 (FULLY_CONNECTED): tensor 5 'fc', 2 of 4 values differ, max |diff| 3, first at "
      "[1]: ours " +
          std::to_string(ours[1]) + ", TFLM " + std::to_string(golden[1]));
}

TEST_F(TensorCompareTest, FloatDifferencesAreMeasuredInFloatAndNanCountsAsInfinite) {
  load(mixed_model());
  write_golden();
  const int out = 8;
  std::vector<float> golden = golden_values<float>(out);
  golden[2] += 0.25f;
  set_golden_values(out, golden);
  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  ASSERT_NE(report->first_departure(), nullptr);
  EXPECT_EQ(report->first_departure()->op, 3);
  const TensorComparison& t = report->first_departure()->tensors[0];
  EXPECT_EQ(t.differing, 1);
  EXPECT_EQ(t.first_index, 2);
  EXPECT_EQ(t.max_abs_diff.kind, Scalar::Kind::kFloat);
  EXPECT_EQ(t.max_abs_diff.f, 0.25);

  golden[0] = std::numeric_limits<float>::quiet_NaN();
  set_golden_values(out, golden);
  report = compare(&error);
  ASSERT_TRUE(report) << error;
  const TensorComparison& nan = report->first_departure()->tensors[0];
  EXPECT_EQ(nan.differing, 2);
  EXPECT_EQ(nan.first_index, 0);
  EXPECT_TRUE(std::isinf(nan.max_abs_diff.f));
  EXPECT_EQ(nan.golden_first.text(), "nan");
}

TEST_F(TensorCompareTest, TensorsAbsentFromTheGoldenOrSkippedAreReportedNotFailed) {
  load(mixed_model());
  write_golden();
  // Drop the DEQUANTIZE output (tensor 6) from tensors.tsv; list the FC output (5) as skipped instead.
  std::string tsv = read_text("tensors.tsv"), kept;
  size_t start = 0;
  for (size_t end; (end = tsv.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = tsv.substr(start, end + 1 - start);
    if (line.rfind("5\t", 0) != 0 && line.rfind("6\t", 0) != 0) kept += line;
  }
  write_text("tensors.tsv", kept);
  write_text("skipped.tsv", "5\tfc\tINT8\t-2\tno storage\n");
  std::filesystem::remove(dir_ / golden_tensor_file(6));

  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  EXPECT_TRUE(report->matches());
  EXPECT_EQ(report->tensors_compared, 3);
  EXPECT_EQ(report->not_in_golden, 1);
  EXPECT_EQ(report->skipped, 1);
  EXPECT_EQ(report->ops[2].tensors[0].outcome, TensorOutcome::kSkipped);
  EXPECT_EQ(report->ops[3].tensors[0].outcome, TensorOutcome::kNotInGolden);
  EXPECT_EQ(describe_first_departure(*report),
            "all 3 tensors match TFLM's (1 not in the golden set, 1 skipped)");
  const std::string text = format_report(*report, true);
  EXPECT_NE(text.find("tensor 5 'fc' int8 [1,4]: skipped (no storage in TFLM)"), std::string::npos) << text;
  EXPECT_NE(text.find("tensor 6 'deq' float32 [1,4]: not in the golden set"), std::string::npos) << text;
}

TEST_F(TensorCompareTest, ReportListsTheFirstDepartingOpOrEveryOp) {
  load(mixed_model());
  write_golden();
  std::vector<int8_t> golden = golden_values<int8_t>(2);
  golden[0] = static_cast<int8_t>(golden[0] == 0 ? 1 : 0);
  set_golden_values(2, golden);
  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  const std::string first = format_report(*report, false);
  EXPECT_EQ(
      first.rfind("compared 5 tensors of 4 ops with TFLM's: 1 differ in 1 ops, 0 not in the golden set, 0 "
                  "skipped\nfirst departs at op 0 (ADD): tensor 2 'sum', 1 of 8 values differ",
                  0),
      0u)
      << first;
  EXPECT_NE(first.find("op   0 ADD                  tensor 2 'sum' int8 [1,8]: DIFFER: 1 of 8 values differ"),
            std::string::npos)
      << first;
  EXPECT_EQ(first.find("FULLY_CONNECTED"), std::string::npos) << first;
  const std::string all = format_report(*report, true);
  for (const char* line : {"op  -1 inputs               tensor 0 'in' int8 [1,8]: match (8 values)",
                           "op   1 FULLY_CONNECTED      tensor 5 'fc' int8 [1,4]: match (4 values)",
                           "op   3 ADD                  tensor 8 'out' float32 [1,4]: match (4 values)"})
    EXPECT_NE(all.find(line), std::string::npos) << line << "\n" << all;
}

// ---- Malformed golden dirs: one-line errors naming the file and line ----

TEST_F(TensorCompareTest, MissingDirOrFilesAreOneLineErrors) {
  load(mixed_model());
  EXPECT_NE(compare_error().find("no such directory"), std::string::npos);
  std::filesystem::create_directories(dir_.parent_path());
  std::ofstream(dir_) << "not a dir";
  EXPECT_NE(compare_error().find("not a directory"), std::string::npos);
  std::filesystem::remove(dir_);
  std::filesystem::create_directories(dir_);
  EXPECT_NE(compare_error().find("tensors.tsv: cannot open"), std::string::npos);
  write_text("tensors.tsv", "");
  EXPECT_NE(compare_error().find("tensors.tsv: empty"), std::string::npos);

  write_golden();
  std::filesystem::remove(dir_ / "t005.bin");
  EXPECT_NE(compare_error().find("t005.bin: cannot open"), std::string::npos);
  write_golden();
  set_golden_values<int8_t>(5, {1, 2, 3});
  EXPECT_NE(compare_error().find("t005.bin: 3 bytes, tensors.tsv line 3 says 4"), std::string::npos)
      << compare_error();
  // skipped.tsv is optional.
  write_golden();
  std::filesystem::remove(dir_ / "skipped.tsv");
  std::string error;
  EXPECT_TRUE(compare(&error)) << error;
}

TEST_F(TensorCompareTest, MalformedTsvLinesAreOneLineErrorsNamingTheLine) {
  load(mixed_model());
  write_golden();
  const std::string good = read_text("tensors.tsv");
  const std::string first_line = good.substr(0, good.find('\n') + 1);  // "0\tin\tINT8\t[1,8]\t-1\t8\n"
  ASSERT_EQ(first_line, "0\tin\tINT8\t[1,8]\t-1\t8\n");
  struct Case {
    std::string line;
    std::string expected;
  };
  const Case cases[] = {
      {"2\tsum\tINT8\t[1,8]\t0\n", "tensors.tsv line 2: expected 6 tab-separated fields"},
      {"x\tsum\tINT8\t[1,8]\t0\t8\n", "tensors.tsv line 2: tensor index 'x' is not a non-negative integer"},
      {"-2\tsum\tINT8\t[1,8]\t0\t8\n", "tensor index '-2'"},
      {"2\tsum\tINT8\t[1,8]\t-3\t8\n", "tensors.tsv line 2: writer op '-3'"},
      {"2\tsum\tINT8\t[1,8]\t0\tabc\n", "tensors.tsv line 2: size 'abc' is not a byte count"},
      {"0\tin\tINT8\t[1,8]\t-1\t8\n", "tensors.tsv line 2: tensor 0 is listed twice"},
      {"99\tx\tINT8\t[1,8]\t0\t8\n", "tensors.tsv line 2: tensor 99 is not in the model (9 tensors)"},
      {"2\tsum\tINT16\t[1,8]\t0\t16\n", "tensors.tsv line 2: tensor 2 has type INT16, the model's is int8"},
      {"2\tsum\tINT8\t[1,8]\t0\t9\n", "tensors.tsv line 2: tensor 2 has 9 bytes, the model's 8"},
      {"2\tsum\tINT8\t[1,8]\t1\t8\n",
       "tensors.tsv line 2: tensor 2: written by op 1 in the golden, but op 0 (ADD) writes it"},
  };
  for (const Case& c : cases) {
    write_text("tensors.tsv", first_line + c.line);
    const std::string error = compare_error();
    EXPECT_NE(error.find(c.expected), std::string::npos) << "line " << c.line << "error: " << error;
  }
  write_text("tensors.tsv", first_line + "2\tsum\tINT8\t[1,8]\t-1\t8\n");
  EXPECT_NE(compare_error().find("written by op -1 in the golden, but op 0 (ADD) writes it"),
            std::string::npos);
  write_text("tensors.tsv", "2\tin\tINT8\t[1,8]\t-2\t8\n");
  EXPECT_NE(compare_error().find("written by op -2 in the golden, but op 0 (ADD) writes it"),
            std::string::npos);

  write_text("tensors.tsv", good);
  write_text("skipped.tsv", "1\tc0\tINT8\t-2\tno storage\nseven\n");
  EXPECT_NE(compare_error().find("skipped.tsv line 2: tensor index 'seven'"), std::string::npos);
  write_text("skipped.tsv", "0\tin\n");
  EXPECT_NE(compare_error().find("skipped.tsv line 1: tensor 0 is also in tensors.tsv"), std::string::npos);
  // Windows line endings are fine.
  std::string crlf;
  for (char ch : good) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
  write_text("tensors.tsv", crlf);
  write_text("skipped.tsv", "");
  std::string error;
  auto report = compare(&error);
  ASSERT_TRUE(report) << error;
  EXPECT_TRUE(report->matches());
}

TEST(ParseLcgFill, AcceptsSeedsAndRejectsOtherText) {
  std::string error;
  EXPECT_EQ(parse_lcg_fill("lcg:12345", &error), 12345u);
  EXPECT_EQ(parse_lcg_fill("lcg:4294967295", &error), 4294967295u);
  for (const char* bad : {"12345", "lcg:", "lcg:-1", "lcg:4294967296", "lcg:12a", "lcg:99999999999"}) {
    error.clear();
    EXPECT_FALSE(parse_lcg_fill(bad, &error)) << bad;
    EXPECT_NE(error.find("--fill"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace edgeinfer::host
