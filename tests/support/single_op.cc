#include "tests/support/single_op.h"

#include <cstring>

#include "tests/support/shared_data.h"

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

int64_t broadcast_index(const Shape& input, const Shape& output, int64_t flat) {
  int64_t index = 0;
  int64_t stride = 1;
  for (int i = 1; i <= output.rank; ++i) {
    const int32_t out_dim = output.dim_from_end(i);
    const int64_t coordinate = flat % out_dim;
    flat /= out_dim;
    if (i <= input.rank) {
      const int32_t in_dim = input.dim_from_end(i);
      if (in_dim != 1) index += coordinate * stride;
      stride *= in_dim;
    }
  }
  return index;
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
  EI_RETURN_IF_ERROR(register_kernels(kernels));
  return host_.init(model_.model(), resolver_);
}

Status ModelSession::open_file(const std::string& path, const KernelList& kernels) {
  EI_RETURN_IF_ERROR(model_.load_file(path));
  EI_RETURN_IF_ERROR(register_kernels(kernels));
  return host_.init(model_.model(), resolver_);
}

Status ModelSession::open_file(const std::string& path, const OpResolver& resolver) {
  EI_RETURN_IF_ERROR(model_.load_file(path));
  return host_.init(model_.model(), resolver);
}

Status ModelSession::register_kernels(const KernelList& kernels) {
  for (const auto& [op, kernel] : kernels) EI_RETURN_IF_ERROR(resolver_.add(op, *kernel));
  return Status::ok();
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

namespace {

// The integer values of `tensor` (int8, int16 or int32) widened, or written from `values`.
int64_t integer_value(const Tensor& tensor, size_t i) {
  switch (tensor.type) {
    case DataType::kInt8: return tensor.data_as<int8_t>()[i];
    case DataType::kInt16: return tensor.data_as<int16_t>()[i];
    default: return tensor.data_as<int32_t>()[i];
  }
}

void set_integer_values(const Tensor& tensor, const std::vector<int64_t>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    switch (tensor.type) {
      case DataType::kInt8: tensor.data_as<int8_t>()[i] = static_cast<int8_t>(values[i]); break;
      case DataType::kInt16: tensor.data_as<int16_t>()[i] = static_cast<int16_t>(values[i]); break;
      default: tensor.data_as<int32_t>()[i] = static_cast<int32_t>(values[i]); break;
    }
  }
}

bool is_integer_type(DataType type) {
  return type == DataType::kInt8 || type == DataType::kInt16 || type == DataType::kInt32;
}

// expect_seanet_case() once the session is open.
void expect_seanet_outputs(const std::filesystem::path& dir, const std::string& stem, const Status& opened,
                           ModelSession& session) {
  ASSERT_TRUE(opened.is_ok()) << stem << ": " << opened.message();
  Interpreter& interpreter = session.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    const Tensor input = interpreter.input(i);
    ASSERT_TRUE(is_integer_type(input.type))
        << stem << ": unexpected input type " << data_type_name(input.type);
    const auto path = dir / (stem + "_input" + std::to_string(i) + "_" + data_type_name(input.type) + ".csv");
    const auto values = read_csv_integers(path);
    ASSERT_EQ(static_cast<int64_t>(values.size()), input.num_elements()) << path;
    set_integer_values(input, values);
  }
  const Status status = interpreter.invoke();
  ASSERT_TRUE(status.is_ok()) << stem << ": " << status.message();
  const Tensor output = interpreter.output(0);
  ASSERT_TRUE(is_integer_type(output.type))
      << stem << ": unexpected output type " << data_type_name(output.type);
  const auto golden = read_csv_integers(dir / (stem + "_golden_" + data_type_name(output.type) + ".csv"));
  ASSERT_EQ(static_cast<int64_t>(golden.size()), output.num_elements()) << stem;
  int mismatches = 0;
  for (size_t i = 0; i < golden.size(); ++i) {
    const int64_t ours = integer_value(output, i);
    if (ours != golden[i] && mismatches++ < 5)
      ADD_FAILURE() << stem << ": element " << i << ": ours " << ours << ", golden " << golden[i];
  }
  EXPECT_EQ(mismatches, 0) << stem << ": of " << golden.size();
}

}  // namespace

void expect_seanet_case(const std::filesystem::path& dir, const std::string& stem,
                        const KernelList& kernels) {
  ModelSession session;
  const Status opened = session.open_file((dir / (stem + ".tflite")).string(), kernels);
  expect_seanet_outputs(dir, stem, opened, session);
}

void expect_seanet_case(const std::filesystem::path& dir, const std::string& stem,
                        const OpResolver& resolver) {
  ModelSession session;
  const Status opened = session.open_file((dir / (stem + ".tflite")).string(), resolver);
  expect_seanet_outputs(dir, stem, opened, session);
}

int expect_seanet_cases(const std::filesystem::path& dir, const std::string& name,
                        const KernelList& kernels) {
  int cases = 0;
  for (; std::filesystem::exists(dir / (name + std::to_string(cases) + ".tflite")); ++cases)
    expect_seanet_case(dir, name + std::to_string(cases), kernels);
  return cases;
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
