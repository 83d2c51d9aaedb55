#include "kernels/reference/lstm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/reference/activation_functions.h"
#include "tests/support/single_op.h"

namespace edgeinfer::reference {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;
using testing::ModelSession;

const testing::KernelList kKernels = {
    {BuiltinOp::kUnidirectionalSequenceLstm, &unidirectional_sequence_lstm()}};

// Float weights of a whole LSTM, gate order forget, input, cell, output.
struct FloatLstm {
  int input_size = 0, state_size = 0;
  std::vector<float> input_weights[4], recurrent_weights[4], bias[4];

  static FloatLstm random(int input_size, int state_size, uint32_t seed, float scale = 1.0f) {
    FloatLstm l;
    l.input_size = input_size;
    l.state_size = state_size;
    for (int g = 0; g < 4; ++g) {
      l.input_weights[g] = testing::lcg_floats(state_size * input_size, -scale, scale, seed + 10 * g);
      l.recurrent_weights[g] = testing::lcg_floats(state_size * state_size, -scale, scale, seed + 10 * g + 1);
      l.bias[g] = testing::lcg_floats(state_size, -scale, scale, seed + 10 * g + 2);
    }
    return l;
  }
  LstmWeights<float, float> view() const {
    LstmWeights<float, float> w;
    LstmGateWeights<float, float>* gates[4] = {&w.forget, &w.input, &w.cell, &w.output};
    for (int g = 0; g < 4; ++g) {
      gates[g]->input_weights = input_weights[g].data();
      gates[g]->recurrent_weights = recurrent_weights[g].data();
      gates[g]->bias = bias[g].data();
    }
    return w;
  }
};

// The LSTM equations written out per unit, with the float operations in TFLM's order (dot products from 0,
// then the bias; the recurrent product gets a +0.0f of its absent bias; products are clamped to finite).
struct NaiveLstm {
  const FloatLstm& l;
  float cell_clip;

  float dot(const float* w, const float* x, int n) const {
    float total = 0.0f;
    for (int i = 0; i < n; ++i) total += x[i] * w[i];
    return total;
  }
  float gate(int g, int unit, const float* x, const float* h) const {
    const float from_input = dot(&l.input_weights[g][unit * l.input_size], x, l.input_size) + l.bias[g][unit];
    const float from_hidden = dot(&l.recurrent_weights[g][unit * l.state_size], h, l.state_size) + 0.0f;
    const float pre = from_input + from_hidden;
    return g == 2 ? std::tanh(pre) : logistic_float(pre);
  }
  // One step for one batch row.
  void step(const float* x, float* h, float* c) const {
    const int n = l.state_size;
    std::vector<float> f(n), i(n), g(n), o(n);
    for (int u = 0; u < n; ++u) {
      f[u] = gate(0, u, x, h);
      i[u] = gate(1, u, x, h);
      g[u] = gate(2, u, x, h);
    }
    for (int u = 0; u < n; ++u) {
      c[u] = f[u] * c[u] + i[u] * g[u];
      if (cell_clip > 0) c[u] = std::max(std::min(cell_clip, c[u]), -cell_clip);
    }
    for (int u = 0; u < n; ++u) o[u] = gate(3, u, x, h);
    for (int u = 0; u < n; ++u) h[u] = std::tanh(c[u]) * o[u];
  }
};

struct FloatRun {
  std::vector<float> output, hidden, cell;
};

FloatRun run_pure_float(const FloatLstm& l, const LstmDims& dims, float cell_clip,
                        const std::vector<float>& input) {
  FloatRun r;
  r.output.assign(static_cast<size_t>(dims.batch) * dims.time_steps * dims.state_size, 0.0f);
  r.hidden.assign(static_cast<size_t>(dims.batch) * dims.state_size, 0.0f);
  r.cell = r.hidden;
  std::vector<float> storage[4];
  LstmBuffers<float> buffers;
  for (int i = 0; i < 4; ++i) {
    storage[i].assign(r.hidden.size(), 0.0f);
    buffers.buffer[i] = storage[i].data();
  }
  lstm_float(dims, l.view(), cell_clip, input.data(), r.hidden.data(), r.cell.data(), r.output.data(),
             buffers);
  return r;
}

TEST(LstmFloat, MatchesTheEquationsBatchMajor) {
  const FloatLstm l = FloatLstm::random(5, 4, 7);
  const LstmDims dims{3, 6, 5, 4, false};
  const auto input = testing::lcg_floats(3 * 6 * 5, -1, 1, 99);
  const FloatRun got = run_pure_float(l, dims, 0.0f, input);

  const NaiveLstm naive{l, 0.0f};
  for (int b = 0; b < 3; ++b) {
    std::vector<float> h(4, 0.0f), c(4, 0.0f);
    for (int t = 0; t < 6; ++t) {
      naive.step(&input[(b * 6 + t) * 5], h.data(), c.data());
      for (int u = 0; u < 4; ++u)
        EXPECT_EQ(got.output[(b * 6 + t) * 4 + u], h[u]) << b << "," << t << "," << u;
    }
    for (int u = 0; u < 4; ++u) {
      EXPECT_EQ(got.hidden[b * 4 + u], h[u]);
      EXPECT_EQ(got.cell[b * 4 + u], c[u]);
    }
  }
}

TEST(LstmFloat, TimeMajorRunsBatchRowsTogether) {
  const FloatLstm l = FloatLstm::random(3, 2, 17);
  const int batch = 2, time = 4;
  const auto batch_major = testing::lcg_floats(batch * time * 3, -1, 1, 5);
  std::vector<float> time_major(batch_major.size());
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < time; ++t)
      for (int i = 0; i < 3; ++i) time_major[(t * batch + b) * 3 + i] = batch_major[(b * time + t) * 3 + i];
  const FloatRun a = run_pure_float(l, {batch, time, 3, 2, false}, 0.0f, batch_major);
  const FloatRun b = run_pure_float(l, {batch, time, 3, 2, true}, 0.0f, time_major);
  for (int bi = 0; bi < batch; ++bi)
    for (int t = 0; t < time; ++t)
      for (int u = 0; u < 2; ++u)
        EXPECT_EQ(a.output[(bi * time + t) * 2 + u], b.output[(t * batch + bi) * 2 + u]);
  EXPECT_EQ(a.hidden, b.hidden);
  EXPECT_EQ(a.cell, b.cell);
}

TEST(LstmFloat, CellClip) {
  // Large weights drive the cell state past the clip.
  const FloatLstm l = FloatLstm::random(2, 3, 23, 8.0f);
  const LstmDims dims{1, 8, 2, 3, false};
  const auto input = testing::lcg_floats(16, 0.5f, 1, 3);
  const FloatRun clipped = run_pure_float(l, dims, 0.75f, input);
  for (float c : clipped.cell) EXPECT_LE(std::fabs(c), 0.75f);
  const FloatRun free = run_pure_float(l, dims, 0.0f, input);
  EXPECT_GT(testing::max_abs(free.cell), 0.75f);
  // Clipped and unclipped agree with the equations.
  const NaiveLstm naive{l, 0.75f};
  std::vector<float> h(3, 0.0f), c(3, 0.0f);
  for (int t = 0; t < 8; ++t) naive.step(&input[t * 2], h.data(), c.data());
  EXPECT_EQ(clipped.hidden, h);
  EXPECT_EQ(clipped.cell, c);
}

TEST(LstmFloat, HandCheckedSingleUnit) {
  // One unit, one input: forget = sigmoid(0), input = sigmoid(1), cell gate = tanh(0.5), output = sigmoid(2).
  FloatLstm l;
  l.input_size = 1;
  l.state_size = 1;
  const float w[4] = {0, 1, 0.5f, 0};
  const float bias[4] = {0, 0, 0, 2};
  for (int g = 0; g < 4; ++g) {
    l.input_weights[g] = {w[g]};
    l.recurrent_weights[g] = {0};
    l.bias[g] = {bias[g]};
  }
  const FloatRun r = run_pure_float(l, {1, 1, 1, 1, false}, 0.0f, {1.0f});
  const float c = 0.5f * 0.0f + logistic_float(1.0f) * std::tanh(0.5f);
  EXPECT_EQ(r.cell[0], c);
  EXPECT_EQ(r.hidden[0], std::tanh(c) * logistic_float(2.0f));
  EXPECT_NEAR(r.hidden[0], 0.28676f, 1e-4f);  // tanh(0.33783) * 0.88080
}

// ---- Models ----

struct ModelSpec {
  int batch = 1, time = 1, input_size = 1, state_size = 1;
  bool time_major = false;
  float cell_clip = 0.0f;
};

// The operand list of a "general" LSTM: 24 inputs with the optional ones omitted.
std::vector<int> lstm_inputs(int input, const int weights[8], const int biases[4], int hidden, int cell) {
  std::vector<int> in(24, -1);
  in[0] = input;
  // TFLite order: input gate, forget, cell, output. `weights` and `biases` come in that order too.
  for (int i = 0; i < 8; ++i) in[1 + i] = weights[i];
  for (int i = 0; i < 4; ++i) in[12 + i] = biases[i];
  in[18] = hidden;
  in[19] = cell;
  return in;
}

// TFLite's gate order (input, forget, cell, output) from ours (forget, input, cell, output).
constexpr int kTfliteGateToOurs[4] = {1, 0, 2, 3};

void add_lstm_op(ModelBuilder& b, const ModelSpec& s, std::vector<int> inputs, int output,
                 tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::TANH) {
  const float clip = s.cell_clip;
  const bool time_major = s.time_major;
  b.add_op(BuiltinOp::kUnidirectionalSequenceLstm, std::move(inputs), {output},
           tflite::BuiltinOptions::UnidirectionalSequenceLSTMOptions, [=](auto& fbb) {
             return tflite::CreateUnidirectionalSequenceLSTMOptions(fbb, activation, clip, 0.0f, time_major)
                 .Union();
           });
}

std::vector<int32_t> input_shape(const ModelSpec& s) {
  return s.time_major ? std::vector<int32_t>{s.time, s.batch, s.input_size}
                      : std::vector<int32_t>{s.batch, s.time, s.input_size};
}
std::vector<int32_t> output_shape(const ModelSpec& s) {
  return s.time_major ? std::vector<int32_t>{s.time, s.batch, s.state_size}
                      : std::vector<int32_t>{s.batch, s.time, s.state_size};
}

std::vector<uint8_t> float_lstm_model(const ModelSpec& s, const FloatLstm& l) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, input_shape(s));
  int weights[8], biases[4];
  for (int tg = 0; tg < 4; ++tg) {
    const int g = kTfliteGateToOurs[tg];
    weights[tg] = b.add_constant<float>(DataType::kFloat32, {s.state_size, s.input_size}, l.input_weights[g]);
    weights[4 + tg] =
        b.add_constant<float>(DataType::kFloat32, {s.state_size, s.state_size}, l.recurrent_weights[g]);
    biases[tg] = b.add_constant<float>(DataType::kFloat32, {s.state_size}, l.bias[g]);
  }
  const int hidden = b.add_variable(DataType::kFloat32, {s.batch, s.state_size});
  const int cell = b.add_variable(DataType::kFloat32, {s.batch, s.state_size});
  const int out = b.add_tensor(DataType::kFloat32, output_shape(s));
  add_lstm_op(b, s, lstm_inputs(in, weights, biases, hidden, cell), out);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(LstmKernel, FloatModelMatchesPureFunction) {
  for (bool time_major : {false, true}) {
    ModelSpec s;
    s.batch = 2;
    s.time = 5;
    s.input_size = 4;
    s.state_size = 3;
    s.time_major = time_major;
    s.cell_clip = 1.5f;
    const FloatLstm l = FloatLstm::random(4, 3, 31, 2.0f);
    ModelSession session;
    const Status status = session.open(float_lstm_model(s, l), kKernels);
    ASSERT_TRUE(status.is_ok()) << status.message();
    // Two invokes: the state carries over.
    std::vector<float> hidden(6, 0.0f), cell(6, 0.0f), expected(30), buffers_storage[4];
    LstmBuffers<float> buffers;
    for (int i = 0; i < 4; ++i) {
      buffers_storage[i].assign(6, 0.0f);
      buffers.buffer[i] = buffers_storage[i].data();
    }
    for (uint32_t invoke = 0; invoke < 2; ++invoke) {
      const auto input = testing::lcg_floats(40, -1, 1, 50 + invoke);
      lstm_float({2, 5, 4, 3, time_major}, l.view(), 1.5f, input.data(), hidden.data(), cell.data(),
                 expected.data(), buffers);
      session.set_input(0, input);
      ASSERT_TRUE(session.interpreter().invoke().is_ok());
      EXPECT_EQ(session.output<float>(0), expected) << "time_major " << time_major << " invoke " << invoke;
    }
  }
}

// ---- Quantized model against float ----

struct QuantizedLstm {
  float input_scale;
  int32_t input_zp;
  float hidden_scale;
  int32_t hidden_zp;
  float cell_scale;
  float weight_scale[4][2];  // [our gate][input, recurrent]
  std::vector<int8_t> input_weights[4], recurrent_weights[4];
  std::vector<int32_t> bias[4];
};

QuantizedLstm quantize_lstm(const FloatLstm& l, float input_scale, int32_t input_zp, float hidden_scale,
                            int32_t hidden_zp, float cell_scale) {
  QuantizedLstm q;
  q.input_scale = input_scale;
  q.input_zp = input_zp;
  q.hidden_scale = hidden_scale;
  q.hidden_zp = hidden_zp;
  q.cell_scale = cell_scale;
  for (int g = 0; g < 4; ++g) {
    q.weight_scale[g][0] = testing::max_abs(l.input_weights[g]) / 127.0f;
    q.weight_scale[g][1] = testing::max_abs(l.recurrent_weights[g]) / 127.0f;
    q.input_weights[g] = testing::quantize_values<int8_t>(l.input_weights[g], q.weight_scale[g][0], 0);
    q.recurrent_weights[g] =
        testing::quantize_values<int8_t>(l.recurrent_weights[g], q.weight_scale[g][1], 0);
    q.bias[g] = testing::quantize_values<int32_t>(l.bias[g], input_scale * q.weight_scale[g][0], 0);
  }
  return q;
}

// The float LSTM that the quantized one approximates: dequantized weights and biases.
FloatLstm dequantize_lstm(const QuantizedLstm& q, int input_size, int state_size) {
  FloatLstm l;
  l.input_size = input_size;
  l.state_size = state_size;
  for (int g = 0; g < 4; ++g) {
    l.input_weights[g] = testing::dequantize_values(q.input_weights[g], q.weight_scale[g][0], 0);
    l.recurrent_weights[g] = testing::dequantize_values(q.recurrent_weights[g], q.weight_scale[g][1], 0);
    l.bias[g] = testing::dequantize_values(q.bias[g], q.input_scale * q.weight_scale[g][0], 0);
  }
  return l;
}

std::vector<uint8_t> int8_lstm_model(const ModelSpec& s, const QuantizedLstm& q, bool per_channel = false) {
  ModelBuilder b;
  const int in =
      b.add_tensor(DataType::kInt8, input_shape(s), QuantParams::per_tensor(q.input_scale, q.input_zp));
  int weights[8], biases[4];
  for (int tg = 0; tg < 4; ++tg) {
    const int g = kTfliteGateToOurs[tg];
    QuantParams input_quant = QuantParams::per_tensor(q.weight_scale[g][0], 0);
    if (per_channel) {
      input_quant = QuantParams::per_channel(std::vector<float>(s.state_size, q.weight_scale[g][0]),
                                             std::vector<int64_t>(s.state_size, 0), 0);
    }
    weights[tg] = b.add_constant<int8_t>(DataType::kInt8, {s.state_size, s.input_size}, q.input_weights[g],
                                         input_quant);
    weights[4 + tg] =
        b.add_constant<int8_t>(DataType::kInt8, {s.state_size, s.state_size}, q.recurrent_weights[g],
                               QuantParams::per_tensor(q.weight_scale[g][1], 0));
    biases[tg] = b.add_constant<int32_t>(DataType::kInt32, {s.state_size}, q.bias[g],
                                         QuantParams::per_tensor(q.input_scale * q.weight_scale[g][0], 0));
  }
  const int hidden = b.add_variable(DataType::kInt8, {s.batch, s.state_size},
                                    QuantParams::per_tensor(q.hidden_scale, q.hidden_zp));
  const int cell =
      b.add_variable(DataType::kInt16, {s.batch, s.state_size}, QuantParams::per_tensor(q.cell_scale, 0));
  const int out =
      b.add_tensor(DataType::kInt8, output_shape(s), QuantParams::per_tensor(q.hidden_scale, q.hidden_zp));
  add_lstm_op(b, s, lstm_inputs(in, weights, biases, hidden, cell), out);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// The int8 LSTM against the float one on the dequantized weights and inputs. Differences come from the
// Q3.12 gate inputs, the table-based sigmoid / tanh (about 1e-4), the int16 cell state and, mostly, the
// int8 hidden state fed back at every step: the bound is 2 hidden-state steps (1/64 for scale 1/128).
void check_int8_tracks_float(const ModelSpec& s, float cell_scale, int32_t hidden_zp, uint32_t seed) {
  const FloatLstm original = FloatLstm::random(s.input_size, s.state_size, seed, 0.6f);
  const float hidden_scale = 1.0f / 128.0f;
  const QuantizedLstm q = quantize_lstm(original, 1.0f / 100.0f, -3, hidden_scale, hidden_zp, cell_scale);
  const FloatLstm l = dequantize_lstm(q, s.input_size, s.state_size);

  ModelSession session;
  const Status status = session.open(int8_lstm_model(s, q), kKernels);
  ASSERT_TRUE(status.is_ok()) << status.message();
  const int n_in = s.batch * s.time * s.input_size;
  const auto input_q = testing::quantize_values<int8_t>(testing::lcg_floats(n_in, -1, 1, seed + 1000),
                                                        q.input_scale, q.input_zp);
  const auto input_d = testing::dequantize_values(input_q, q.input_scale, q.input_zp);
  session.set_input(0, input_q);
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  const auto got = testing::dequantize_values(session.output<int8_t>(0), hidden_scale, hidden_zp);

  // The quantized hidden state starts at its zero point (real 0), as TFLM initializes int8 state.
  const NaiveLstm naive{l, s.cell_clip};
  float max_error = 0.0f;
  for (int b = 0; b < s.batch; ++b) {
    std::vector<float> h(s.state_size, 0.0f), c(s.state_size, 0.0f);
    for (int t = 0; t < s.time; ++t) {
      const int row = s.time_major ? t * s.batch + b : b * s.time + t;
      naive.step(&input_d[row * s.input_size], h.data(), c.data());
      for (int u = 0; u < s.state_size; ++u) {
        const float error = std::fabs(got[row * s.state_size + u] - h[u]);
        max_error = std::fmax(max_error, error);
        EXPECT_LE(error, 2.0f * hidden_scale) << "batch " << b << " step " << t << " unit " << u;
      }
    }
  }
  ::testing::Test::RecordProperty("max_error_in_hidden_steps", std::to_string(max_error / hidden_scale));
}

TEST(LstmKernel, Int8TracksFloat) {
  ModelSpec s;
  s.batch = 1;
  s.time = 12;
  s.input_size = 6;
  s.state_size = 5;
  s.cell_clip = 10.0f;
  check_int8_tracks_float(s, 1.0f / 4096.0f, 0, 1);
  check_int8_tracks_float(s, 1.0f / 2048.0f, -1, 2);
  s.batch = 3;
  s.time = 4;
  check_int8_tracks_float(s, 1.0f / 32768.0f, 5, 3);
  s.time_major = true;
  check_int8_tracks_float(s, 1.0f / 4096.0f, 2, 4);
}

// dtln_noise_suppression's second layer: int8 hidden state with a non-zero zero point (-4) and an int16 cell
// state. TFLM starts the hidden state (and restarts it on reset) at the zero point's byte, i.e. real 0; a
// state starting at raw 0 (real 4 * scale) made 82 of 128 hidden values depart, by up to 17.
TEST(LstmKernel, Int8HiddenStateStartsAtItsZeroPoint) {
  ModelSpec s;
  s.time = 3;
  s.input_size = 4;
  s.state_size = 6;
  const FloatLstm original = FloatLstm::random(4, 6, 31, 0.8f);
  const QuantizedLstm q = quantize_lstm(original, 1.0f / 100.0f, 0, 1.0f / 128.0f, -4, 1.0f / 4096.0f);
  ModelSession session;
  ASSERT_TRUE(session.open(int8_lstm_model(s, q), kKernels).is_ok());
  const int hidden_index = session.interpreter().model().op(0)->inputs()->Get(18);
  const int cell_index = session.interpreter().model().op(0)->inputs()->Get(19);
  auto expect_initial_state = [&](const char* when) {
    EXPECT_EQ(session.tensor<int8_t>(hidden_index), std::vector<int8_t>(6, -4)) << when;
    EXPECT_EQ(session.tensor<int16_t>(cell_index), std::vector<int16_t>(6, 0)) << when;
  };
  expect_initial_state("after allocate");
  // A zero input from real-zero state: every gate sees only its bias, so the first step is the float
  // LSTM's first step from h = c = 0 (within the int8 hidden-state step).
  session.set_input(0, std::vector<int8_t>(12, 0));
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  const auto first = session.output<int8_t>(0);
  const FloatLstm l = dequantize_lstm(q, 4, 6);
  std::vector<float> h(6, 0.0f), c(6, 0.0f);
  const std::vector<float> zero_input(4, 0.0f);
  NaiveLstm{l, 0.0f}.step(zero_input.data(), h.data(), c.data());
  for (int u = 0; u < 6; ++u) {
    EXPECT_NEAR((first[u] + 4) / 128.0f, h[u], 2.0f / 128.0f) << "unit " << u;
  }
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  expect_initial_state("after reset_state");
  session.set_input(0, std::vector<int8_t>(12, 0));
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  EXPECT_EQ(session.output<int8_t>(0), first) << "reset_state must restore the state allocate() gave";
}

TEST(LstmKernel, Int8CellClipSaturatesTheCellState) {
  // A cell clip of 0.25 with cell scale 2^-12 is 1024 in the int16 cell state.
  ModelSpec s;
  s.time = 10;
  s.input_size = 3;
  s.state_size = 4;
  s.cell_clip = 0.25f;
  const FloatLstm original = FloatLstm::random(3, 4, 77, 1.0f);
  const QuantizedLstm q = quantize_lstm(original, 1.0f / 100.0f, 0, 1.0f / 128.0f, 0, 1.0f / 4096.0f);
  ModelSession session;
  ASSERT_TRUE(session.open(int8_lstm_model(s, q), kKernels).is_ok());
  session.set_input(0, testing::quantize_values<int8_t>(testing::lcg_floats(30, 0.5f, 1, 8), 0.01f, 0));
  ASSERT_TRUE(session.interpreter().invoke().is_ok());
  // The cell state is operand 19.
  const int cell_index = session.interpreter().model().op(0)->inputs()->Get(19);
  bool reached = false;
  for (int16_t c : session.tensor<int16_t>(cell_index)) {
    EXPECT_LE(std::abs(c), 1024);
    reached = reached || std::abs(c) == 1024;
  }
  EXPECT_TRUE(reached);
}

// ---- Validation ----

Status prepare_status(const std::vector<uint8_t>& model) {
  return testing::allocate_status(model, kKernels);
}

void expect_prepare_error(const std::vector<uint8_t>& model, StatusCode code, const char* text) {
  testing::expect_error(prepare_status(model), code, text);
}

// A float LSTM whose operands the tests change one at a time.
struct Parts {
  ModelSpec spec{2, 3, 4, 5, false, 0.0f};
  std::vector<int32_t> hidden_shape = {2, 5}, cell_shape = {2, 5}, output_shape = {2, 3, 5};
  std::vector<int32_t> forget_weights_shape = {5, 4}, recurrent_cell_shape = {5, 5}, output_bias_shape = {5};
  DataType cell_type = DataType::kFloat32;
  bool omit_input_gate = false, add_peephole = false, add_projection = false, add_layer_norm = false;
  int extra_inputs = 0;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::TANH;
};

std::vector<uint8_t> build(const Parts& p) {
  ModelBuilder b;
  b.set_checks(false);
  const ModelSpec& s = p.spec;
  auto constant = [&](std::vector<int32_t> shape) {
    size_t n = 1;
    for (int32_t d : shape) n *= static_cast<size_t>(d);
    return b.add_constant<float>(DataType::kFloat32, shape, std::vector<float>(n, 0.25f));
  };
  const int in = b.add_tensor(DataType::kFloat32, input_shape(s));
  int weights[8], biases[4];
  for (int g = 0; g < 4; ++g) {
    weights[g] = constant(g == 1 ? p.forget_weights_shape : std::vector<int32_t>{s.state_size, s.input_size});
    weights[4 + g] =
        constant(g == 2 ? p.recurrent_cell_shape : std::vector<int32_t>{s.state_size, s.state_size});
    biases[g] = constant(g == 3 ? p.output_bias_shape : std::vector<int32_t>{s.state_size});
  }
  const int hidden = b.add_variable(DataType::kFloat32, p.hidden_shape);
  const int cell = b.add_variable(p.cell_type, p.cell_shape);
  const int out = b.add_tensor(DataType::kFloat32, p.output_shape);
  std::vector<int> inputs = lstm_inputs(in, weights, biases, hidden, cell);
  if (p.omit_input_gate) inputs[1] = inputs[5] = inputs[12] = -1;
  if (p.add_peephole) inputs[10] = constant({s.state_size});
  if (p.add_projection) inputs[16] = constant({s.state_size, s.state_size});
  if (p.add_layer_norm) inputs[21] = constant({s.state_size});
  for (int i = 0; i < p.extra_inputs; ++i) inputs.push_back(-1);
  add_lstm_op(b, s, std::move(inputs), out, p.activation);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(LstmKernel, ValidModelPrepares) {
  const Status status = prepare_status(build(Parts{}));
  EXPECT_TRUE(status.is_ok()) << status.message();
}

TEST(LstmKernel, RejectsMalformedOrUnsupportedModels) {
  auto with = [](auto change) {
    Parts p;
    change(p);
    return build(p);
  };
  expect_prepare_error(with([](Parts& p) { p.extra_inputs = 1; }), StatusCode::kInvalidModel,
                       "needs 24 inputs");
  expect_prepare_error(with([](Parts& p) { p.omit_input_gate = true; }), StatusCode::kUnsupported, "CIFG");
  expect_prepare_error(with([](Parts& p) { p.add_peephole = true; }), StatusCode::kUnsupported, "peephole");
  expect_prepare_error(with([](Parts& p) { p.add_projection = true; }), StatusCode::kUnsupported,
                       "projection");
  expect_prepare_error(with([](Parts& p) { p.add_layer_norm = true; }), StatusCode::kUnsupported,
                       "layer-norm");
  expect_prepare_error(with([](Parts& p) {
                         p.forget_weights_shape = {5, 3};
                       }),
                       StatusCode::kInvalidModel, "input_to_forget_weights has shape [5,3], expected [5,4]");
  expect_prepare_error(with([](Parts& p) {
                         p.recurrent_cell_shape = {5, 4};
                       }),
                       StatusCode::kInvalidModel,
                       "recurrent_to_cell_weights has shape [5,4], expected [5,5]");
  expect_prepare_error(with([](Parts& p) { p.output_bias_shape = {4}; }), StatusCode::kInvalidModel,
                       "output_gate_bias must have shape [5]");
  expect_prepare_error(with([](Parts& p) {
                         p.cell_shape = {2, 4};
                       }),
                       StatusCode::kInvalidModel, "cell_state");
  expect_prepare_error(with([](Parts& p) { p.hidden_shape = {10}; }), StatusCode::kInvalidModel,
                       "output_state must have rank 2");
  expect_prepare_error(with([](Parts& p) {
                         p.output_shape = {2, 3, 4};
                       }),
                       StatusCode::kInvalidModel, "output has shape [2,3,4], expected [2,3,5]");
  expect_prepare_error(with([](Parts& p) { p.cell_type = DataType::kInt16; }), StatusCode::kUnsupported,
                       "cell_state");
  expect_prepare_error(with([](Parts& p) { p.activation = tflite::ActivationFunctionType::RELU; }),
                       StatusCode::kUnsupported, "TANH only");
}

TEST(LstmKernel, RejectsPerChannelWeights) {
  ModelSpec s;
  s.input_size = 2;
  s.state_size = 2;
  const QuantizedLstm q =
      quantize_lstm(FloatLstm::random(2, 2, 5), 0.01f, 0, 1.0f / 128.0f, 0, 1.0f / 4096.0f);
  expect_prepare_error(int8_lstm_model(s, q, /*per_channel=*/true), StatusCode::kUnsupported, "per-tensor");
}

}  // namespace
}  // namespace edgeinfer::reference
