#include "kernels/reference/signal/irfft.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::irfft();
}

std::vector<uint8_t> fft_options(int32_t fft_length, DataType type) {
  return options([&](flexbuffers::Builder& b) {
    b.Int("T", static_cast<int>(type));
    b.Int("fft_length", fft_length);
  });
}

std::vector<uint8_t> irfft_model(DataType type, const std::vector<int32_t>& out_shape, int32_t fft_length) {
  std::vector<int32_t> in_shape = out_shape;
  in_shape.back() = (fft_length / 2 + 1) * 2;
  return custom_op_model("SignalIrfft", {tensor(type, in_shape)}, {tensor(type, out_shape)},
                         fft_options(fft_length, type));
}

template <class T>
std::vector<T> run_irfft(DataType type, const std::vector<int32_t>& out_shape, int32_t fft_length,
                         const std::vector<T>& input) {
  const auto outputs = signal_test::run_once(irfft_model(type, out_shape, fft_length), "SignalIrfft",
                                             kernel(), {bytes_of(input)});
  return outputs.empty() ? std::vector<T>{} : values_of<T>(outputs[0]);
}

// TFLM's fft_test: a flat spectrum of 256 is an impulse of 256 (normalized inverse) in every type.
template <class T>
void expect_impulse(DataType type) {
  std::vector<T> flat(66, T(0));
  for (size_t i = 0; i < flat.size(); i += 2) flat[i] = T(256);
  std::vector<T> impulse(64, T(0));
  impulse[0] = T(256);
  EXPECT_EQ(run_irfft<T>(type, {1, 64}, 64, flat), impulse) << data_type_name(type);
}

TEST(SignalIrfft, FlatSpectrumGivesImpulse) {
  expect_impulse<int16_t>(DataType::kInt16);
  expect_impulse<int32_t>(DataType::kInt32);
  expect_impulse<float>(DataType::kFloat32);
}

// TFLM's outer-dimension test: [2, 2, 66] spectra give [2, 2, 64] signals.
TEST(SignalIrfft, TransformsEveryRow) {
  std::vector<int32_t> flat(4 * 66, 0);
  for (size_t i = 0; i < flat.size(); i += 2) flat[i] = 256;
  std::vector<int32_t> expected(4 * 64, 0);
  for (int row = 0; row < 4; ++row) expected[row * 64] = 256;
  EXPECT_EQ(run_irfft<int32_t>(DataType::kInt32, {2, 2, 64}, 64, flat), expected);
}

// By hand: the spectrum 10000, -2000 + 2000i, -2000 of [1000, 2000, 3000, 4000], divided by 4 as Rfft gives
// it in integers, comes back as the signal divided by 4; in float, the spectrum of [1, 2, 3, 4] gives it
// back.
TEST(SignalIrfft, SmallTransformByHand) {
  const std::vector<int16_t> expected16 = {250, 500, 750, 1000};
  EXPECT_EQ(run_irfft<int16_t>(DataType::kInt16, {4}, 4, {2500, 0, -500, 500, -500, 0}), expected16);
  const std::vector<int32_t> expected32 = {250, 500, 750, 1000};
  EXPECT_EQ(run_irfft<int32_t>(DataType::kInt32, {4}, 4, {2500, 0, -500, 500, -500, 0}), expected32);
  const std::vector<float> expectedf = {1, 2, 3, 4};
  EXPECT_EQ(run_irfft<float>(DataType::kFloat32, {1, 4}, 4, {10, 0, -2, 2, -2, 0}), expectedf);
}

// FNV-1a fingerprints of what TFLM's own Irfft (kissfft v130 with TFLM's patch, host build) outputs for LCG
// spectra (lcg_values<T>(fft_length + 2, 11)).
struct Fingerprint {
  DataType type;
  int32_t fft_length;
  uint64_t hash;
};

const Fingerprint kTflmIrfft[] = {
    {DataType::kInt16, 4, 0x275b0241fa8b8184ull},      {DataType::kInt32, 4, 0x92330c29c4e49351ull},
    {DataType::kFloat32, 4, 0x6029ccceca2e3ee7ull},    {DataType::kInt16, 8, 0xfc9c5a8e36a5824cull},
    {DataType::kInt32, 8, 0xeeaef8c9716f9977ull},      {DataType::kFloat32, 8, 0x7e273025f69ee478ull},
    {DataType::kInt16, 64, 0xa2f7742c5ab120f3ull},     {DataType::kInt32, 64, 0x39f0ceb11592f03bull},
    {DataType::kFloat32, 64, 0xa8ae9ed98b242075ull},   {DataType::kInt16, 512, 0x4247d6c85b953f26ull},
    {DataType::kInt32, 512, 0xcb2a58f52472b188ull},    {DataType::kFloat32, 512, 0xfc45da02bb69ea00ull},
    {DataType::kInt16, 4096, 0xc517c2a1ea90847cull},   {DataType::kInt32, 4096, 0x8d3828846450813eull},
    {DataType::kFloat32, 4096, 0xc53f9b2b43529799ull},
};

template <class T>
uint64_t irfft_fingerprint(const Fingerprint& f) {
  const std::vector<T> out =
      run_irfft<T>(f.type, {1, f.fft_length}, f.fft_length, lcg_values<T>(f.fft_length + 2, 11));
  EXPECT_EQ(out.size(), static_cast<size_t>(f.fft_length));
  return signal_test::fnv1a(out.data(), out.size() * sizeof(T));
}

TEST(SignalIrfft, MatchesTflmOutputsBitForBit) {
  for (const Fingerprint& f : kTflmIrfft) {
    uint64_t hash = 0;
    if (f.type == DataType::kInt16) hash = irfft_fingerprint<int16_t>(f);
    if (f.type == DataType::kInt32) hash = irfft_fingerprint<int32_t>(f);
    if (f.type == DataType::kFloat32) hash = irfft_fingerprint<float>(f);
    EXPECT_EQ(hash, f.hash) << data_type_name(f.type) << " fft_length " << f.fft_length;
  }
}

// Rfft then Irfft in one model. Float comes back as the input (up to rounding); integers come back divided
// by fft_length (both integer transforms normalize), up to a few units of rounding.
std::vector<uint8_t> round_trip_model(DataType type, int32_t rows, int32_t fft_length) {
  compiler::ModelBuilder b;
  const int in = b.add_tensor(type, {rows, fft_length});
  const int spectrum = b.add_tensor(type, {rows, fft_length + 2});
  const int out = b.add_tensor(type, {rows, fft_length});
  b.add_custom_op("SignalRfft", {in}, {spectrum}, fft_options(fft_length, type));
  b.add_custom_op("SignalIrfft", {spectrum}, {out}, fft_options(fft_length, type));
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

template <class T>
std::vector<T> round_trip(DataType type, int32_t rows, int32_t fft_length, const std::vector<T>& input) {
  signal_test::Session session;
  const Status status =
      session.open(round_trip_model(type, rows, fft_length),
                   {{"SignalRfft", &reference::signal::rfft()}, {"SignalIrfft", &kernel()}});
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return {};
  session.set_input(0, input);
  EXPECT_TRUE(session.invoke().is_ok());
  return session.output<T>(0);
}

TEST(SignalIrfft, InvertsRfft) {
  const std::vector<float> xf = lcg_floats(3 * 256, -1.0f, 1.0f, 5);
  const std::vector<float> yf = round_trip<float>(DataType::kFloat32, 3, 256, xf);
  ASSERT_EQ(yf.size(), xf.size());
  for (size_t i = 0; i < xf.size(); ++i) EXPECT_NEAR(yf[i], xf[i], 1e-5) << i;

  // int32: 2^20-scale samples; each of the 2 x 4 stages rounds its division, a few units in all.
  std::vector<int32_t> x32 = lcg_values<int32_t>(2 * 64, 9);
  for (int32_t& v : x32) v >>= 11;
  const std::vector<int32_t> y32 = round_trip<int32_t>(DataType::kInt32, 2, 64, x32);
  ASSERT_EQ(y32.size(), x32.size());
  for (size_t i = 0; i < x32.size(); ++i) EXPECT_NEAR(y32[i], x32[i] / 64.0, 4.0) << i;

  // int16 at full scale: the result is the signal / 64, within the precision 16 bits leave.
  const std::vector<int16_t> x16 = lcg_values<int16_t>(64, 3);
  const std::vector<int16_t> y16 = round_trip<int16_t>(DataType::kInt16, 1, 64, x16);
  ASSERT_EQ(y16.size(), x16.size());
  for (size_t i = 0; i < x16.size(); ++i) EXPECT_NEAR(y16[i], x16[i] / 64.0, 3.0) << i;
}

TEST(SignalIrfft, RejectsBadModels) {
  const auto status = [](const std::vector<uint8_t>& model) {
    return signal_test::allocate_status(model, "SignalIrfft", kernel());
  };
  const auto model = [](DataType in_type, std::vector<int32_t> in_shape, DataType out_type,
                        std::vector<int32_t> out_shape, std::vector<uint8_t> opts) {
    return custom_op_model("SignalIrfft", {tensor(in_type, in_shape)}, {tensor(out_type, out_shape)}, opts);
  };
  const DataType f32 = DataType::kFloat32;
  EXPECT_TRUE(status(model(f32, {2, 514}, f32, {2, 512}, fft_options(512, f32))).is_ok());
  expect_error(status(model(f32, {482}, f32, {480}, fft_options(480, f32))), StatusCode::kUnsupported,
               "fft_length 480 is not a power of two");
  expect_error(status(model(f32, {4}, f32, {2}, fft_options(2, f32))), StatusCode::kUnsupported,
               "fft_length 2");
  expect_error(status(model(f32, {514}, f32, {512}, options([](auto& b) { b.Int("T", 0); }))),
               StatusCode::kInvalidModel, "fft_length");
  expect_error(status(model(f32, {514}, f32, {512}, fft_options(512, DataType::kInt16))),
               StatusCode::kInvalidModel, "option T");
  expect_error(status(model(f32, {512}, f32, {512}, fft_options(512, f32))), StatusCode::kInvalidModel,
               "input rows have 512 values, expected 514");
  expect_error(status(model(f32, {514}, f32, {480}, fft_options(512, f32))), StatusCode::kInvalidModel,
               "output has shape [480], expected [512]");
  expect_error(status(model(f32, {2, 514}, f32, {512}, fft_options(512, f32))), StatusCode::kInvalidModel,
               "expected [2,512]");
  expect_error(
      status(model(DataType::kUInt8, {514}, DataType::kUInt8, {512}, fft_options(512, DataType::kUInt8))),
      StatusCode::kUnsupported, "input has unsupported type uint8");
  expect_error(status(model(f32, {514}, DataType::kInt16, {512}, fft_options(512, f32))),
               StatusCode::kInvalidModel, "output has type int16");
}

}  // namespace
}  // namespace edgeinfer::testing
