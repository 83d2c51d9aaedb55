// Hybrid models (float activations, int8 weights), which TFLM refuses and full TensorFlow Lite runs with its
// hybrid kernels: kws_ref_model_float32 (hybrid CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) and
// model_ToyCar_quant (10 hybrid FULLY_CONNECTED). There is no TensorFlow Lite golden for them, so they are
// checked against their float twin: the same graph with every hybrid op's int8 weights replaced by their
// dequantized float values (written here with ModelBuilder) and run by the float kernels. The only difference
// left is the run-time quantization of each hybrid op's input.
//
// - Per op, on the models' real weights: each hybrid op alone, hybrid vs float, within the derived bound of
//   that quantization (half a step s = max|x| / 127 per input value, times sum|w| of the output's channel).
// - Whole network: normalized RMS error and largest difference over LCG inputs (--fill lcg:SEED), within
//   stated bounds about 2x what we measured. The per-layer errors compound through nonlinear layers, so there
//   is no closed-form bound; the expected size: rounding to 1/127 of a row's largest value leaves an RMS
//   error of (max|x| / 127) / sqrt(12) per value, about 0.2-0.7% of the signal for these activations, per
//   hybrid layer (5 in the keyword model, 10 in ToyCar). The keyword model's top class must equal the float
//   computation's.
// - The CLI: `inspect --json` reports arena_bytes, and `run --arena N --fill lcg:12345` works with exactly N.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "edgeinfer/ops.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

const char* const kKeywordModel = "mlperf_tiny/kws_ref_model_float32.tflite";
const char* const kToyCarModel = "extra/model_ToyCar_quant.tflite";

// ---- The float twin: the graph copied with ModelBuilder, hybrid weights dequantized ----

bool is_hybrid_op(const Model& model, int op) {
  const int32_t code = model.op_code(op);
  if (code != static_cast<int32_t>(BuiltinOp::kFullyConnected) &&
      code != static_cast<int32_t>(BuiltinOp::kConv2D) &&
      code != static_cast<int32_t>(BuiltinOp::kDepthwiseConv2D)) {
    return false;
  }
  const auto* inputs = model.op(op)->inputs();
  return inputs->size() >= 2 && model.tensor(inputs->Get(0)).type == DataType::kFloat32 &&
         model.tensor(inputs->Get(1)).type == DataType::kInt8;
}

QuantParams quant_of(const Tensor& t) {
  QuantParams q;
  for (int c = 0; c < t.quant.count && t.quant.scales; ++c) {
    q.scales.push_back(t.quant.scales[c]);
    q.zero_points.push_back(t.quant.zero_point(c));
  }
  q.quantized_dimension = t.quant.quantized_dimension;
  return q;
}

std::vector<int32_t> dims_of(const Tensor& t) {
  return std::vector<int32_t>(t.shape.dims, t.shape.dims + t.shape.rank);
}

// float(q) * scale of its channel, as a float network holds its weights.
std::vector<float> dequantized(const Tensor& t) {
  std::vector<float> values(static_cast<size_t>(t.num_elements()));
  const int axis = t.quant.quantized_dimension;
  int64_t inner = 1;
  for (int d = axis + 1; d < t.shape.rank; ++d) inner *= t.shape.dims[d];
  for (size_t i = 0; i < values.size(); ++i) {
    const int c = t.quant.count > 1 ? static_cast<int>((i / inner) % t.shape.dims[axis]) : 0;
    values[i] = static_cast<float>(t.data_as<const int8_t>()[i]) * t.quant.scale(c);
  }
  return values;
}

// The builtin options of the ops these models use, copied field by field.
compiler::OptionsWriter copy_options(const tflite::Operator* op) {
  switch (op->builtin_options_type()) {
    case tflite::BuiltinOptions::NONE: return nullptr;
    case tflite::BuiltinOptions::Conv2DOptions: {
      const auto* o = op->builtin_options_as_Conv2DOptions();
      return [o](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateConv2DOptions(fbb, o->padding(), o->stride_w(), o->stride_h(),
                                           o->fused_activation_function(), o->dilation_w_factor(),
                                           o->dilation_h_factor())
            .Union();
      };
    }
    case tflite::BuiltinOptions::DepthwiseConv2DOptions: {
      const auto* o = op->builtin_options_as_DepthwiseConv2DOptions();
      return [o](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateDepthwiseConv2DOptions(fbb, o->padding(), o->stride_w(), o->stride_h(),
                                                    o->depth_multiplier(), o->fused_activation_function(),
                                                    o->dilation_w_factor(), o->dilation_h_factor())
            .Union();
      };
    }
    case tflite::BuiltinOptions::FullyConnectedOptions: {
      const auto* o = op->builtin_options_as_FullyConnectedOptions();
      return [o](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateFullyConnectedOptions(fbb, o->fused_activation_function(), o->weights_format(),
                                                   o->keep_num_dims(), o->asymmetric_quantize_inputs())
            .Union();
      };
    }
    case tflite::BuiltinOptions::Pool2DOptions: {
      const auto* o = op->builtin_options_as_Pool2DOptions();
      return [o](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreatePool2DOptions(fbb, o->padding(), o->stride_w(), o->stride_h(), o->filter_width(),
                                           o->filter_height(), o->fused_activation_function())
            .Union();
      };
    }
    case tflite::BuiltinOptions::ReshapeOptions: {
      const auto* o = op->builtin_options_as_ReshapeOptions();
      std::vector<int32_t> shape;
      if (o->new_shape()) shape.assign(o->new_shape()->begin(), o->new_shape()->end());
      return [shape](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateReshapeOptions(fbb, fbb.CreateVector(shape)).Union();
      };
    }
    case tflite::BuiltinOptions::SoftmaxOptions: {
      const float beta = op->builtin_options_as_SoftmaxOptions()->beta();
      return [beta](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreateSoftmaxOptions(fbb, beta).Union();
      };
    }
    default:
      ADD_FAILURE() << "options type " << static_cast<int>(op->builtin_options_type()) << " not copied";
      return nullptr;
  }
}

// The ops `ops` of `model` (all: the whole graph) as a new model; `dequantize`: hybrid weights become float.
// A subset's graph inputs are its ops' non-constant inputs and its outputs the last op's outputs.
std::vector<uint8_t> rebuild(const Model& model, const std::vector<int>& ops, bool dequantize) {
  std::set<int> weights;
  for (int op : ops)
    if (is_hybrid_op(model, op)) weights.insert(model.op(op)->inputs()->Get(1));
  ModelBuilder b;
  std::map<int, int> index;
  auto tensor = [&](int t) {
    if (t < 0) return -1;
    auto found = index.find(t);
    if (found != index.end()) return found->second;
    const Tensor v = model.tensor(t);
    const std::string name = v.name ? v.name : "";
    int added;
    if (dequantize && weights.count(t)) {
      added = b.add_constant<float>(DataType::kFloat32, dims_of(v), dequantized(v), {}, name);
    } else if (v.is_constant) {
      added = b.add_constant(v.type, dims_of(v), v.data, model.tensor_bytes(t), quant_of(v), name);
    } else {
      added = b.add_tensor(v.type, dims_of(v), quant_of(v), name);
    }
    index[t] = added;
    return added;
  };
  const bool whole = static_cast<int>(ops.size()) == model.num_ops();
  std::vector<int> graph_inputs, graph_outputs;
  if (whole) {
    for (int i = 0; i < model.num_inputs(); ++i) graph_inputs.push_back(tensor(model.input_tensor_index(i)));
  }
  for (int op : ops) {
    const tflite::Operator* o = model.op(op);
    std::vector<int> inputs, outputs;
    for (int32_t t : *o->inputs()) {
      if (!whole && t >= 0 && !model.tensor_is_constant(t) && !index.count(t))
        graph_inputs.push_back(tensor(t));
      inputs.push_back(tensor(t));
    }
    for (int32_t t : *o->outputs()) outputs.push_back(tensor(t));
    b.add_op(static_cast<BuiltinOp>(model.op_code(op)), inputs, outputs, o->builtin_options_type(),
             copy_options(o), model.op_version(op));
    if (!whole) graph_outputs = outputs;
  }
  if (whole) {
    for (int i = 0; i < model.num_outputs(); ++i)
      graph_outputs.push_back(tensor(model.output_tensor_index(i)));
  }
  b.set_inputs(graph_inputs);
  b.set_outputs(graph_outputs);
  return b.finish();
}

// ---- Running ----

struct Session {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  Interpreter& interpreter() { return runner.interpreter(); }
};

std::unique_ptr<Session> open_bytes(const std::vector<uint8_t>& bytes) {
  auto s = std::make_unique<Session>();
  Status status = s->model.load_bytes(bytes.data(), bytes.size());
  if (status.is_ok()) status = s->runner.init(s->model.model(), s->resolver);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return status.is_ok() ? std::move(s) : nullptr;
}

// `optimized`: the Cortex-M kernels registered over the reference ones (they fall back for hybrid ops).
std::unique_ptr<Session> open_file(const std::filesystem::path& path, bool optimized = false) {
  auto s = std::make_unique<Session>();
  if (optimized) {
    for (const cortex_m::OpKernel& k : cortex_m::kOptimizedKernels) {
      EXPECT_TRUE(s->resolver.add(k.op, k.kernel()).is_ok());
    }
  }
  Status status = s->model.load_file(path.string());
  if (status.is_ok()) status = s->runner.init(s->model.model(), s->resolver);
  EXPECT_TRUE(status.is_ok()) << path << ": " << status.message();
  return status.is_ok() ? std::move(s) : nullptr;
}

// Fills every input with the LCG values of `seed` (as --fill lcg:SEED) and invokes; the first output.
std::vector<float> run_lcg(Session& s, uint32_t seed) {
  Interpreter& in = s.interpreter();
  for (int i = 0; i < in.num_inputs(); ++i) EXPECT_TRUE(fill_lcg(in.input(i), seed).is_ok());
  const Status status = in.invoke();
  EXPECT_TRUE(status.is_ok()) << status.message();
  const Tensor out = in.output(0);
  return std::vector<float>(out.data_as<const float>(), out.data_as<const float>() + out.num_elements());
}

std::vector<float> run_input(Session& s, const std::vector<float>& input) {
  Interpreter& in = s.interpreter();
  EXPECT_TRUE(in.input(0).set_from_float(input.data(), input.size()).is_ok());
  EXPECT_TRUE(in.invoke().is_ok());
  const Tensor out = in.output(0);
  return std::vector<float>(out.data_as<const float>(), out.data_as<const float>() + out.num_elements());
}

// ---- Per op: every hybrid op of the real models within the derived bound ----

void check_each_hybrid_op(const std::string& relative_path, int expected_hybrid_ops) {
  EI_REQUIRE_SHARED_DIR(shared);
  host::LoadedModel loaded;
  ASSERT_TRUE(loaded.load_file((shared / "models" / relative_path).string()).is_ok());
  const Model& model = loaded.model();
  int hybrid_ops = 0;
  double worst = 0;
  for (int op = 0; op < model.num_ops(); ++op) {
    if (!is_hybrid_op(model, op)) continue;
    ++hybrid_ops;
    auto hybrid = open_bytes(rebuild(model, {op}, false));
    auto twin = open_bytes(rebuild(model, {op}, true));
    ASSERT_TRUE(hybrid && twin);
    const Tensor input = hybrid->interpreter().input(0);
    const Tensor weights = model.tensor(model.op(op)->inputs()->Get(1));
    // Output channels along dimension 0 (FULLY_CONNECTED, CONV_2D) or 3 (DEPTHWISE_CONV_2D).
    const bool depthwise = model.op_code(op) == static_cast<int32_t>(BuiltinOp::kDepthwiseConv2D);
    const int channels = weights.shape.dims[depthwise ? 3 : 0];
    std::vector<double> weight_sum(channels, 0.0);
    const std::vector<float> w = dequantized(weights);
    const int64_t inner = depthwise ? 1 : w.size() / channels;
    for (size_t i = 0; i < w.size(); ++i) {
      weight_sum[depthwise ? i % channels : i / inner] += std::abs(static_cast<double>(w[i]));
    }
    // Rows quantized together: FULLY_CONNECTED's input rows, the convolutions' batches.
    const bool fc = model.op_code(op) == static_cast<int32_t>(BuiltinOp::kFullyConnected);
    const int64_t row = fc ? weights.shape.dims[1] : input.num_elements() / input.shape.dims[0];
    for (uint32_t seed : {1u, 12345u}) {
      const std::vector<float> x =
          testing::lcg_floats(static_cast<size_t>(input.num_elements()), -1.0f, 1.0f, seed);
      const std::vector<float> got = run_input(*hybrid, x);
      const std::vector<float> want = run_input(*twin, x);
      ASSERT_EQ(got.size(), want.size());
      const size_t rows = static_cast<size_t>(input.num_elements() / row);
      const size_t per_row = got.size() / rows;
      std::vector<double> row_max(rows, 0.0);
      for (size_t k = 0; k < x.size(); ++k) {
        row_max[k / row] = std::max(row_max[k / row], std::abs(static_cast<double>(x[k])));
      }
      for (size_t i = 0; i < got.size(); ++i) {
        const double largest = row_max[i / per_row];
        // Half a symmetric step (an upper bound of the asymmetric one, (max - min) / 255 <= 2 max|x| / 255),
        // plus float rounding as in the unit tests (kernels/reference/hybrid_test.cc).
        const double s = largest / 127.0;
        const double sum = weight_sum[i % channels];
        const double tolerance = (0.5 + 1e-3) * s * sum + 1e-5 * (sum * largest + std::abs(want[i])) + 1e-6;
        const double difference = std::abs(static_cast<double>(got[i]) - want[i]);
        ASSERT_LE(difference, tolerance) << relative_path << " op " << op << " (" << model.op_name(op)
                                         << ") output " << i << ": " << got[i] << " vs float " << want[i];
        if (s * sum > 0) worst = std::max(worst, difference / (0.5 * s * sum));
      }
    }
  }
  EXPECT_EQ(hybrid_ops, expected_hybrid_ops);
  std::printf("%s: %d hybrid ops, largest difference %.3f of the bound s/2 * sum|w|\n", relative_path.c_str(),
              hybrid_ops, worst);
}

TEST(HybridModels, KeywordModelEachHybridOpWithinInputQuantizationBound) {
  check_each_hybrid_op(kKeywordModel, 5);
}

TEST(HybridModels, ToyCarEachHybridOpWithinInputQuantizationBound) {
  check_each_hybrid_op(kToyCarModel, 10);
}

// ---- Whole network ----

struct Agreement {
  double normalized_rms;  // RMS(hybrid - float) / RMS(float)
  double max_difference;
  double float_rms;  // RMS of the float outputs
};

Agreement compare_networks(const std::string& relative_path, std::vector<std::vector<float>>* hybrid_outputs,
                           std::vector<std::vector<float>>* twin_outputs) {
  const auto shared = testing::shared_dir();
  host::LoadedModel loaded;
  EXPECT_TRUE(loaded.load_file((*shared / "models" / relative_path).string()).is_ok());
  std::vector<int> all(loaded.model().num_ops());
  for (int i = 0; i < loaded.model().num_ops(); ++i) all[i] = i;
  auto hybrid = open_file(*shared / "models" / relative_path);
  auto twin = open_bytes(rebuild(loaded.model(), all, true));
  if (!hybrid || !twin) return {1e9, 1e9, 1};
  double error_squares = 0, signal_squares = 0, largest = 0;
  for (uint32_t seed : {12345u, 1u, 2u, 3u, 4u}) {
    const std::vector<float> got = run_lcg(*hybrid, seed);
    const std::vector<float> want = run_lcg(*twin, seed);
    EXPECT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
      const double d = static_cast<double>(got[i]) - want[i];
      error_squares += d * d;
      signal_squares += static_cast<double>(want[i]) * want[i];
      largest = std::max(largest, std::abs(d));
    }
    hybrid_outputs->push_back(got);
    twin_outputs->push_back(want);
  }
  size_t values = 0;
  for (const auto& v : *twin_outputs) values += v.size();
  const Agreement a{std::sqrt(error_squares / signal_squares), largest, std::sqrt(signal_squares / values)};
  std::printf(
      "%s vs its dequantized float twin: normalized RMS error %.5f, largest difference %.6f (float RMS "
      "%.4f)\n",
      relative_path.c_str(), a.normalized_rms, a.max_difference, a.float_rms);
  return a;
}

int top_class(const std::vector<float>& scores) {
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

TEST(HybridModels, KeywordModelAgreesWithFloatComputationAndTopClass) {
  EI_REQUIRE_SHARED_DIR(shared);
  std::vector<std::vector<float>> hybrid, twin;
  const Agreement a = compare_networks(kKeywordModel, &hybrid, &twin);
  // Softmax probabilities over 12 keywords; measured: normalized RMS 0.0095, largest difference 0.0107.
  EXPECT_LE(a.normalized_rms, 0.02);
  EXPECT_LE(a.max_difference, 0.025);
  ASSERT_EQ(hybrid.size(), twin.size());
  for (size_t s = 0; s < hybrid.size(); ++s) {
    EXPECT_EQ(top_class(hybrid[s]), top_class(twin[s])) << "seed #" << s;
    std::printf("  seed #%zu: top class %d (p %.4f, float %.4f)\n", s, top_class(hybrid[s]),
                hybrid[s][top_class(hybrid[s])], twin[s][top_class(twin[s])]);
  }
}

TEST(HybridModels, ToyCarAgreesWithFloatComputation) {
  EI_REQUIRE_SHARED_DIR(shared);
  std::vector<std::vector<float>> hybrid, twin;
  const Agreement a = compare_networks(kToyCarModel, &hybrid, &twin);
  // 640 reconstructed values (float RMS 18.7) after 10 hybrid layers; measured: normalized RMS 0.0185,
  // largest difference 1.79 (0.096 of the float RMS).
  EXPECT_LE(a.normalized_rms, 0.04);
  EXPECT_LE(a.max_difference, 0.2 * a.float_rms);
}

TEST(HybridModels, OptimizedKernelsGiveTheReferenceOutputs) {
  EI_REQUIRE_SHARED_DIR(shared);
  for (const char* model : {kKeywordModel, kToyCarModel}) {
    auto reference = open_file(shared / "models" / model);
    auto optimized = open_file(shared / "models" / model, true);
    ASSERT_TRUE(reference && optimized);
    EXPECT_EQ(run_lcg(*optimized, 12345), run_lcg(*reference, 12345)) << model;
  }
}

// ---- The CLI: the arena `inspect --json` reports is exactly what `run` needs ----

TEST(HybridModels, CliInspectArenaRunsExactly) {
  EI_REQUIRE_SHARED_DIR(shared);
  const std::string cli = testing::edgeinfer_cli().string();
  for (const char* model : {kKeywordModel, kToyCarModel}) {
    const std::string path = (shared / "models" / model).string();
    const auto inspect = testing::run_command(cli + " inspect --json " + path);
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
    const auto json = nlohmann::json::parse(inspect.output);
    ASSERT_TRUE(json["arena_bytes"].is_number()) << model << ": " << inspect.output.substr(0, 400);
    const size_t arena = json["arena_bytes"].get<size_t>();
    std::printf("%s: arena_bytes %zu\n", model, arena);
    const auto exact = testing::run_command(cli + " run " + path + " --arena " + std::to_string(arena) +
                                            " --fill lcg:12345");
    EXPECT_EQ(exact.exit_code, 0) << model << ": " << exact.output;
    const auto smaller = testing::run_command(cli + " run " + path + " --arena " + std::to_string(arena - 1) +
                                              " --fill lcg:12345");
    EXPECT_NE(smaller.exit_code, 0) << model << ": one byte less should not fit";
  }
}

}  // namespace
}  // namespace edgeinfer
