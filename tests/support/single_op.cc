#include "tests/support/single_op.h"

#include <cstring>

namespace edgeinfer::testing {

Shape make_shape(const std::vector<int32_t>& dims) {
  Shape shape;
  for (int32_t d : dims) shape.dims[shape.rank++] = d;
  return shape;
}

int64_t element_count(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

std::vector<uint8_t> single_op_model(BuiltinOp op, const std::vector<TensorSpec>& inputs,
                                     const TensorSpec& output, tflite::BuiltinOptions options_type,
                                     compiler::OptionsWriter writer, int version) {
  compiler::ModelBuilder builder;
  std::vector<int> input_indices;
  for (const TensorSpec& spec : inputs)
    input_indices.push_back(builder.add_tensor(spec.type, spec.shape, spec.quant));
  const int out = builder.add_tensor(output.type, output.shape, output.quant);
  builder.add_op(op, input_indices, {out}, options_type, std::move(writer), version);
  builder.set_inputs(input_indices);
  builder.set_outputs({out});
  return builder.finish();
}

Status ModelSession::open(const std::vector<uint8_t>& model_bytes, const KernelList& kernels) {
  EI_RETURN_IF_ERROR(model_.load_bytes(model_bytes.data(), model_bytes.size()));
  return allocate(kernels);
}

Status ModelSession::open_file(const std::string& path, const KernelList& kernels) {
  EI_RETURN_IF_ERROR(model_.load_file(path));
  return allocate(kernels);
}

Status ModelSession::allocate(const KernelList& kernels) {
  for (const auto& [op, kernel] : kernels) EI_RETURN_IF_ERROR(resolver_.add(op, *kernel));
  return host_.init(model_.model(), resolver_);
}

Status allocate_status(const std::vector<uint8_t>& model_bytes, const KernelList& kernels) {
  ModelSession session;
  return session.open(model_bytes, kernels);
}

RunResult run_model(const std::vector<uint8_t>& model_bytes, const KernelList& kernels,
                    const std::vector<std::vector<uint8_t>>& inputs) {
  RunResult result;
  ModelSession session;
  result.status = session.open(model_bytes, kernels);
  if (!result.status.is_ok()) return result;
  Interpreter& interpreter = session.interpreter();
  if (static_cast<int>(inputs.size()) != interpreter.num_inputs()) {
    result.status = Status::error(StatusCode::kInvalidArgument, "test gives %d inputs, model has %d",
                                  static_cast<int>(inputs.size()), interpreter.num_inputs());
    return result;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor input = interpreter.input(static_cast<int>(i));
    if (input.bytes != inputs[i].size()) {
      result.status = Status::error(StatusCode::kInvalidArgument, "input %d has %lu bytes, test gives %lu",
                                    static_cast<int>(i), static_cast<unsigned long>(input.bytes),
                                    static_cast<unsigned long>(inputs[i].size()));
      return result;
    }
    if (!inputs[i].empty()) std::memcpy(input.data, inputs[i].data(), inputs[i].size());
  }
  result.status = interpreter.invoke();
  if (!result.status.is_ok()) return result;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor output = interpreter.output(i);
    const uint8_t* data = static_cast<const uint8_t*>(output.data);
    result.outputs.emplace_back(data, data + output.bytes);
  }
  return result;
}

void expect_error(const Status& status, StatusCode code, const char* text) {
  EXPECT_EQ(status.code(), code) << status.message();
  EXPECT_NE(std::strstr(status.message(), text), nullptr)
      << "message \"" << status.message() << "\" lacks \"" << text << "\"";
}

void expect_error(const RunResult& result, StatusCode code, const char* text) {
  expect_error(result.status, code, text);
}

int64_t ideal_quantized(double real, double scale, int64_t zero_point, int64_t min, int64_t max) {
  const double q = std::round(real / scale) + static_cast<double>(zero_point);
  return q < static_cast<double>(min) ? min : (q > static_cast<double>(max) ? max : static_cast<int64_t>(q));
}

float max_abs(const std::vector<float>& values) {
  float m = 0.0f;
  for (float v : values) m = std::fmax(m, std::fabs(v));
  return m;
}

std::vector<float> random_floats(std::mt19937& rng, int64_t count, float low, float high) {
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

std::vector<float> lcg_floats(size_t count, float low, float high, uint32_t seed) {
  std::vector<float> values(count);
  uint32_t x = seed;
  for (float& v : values) {
    x = lcg_next(x);
    v = low + (high - low) * static_cast<float>(x >> 8) / 16777216.0f;
  }
  return values;
}

}  // namespace edgeinfer::testing
