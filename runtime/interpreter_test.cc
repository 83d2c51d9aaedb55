// Interpreter: memory planning, exact arena size, state, scratch and error reporting, using test kernels so
// the runtime is checked independently of the real ones.
#include "edgeinfer/interpreter.h"

#include <gtest/gtest.h>

#include <cstring>

#include "compiler/host_runner.h"
#include "compiler/model_builder.h"

namespace edgeinfer {
namespace {

using compiler::ModelBuilder;

// out = in + 1 (int8, same shape); asks for a scratch buffer of the input's size and checks it is usable.
Status add_one_prepare(KernelContext& context) {
  if (context.num_inputs() != 1 || context.num_outputs() != 1)
    return Status::error(StatusCode::kInvalidModel, "expects 1 input and 1 output");
  if (context.input(0).bytes != context.output(0).bytes)
    return Status::error(StatusCode::kInvalidModel, "input and output sizes differ");
  int scratch = -1;
  EI_RETURN_IF_ERROR(context.request_scratch(context.input(0).bytes, &scratch));
  auto* data = static_cast<int*>(context.allocate_persistent(sizeof(int)));
  if (data == nullptr) return context.arena_full_error();
  *data = scratch;
  context.set_op_data(data);
  return Status::ok();
}

Status add_one_eval(KernelContext& context) {
  const Tensor in = context.input(0);
  const Tensor out = context.output(0);
  auto* scratch = static_cast<int8_t*>(context.scratch(*context.op_data_as<int>()));
  for (size_t i = 0; i < in.bytes; ++i) scratch[i] = static_cast<int8_t>(in.data_as<int8_t>()[i] + 1);
  std::memcpy(out.data, scratch, in.bytes);
  return Status::ok();
}

const Kernel kAddOne = {"test/add_one", add_one_prepare, add_one_eval};

// state += in; out = state (int8): a stateful op like SVDF/LSTM.
Status accumulate_prepare(KernelContext& context) {
  if (!context.input(1).is_variable) return Status::error(StatusCode::kInvalidModel, "input 1 must be state");
  return Status::ok();
}
Status accumulate_eval(KernelContext& context) {
  const Tensor in = context.input(0), state = context.input(1), out = context.output(0);
  for (size_t i = 0; i < in.bytes; ++i) {
    state.data_as<int8_t>()[i] = static_cast<int8_t>(state.data_as<int8_t>()[i] + in.data_as<int8_t>()[i]);
    out.data_as<int8_t>()[i] = state.data_as<int8_t>()[i];
  }
  return Status::ok();
}
const Kernel kAccumulate = {"test/accumulate", accumulate_prepare, accumulate_eval};

// A kernel with its own state: counts reset_state() calls through the reset hook.
int g_inspect_state_resets = 0;
Status ok_op(KernelContext&) {
  return Status::ok();
}
Status count_reset(KernelContext&) {
  ++g_inspect_state_resets;
  return Status::ok();
}
const Kernel kInspectState = {"test/inspect_state", ok_op, ok_op, count_reset};

// A chain in -> a -> b -> c -> out of `n` ops over int8 tensors of `size` bytes.
std::vector<uint8_t> chain_model(int n, int size) {
  ModelBuilder builder;
  int previous = builder.add_tensor(DataType::kInt8, {1, size});
  builder.set_inputs({previous});
  for (int i = 0; i < n; ++i) {
    const int next = builder.add_tensor(DataType::kInt8, {1, size});
    builder.add_op(BuiltinOp::kRelu, {previous}, {next});
    previous = next;
  }
  builder.set_outputs({previous});
  return builder.finish();
}

struct Loaded {
  host::LoadedModel model;
  MutableOpResolver<4> resolver;
};

std::unique_ptr<Loaded> load(const std::vector<uint8_t>& bytes) {
  auto loaded = std::make_unique<Loaded>();
  Status status = loaded->model.load_bytes(bytes.data(), bytes.size());
  EXPECT_TRUE(status.is_ok()) << status.message();
  EXPECT_TRUE(loaded->resolver.add(BuiltinOp::kRelu, kAddOne).is_ok());
  EXPECT_TRUE(loaded->resolver.add(BuiltinOp::kAdd, kAccumulate).is_ok());
  return loaded;
}

TEST(InterpreterTest, RunsChainAndReusesActivationMemory) {
  auto loaded = load(chain_model(6, 100));
  host::HostInterpreter runner;
  ASSERT_TRUE(runner.init(loaded->model.model(), loaded->resolver).is_ok());
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < 100; ++i) interpreter.input(0).data_as<int8_t>()[i] = static_cast<int8_t>(i);
  ASSERT_TRUE(interpreter.invoke().is_ok());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(interpreter.output(0).data_as<int8_t>()[i], i + 6);
  // 7 tensors of 112 bytes (100 rounded to 16) and 6 scratch buffers; at any op only its input, output and
  // scratch are live, so the planned region holds 3 buffers, not 13.
  EXPECT_EQ(interpreter.planned_bytes(), 3u * 112u);
}

TEST(InterpreterTest, RunsInExactlyTheReportedArenaAndFailsWithOneByteLess) {
  auto loaded = load(chain_model(3, 40));
  size_t exact = 0;
  ASSERT_TRUE(host::measure_arena_bytes(loaded->model.model(), loaded->resolver, &exact).is_ok());
  host::AlignedBuffer arena(exact);
  {
    Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), exact);
    ASSERT_TRUE(interpreter.allocate().is_ok());
    EXPECT_EQ(interpreter.arena_used_bytes(), exact);
    ASSERT_TRUE(interpreter.invoke().is_ok());
  }
  Interpreter smaller(loaded->model.model(), loaded->resolver, arena.data(), exact - 1);
  const Status status = smaller.allocate();
  EXPECT_EQ(status.code(), StatusCode::kArenaTooSmall);
  EXPECT_EQ(smaller.arena_required_bytes(), exact);
  EXPECT_NE(std::string(status.message()).find(std::to_string(exact)), std::string::npos) << status.message();
  EXPECT_EQ(smaller.invoke().code(), StatusCode::kFailedPrecondition);
}

TEST(InterpreterTest, TinyArenaFailsCleanly) {
  auto loaded = load(chain_model(3, 40));
  for (size_t bytes : {0, 1, 16, 64}) {
    host::AlignedBuffer arena(bytes + 1);
    Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), bytes);
    EXPECT_EQ(interpreter.allocate().code(), StatusCode::kArenaTooSmall) << bytes;
  }
}

TEST(InterpreterTest, MisalignedArenaCostsOnlyItsPadding) {
  auto loaded = load(chain_model(2, 32));
  size_t exact = 0;
  ASSERT_TRUE(host::measure_arena_bytes(loaded->model.model(), loaded->resolver, &exact).is_ok());
  host::AlignedBuffer arena(exact + 16);
  Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data() + 3, exact + 13);
  ASSERT_TRUE(interpreter.allocate().is_ok());
  EXPECT_EQ(interpreter.arena_used_bytes(), exact + 13);
}

TEST(InterpreterTest, UnregisteredOpNamesOpIndexAndName) {
  ModelBuilder builder;
  const int a = builder.add_tensor(DataType::kInt8, {4});
  const int b = builder.add_tensor(DataType::kInt8, {4});
  const int c = builder.add_tensor(DataType::kInt8, {4});
  builder.add_op(BuiltinOp::kRelu, {a}, {b});
  builder.add_op(BuiltinOp::kTanh, {b}, {c});
  builder.set_inputs({a});
  builder.set_outputs({c});
  auto loaded = load(builder.finish());
  host::AlignedBuffer arena(4096);
  Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), arena.size());
  const Status status = interpreter.allocate();
  EXPECT_EQ(status.code(), StatusCode::kUnsupported);
  EXPECT_NE(std::string(status.message()).find("op 1 (TANH"), std::string::npos) << status.message();
}

TEST(InterpreterTest, PrepareErrorsArePrefixedWithTheOp) {
  ModelBuilder builder;
  const int a = builder.add_tensor(DataType::kInt8, {4});
  const int b = builder.add_tensor(DataType::kInt8, {5});
  builder.add_op(BuiltinOp::kRelu, {a}, {b});
  builder.set_inputs({a});
  builder.set_outputs({b});
  auto loaded = load(builder.finish());
  host::AlignedBuffer arena(4096);
  Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), arena.size());
  const Status status = interpreter.allocate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_STREQ(status.message(), "op 0 (RELU): input and output sizes differ");
}

TEST(InterpreterTest, TensorReadBeforeWrittenIsAnError) {
  ModelBuilder builder;
  const int a = builder.add_tensor(DataType::kInt8, {4});
  const int orphan = builder.add_tensor(DataType::kInt8, {4});
  const int b = builder.add_tensor(DataType::kInt8, {4});
  builder.add_op(BuiltinOp::kRelu, {orphan}, {b});
  builder.set_inputs({a});
  builder.set_outputs({b});
  auto loaded = load(builder.finish());
  host::AlignedBuffer arena(4096);
  Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), arena.size());
  const Status status = interpreter.allocate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("reads tensor 1 before"), std::string::npos)
      << status.message();
}

TEST(InterpreterTest, TensorWrittenTwiceIsAnError) {
  ModelBuilder builder;
  const int a = builder.add_tensor(DataType::kInt8, {4});
  const int b = builder.add_tensor(DataType::kInt8, {4});
  builder.add_op(BuiltinOp::kRelu, {a}, {b});
  builder.add_op(BuiltinOp::kRelu, {b}, {b});
  builder.set_inputs({a});
  builder.set_outputs({b});
  auto loaded = load(builder.finish());
  host::AlignedBuffer arena(4096);
  Interpreter interpreter(loaded->model.model(), loaded->resolver, arena.data(), arena.size());
  const Status status = interpreter.allocate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel);
  EXPECT_NE(std::string(status.message()).find("op 1 (RELU) writes tensor 1"), std::string::npos)
      << status.message();
}

TEST(InterpreterTest, StateTensorsPersistAcrossInvokesAndReset) {
  ModelBuilder builder;
  const int in = builder.add_tensor(DataType::kInt8, {3});
  const int state = builder.add_variable(DataType::kInt8, {3});
  const int out = builder.add_tensor(DataType::kInt8, {3});
  builder.add_op(BuiltinOp::kAdd, {in, state}, {out});
  builder.set_inputs({in});
  builder.set_outputs({out});
  auto loaded = load(builder.finish());
  host::HostInterpreter runner;
  ASSERT_TRUE(runner.init(loaded->model.model(), loaded->resolver).is_ok());
  Interpreter& interpreter = runner.interpreter();
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < 3; ++i) interpreter.input(0).data_as<int8_t>()[i] = static_cast<int8_t>(i + 1);
    ASSERT_TRUE(interpreter.invoke().is_ok());
    EXPECT_EQ(interpreter.output(0).data_as<int8_t>()[2], 3 * round);
  }
  ASSERT_TRUE(interpreter.reset_state().is_ok());
  for (int i = 0; i < 3; ++i) interpreter.input(0).data_as<int8_t>()[i] = static_cast<int8_t>(i + 1);
  ASSERT_TRUE(interpreter.invoke().is_ok());
  EXPECT_EQ(interpreter.output(0).data_as<int8_t>()[2], 3);
}

// TFLM's initial state: an int8 state tensor holds its zero point's byte (real 0), other types hold 0, after
// allocate() and after reset_state().
TEST(InterpreterTest, StateTensorsStartAtTheirZeroPoint) {
  ModelBuilder builder;
  const int in = builder.add_tensor(DataType::kInt8, {3});
  const int state8 = builder.add_variable(DataType::kInt8, {3}, compiler::QuantParams::per_tensor(0.5f, -4));
  const int state16 = builder.add_variable(DataType::kInt16, {2}, compiler::QuantParams::per_tensor(0.5f, 0));
  const int out = builder.add_tensor(DataType::kInt8, {3});
  builder.add_op(BuiltinOp::kAdd, {in, state8}, {out});
  builder.add_op(BuiltinOp::kRelu, {state16}, {builder.add_tensor(DataType::kInt16, {2})});
  builder.set_inputs({in});
  builder.set_outputs({out});
  auto loaded = load(builder.finish());
  ASSERT_TRUE(loaded->resolver.add(BuiltinOp::kRelu, kInspectState).is_ok());
  host::HostInterpreter runner;
  ASSERT_TRUE(runner.init(loaded->model.model(), loaded->resolver).is_ok());
  Interpreter& interpreter = runner.interpreter();
  auto state_bytes = [&](int t, size_t n) {
    const auto* p = static_cast<const int8_t*>(interpreter.tensor(t).data);
    return std::vector<int8_t>(p, p + n);
  };
  EXPECT_EQ(state_bytes(state8, 3), std::vector<int8_t>(3, -4));
  EXPECT_EQ(state_bytes(state16, 4), std::vector<int8_t>(4, 0));
  for (int i = 0; i < 3; ++i) interpreter.input(0).data_as<int8_t>()[i] = 10;
  ASSERT_TRUE(interpreter.invoke().is_ok());
  EXPECT_EQ(interpreter.output(0).data_as<int8_t>()[0], 6);
  EXPECT_EQ(state_bytes(state8, 3), std::vector<int8_t>(3, 6));
  g_inspect_state_resets = 0;
  ASSERT_TRUE(interpreter.reset_state().is_ok());
  EXPECT_EQ(state_bytes(state8, 3), std::vector<int8_t>(3, -4));
  EXPECT_EQ(g_inspect_state_resets, 1) << "reset_state() calls each kernel's reset hook";
}

TEST(InterpreterTest, ResolverReplacesAKernelRegisteredTwice) {
  MutableOpResolver<2> resolver;
  ASSERT_TRUE(resolver.add(BuiltinOp::kRelu, kAddOne).is_ok());
  ASSERT_TRUE(resolver.add(BuiltinOp::kRelu, kAccumulate).is_ok());
  EXPECT_EQ(resolver.size(), 1);
  EXPECT_EQ(resolver.find(static_cast<int32_t>(BuiltinOp::kRelu), nullptr), &kAccumulate);
  ASSERT_TRUE(resolver.add(BuiltinOp::kAdd, kAddOne).is_ok());
  EXPECT_EQ(resolver.add(BuiltinOp::kTanh, kAddOne).code(), StatusCode::kInvalidArgument);  // full
}

}  // namespace
}  // namespace edgeinfer
