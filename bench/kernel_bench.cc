// Per-kernel latency of the reference kernels on shapes taken from the shared models (MobileNet/DS-CNN
// layers, the anomaly autoencoder's dense layers). Optimized kernels register beside these and are reported
// as ratios against them. Run: build/release/bin/edgeinfer_bench --benchmark_filter=Kernel
#include <benchmark/benchmark.h>

#include <functional>
#include <memory>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/schema/tflite_generated.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

struct SingleOp {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
};

// int8 weights with a deterministic pattern.
std::vector<int8_t> weights(size_t count) {
  std::vector<int8_t> w(count);
  uint32_t x = 1;
  for (auto& v : w) v = static_cast<int8_t>((x = lcg_next(x)) >> 24);
  return w;
}

void run(benchmark::State& state, const std::vector<uint8_t>& bytes, int64_t macs) {
  auto op = std::make_unique<SingleOp>();
  Status status = op->model.load_bytes(bytes.data(), bytes.size());
  if (status.is_ok()) status = op->runner.init(op->model.model(), op->resolver);
  if (!status.is_ok()) return state.SkipWithError(status.message());
  Interpreter& interpreter = op->runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) fill_lcg(interpreter.input(i), 7);
  for (auto _ : state)
    if (!interpreter.invoke().is_ok()) return state.SkipWithError("invoke failed");
  state.counters["MACs/s"] = benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
}

// CONV_2D int8, per-channel, `size`x`size`x`in_c` -> `out_c`, kernel k x k, SAME.
std::vector<uint8_t> conv_model(int size, int in_c, int out_c, int k, int64_t* macs) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, size, size, in_c}, QuantParams::per_tensor(0.05f, -3));
  std::vector<float> scales(out_c, 0.01f);
  const int w = b.add_constant(DataType::kInt8, {out_c, k, k, in_c}, weights(size_t(out_c) * k * k * in_c),
                               QuantParams::per_channel(scales, std::vector<int64_t>(out_c, 0), 0));
  std::vector<float> bias_scales(out_c, 0.0005f);
  const int bias = b.add_constant(DataType::kInt32, {out_c}, std::vector<int32_t>(out_c, 100),
                                  QuantParams::per_channel(bias_scales, std::vector<int64_t>(out_c, 0), 0));
  const int out = b.add_tensor(DataType::kInt8, {1, size, size, out_c}, QuantParams::per_tensor(0.1f, 2));
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, tflite::ActivationFunctionType::RELU).Union();
  });
  b.set_inputs({in});
  b.set_outputs({out});
  *macs = int64_t(size) * size * out_c * k * k * in_c;
  return b.finish();
}

std::vector<uint8_t> depthwise_model(int size, int channels, int64_t* macs) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, size, size, channels}, QuantParams::per_tensor(0.05f, -3));
  std::vector<float> scales(channels, 0.01f);
  const int w = b.add_constant(DataType::kInt8, {1, 3, 3, channels}, weights(size_t(9) * channels),
                               QuantParams::per_channel(scales, std::vector<int64_t>(channels, 0), 3));
  std::vector<float> bias_scales(channels, 0.0005f);
  const int bias = b.add_constant(DataType::kInt32, {channels}, std::vector<int32_t>(channels, 100),
                                  QuantParams::per_channel(bias_scales, std::vector<int64_t>(channels, 0), 0));
  const int out = b.add_tensor(DataType::kInt8, {1, size, size, channels}, QuantParams::per_tensor(0.1f, 2));
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::DepthwiseConv2DOptions,
           [](auto& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, 1,
                                                         tflite::ActivationFunctionType::RELU6)
                 .Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  *macs = int64_t(size) * size * channels * 9;
  return b.finish();
}

std::vector<uint8_t> fully_connected_model(int depth, int units, int64_t* macs) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, depth}, QuantParams::per_tensor(0.05f, -3));
  const int w = b.add_constant(DataType::kInt8, {units, depth}, weights(size_t(units) * depth),
                               QuantParams::per_tensor(0.01f, 0));
  const int bias = b.add_constant(DataType::kInt32, {units}, std::vector<int32_t>(units, 100),
                                  QuantParams::per_tensor(0.0005f, 0));
  const int out = b.add_tensor(DataType::kInt8, {1, units}, QuantParams::per_tensor(0.1f, 2));
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  *macs = int64_t(depth) * units;
  return b.finish();
}

void BM_Kernel_Conv2D_Int8_1x1(benchmark::State& state) {
  int64_t macs = 0;
  run(state, conv_model(24, 32, 64, 1, &macs), macs);
}
void BM_Kernel_Conv2D_Int8_3x3(benchmark::State& state) {
  int64_t macs = 0;
  run(state, conv_model(24, 16, 32, 3, &macs), macs);
}
void BM_Kernel_DepthwiseConv2D_Int8_3x3(benchmark::State& state) {
  int64_t macs = 0;
  run(state, depthwise_model(24, 64, &macs), macs);
}
void BM_Kernel_FullyConnected_Int8_640x128(benchmark::State& state) {
  int64_t macs = 0;
  run(state, fully_connected_model(640, 128, &macs), macs);
}
BENCHMARK(BM_Kernel_Conv2D_Int8_1x1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Kernel_Conv2D_Int8_3x3)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Kernel_DepthwiseConv2D_Int8_3x3)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Kernel_FullyConnected_Int8_640x128)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace edgeinfer
