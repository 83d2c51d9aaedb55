#include "kernels/reference/signal/rfft.h"

#include <gtest/gtest.h>

#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using reference::signal::Complex;
using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::rfft();
}

std::vector<uint8_t> fft_options(int32_t fft_length, DataType type) {
  return options([&](flexbuffers::Builder& b) {
    b.Int("T", static_cast<int>(type));
    b.Int("fft_length", fft_length);
  });
}

std::vector<uint8_t> rfft_model(DataType type, const std::vector<int32_t>& in_shape, int32_t fft_length) {
  std::vector<int32_t> out_shape = in_shape;
  out_shape.back() = (fft_length / 2 + 1) * 2;
  return custom_op_model("SignalRfft", {tensor(type, in_shape)}, {tensor(type, out_shape)},
                         fft_options(fft_length, type));
}

template <class T>
std::vector<T> run_rfft(DataType type, const std::vector<int32_t>& in_shape, int32_t fft_length,
                        const std::vector<T>& input) {
  const auto outputs = signal_test::run_once(rfft_model(type, in_shape, fft_length), "SignalRfft", kernel(),
                                             {bytes_of(input)});
  return outputs.empty() ? std::vector<T>{} : values_of<T>(outputs[0]);
}

// TFLM's fft_test: an impulse of 16384 in 64 samples has a flat spectrum, scaled by 1 / 64 for integers.
TEST(SignalRfft, ImpulseGivesFlatSpectrum) {
  std::vector<int16_t> in16(64, 0);
  in16[0] = 16384;
  std::vector<int16_t> flat16(66);
  for (size_t i = 0; i < flat16.size(); i += 2) flat16[i] = 256;
  EXPECT_EQ(run_rfft<int16_t>(DataType::kInt16, {1, 64}, 64, in16), flat16);

  std::vector<int32_t> in32(64, 0);
  in32[0] = 16384;
  std::vector<int32_t> flat32(66);
  for (size_t i = 0; i < flat32.size(); i += 2) flat32[i] = 256;
  EXPECT_EQ(run_rfft<int32_t>(DataType::kInt32, {1, 64}, 64, in32), flat32);

  std::vector<float> inf(64, 0.0f);
  inf[0] = 16384.0f;
  const std::vector<float> out = run_rfft<float>(DataType::kFloat32, {1, 64}, 64, inf);
  ASSERT_EQ(out.size(), 66u);
  for (size_t i = 0; i < out.size(); i += 2) {
    EXPECT_EQ(out[i], 16384.0f) << i;
    EXPECT_EQ(out[i + 1], 0.0f) << i;
  }
}

// TFLM's outer-dimension test: every row of a [2, 2, 64] input is transformed on its own.
TEST(SignalRfft, TransformsEveryRow) {
  std::vector<int32_t> in(4 * 64, 0);
  for (int row = 0; row < 4; ++row) in[row * 64] = 16384;
  std::vector<int32_t> expected(4 * 66, 0);
  for (size_t i = 0; i < expected.size(); i += 2) expected[i] = 256;
  EXPECT_EQ(run_rfft<int32_t>(DataType::kInt32, {2, 2, 64}, 64, in), expected);

  // Rows differ: a delayed impulse turns the spectrum (row 1: impulse at 16 of 64 -> bins (-i)^k).
  std::vector<float> rows(2 * 64, 0.0f);
  rows[0] = 1.0f;
  rows[64 + 16] = 1.0f;
  const std::vector<float> out = run_rfft<float>(DataType::kFloat32, {2, 64}, 64, rows);
  ASSERT_EQ(out.size(), 2u * 66);
  const float expected_row1[4][2] = {{1, 0}, {0, -1}, {-1, 0}, {0, 1}};
  for (int k = 0; k < 33; ++k) {
    EXPECT_NEAR(out[2 * k], 1.0f, 1e-6) << k;
    EXPECT_NEAR(out[66 + 2 * k], expected_row1[k % 4][0], 1e-6) << k;
    EXPECT_NEAR(out[66 + 2 * k + 1], expected_row1[k % 4][1], 1e-6) << k;
  }
}

// By hand: [1000, 2000, 3000, 4000] has DFT 10000, -2000 + 2000i, -2000 (integers divided by 4).
TEST(SignalRfft, SmallTransformByHand) {
  const std::vector<int16_t> expected16 = {2500, 0, -500, 500, -500, 0};
  EXPECT_EQ(run_rfft<int16_t>(DataType::kInt16, {4}, 4, {1000, 2000, 3000, 4000}), expected16);
  const std::vector<int32_t> expected32 = {2500, 0, -500, 500, -500, 0};
  EXPECT_EQ(run_rfft<int32_t>(DataType::kInt32, {4}, 4, {1000, 2000, 3000, 4000}), expected32);
  const std::vector<float> expectedf = {10, 0, -2, 2, -2, 0};
  EXPECT_EQ(run_rfft<float>(DataType::kFloat32, {1, 4}, 4, {1, 2, 3, 4}), expectedf);
  // A short row is zero-padded: [1, 1] in a length 4 transform is 2, 1 - i, 0.
  const std::vector<float> padded = {2, 0, 1, -1, 0, 0};
  EXPECT_EQ(run_rfft<float>(DataType::kFloat32, {1, 2}, 4, {1, 1}), padded);
}

// FNV-1a fingerprints of what TFLM's own Rfft (kissfft v130 with TFLM's patch, host build) outputs for LCG
// inputs (lcg_values<T>(input_length, 7), zero-padded to fft_length).
struct Fingerprint {
  DataType type;
  int32_t fft_length;
  int32_t input_length;
  uint64_t hash;
};

const Fingerprint kTflmRfft[] = {
    {DataType::kInt16, 4, 4, 0x44c5c1b05e144b0cull},
    {DataType::kInt32, 4, 4, 0x584f5b69906f1ba2ull},
    {DataType::kFloat32, 4, 4, 0xa95f38106ed327b7ull},
    {DataType::kInt16, 8, 8, 0xbaf1e1afc8a70da4ull},
    {DataType::kInt32, 8, 8, 0x40b7afdc36b14235ull},
    {DataType::kFloat32, 8, 8, 0xa56f44f1d1871eaeull},
    {DataType::kInt16, 64, 64, 0xe6e12c9c7aa4623dull},
    {DataType::kInt32, 64, 64, 0x9c5de710b0a25fdcull},
    {DataType::kFloat32, 64, 64, 0x5568ca0b66589e07ull},
    {DataType::kInt16, 512, 512, 0x3d6fff720eed67f2ull},
    {DataType::kInt32, 512, 512, 0xbb243648bb5878d3ull},
    {DataType::kFloat32, 512, 512, 0x5b79832939b8a795ull},
    {DataType::kInt16, 4096, 4096, 0x882c8e3c4f4940dcull},
    {DataType::kInt32, 4096, 4096, 0xbf75bc91e5054c39ull},
    {DataType::kFloat32, 4096, 4096, 0x27e3746ce9d27bc0ull},
    {DataType::kInt16, 512, 480, 0xa7f4907548121128ull},
    {DataType::kInt32, 512, 400, 0x113a3c000abf2347ull},
    {DataType::kFloat32, 256, 200, 0x3654ebe11f0b7013ull},
};

template <class T>
uint64_t rfft_fingerprint(const Fingerprint& f) {
  const std::vector<T> out =
      run_rfft<T>(f.type, {1, f.input_length}, f.fft_length, lcg_values<T>(f.input_length, 7));
  EXPECT_EQ(out.size(), static_cast<size_t>(f.fft_length + 2));
  return signal_test::fnv1a(out.data(), out.size() * sizeof(T));
}

TEST(SignalRfft, MatchesTflmOutputsBitForBit) {
  for (const Fingerprint& f : kTflmRfft) {
    uint64_t hash = 0;
    if (f.type == DataType::kInt16) hash = rfft_fingerprint<int16_t>(f);
    if (f.type == DataType::kInt32) hash = rfft_fingerprint<int32_t>(f);
    if (f.type == DataType::kFloat32) hash = rfft_fingerprint<float>(f);
    EXPECT_EQ(hash, f.hash) << data_type_name(f.type) << " fft_length " << f.fft_length << " input "
                            << f.input_length;
  }
}

// The audio preprocessors' int16 Rfft (fft_length 512 over 480 auto-scaled samples) against TFLM's tensors.
TEST(SignalRfft, MatchesTflmGoldenTensors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_int8", "SignalRfft", kernel()), 1);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_float", "SignalRfft", kernel()), 1);
}

TEST(SignalRfft, RejectsBadModels) {
  const auto status = [](const std::vector<uint8_t>& model) {
    return signal_test::allocate_status(model, "SignalRfft", kernel());
  };
  const auto model = [](DataType in_type, std::vector<int32_t> in_shape, DataType out_type,
                        std::vector<int32_t> out_shape, std::vector<uint8_t> opts) {
    return custom_op_model("SignalRfft", {tensor(in_type, in_shape)}, {tensor(out_type, out_shape)}, opts);
  };
  const DataType i16 = DataType::kInt16;
  EXPECT_TRUE(status(model(i16, {480}, i16, {514}, fft_options(512, i16))).is_ok());
  expect_error(status(model(i16, {480}, i16, {482}, fft_options(480, i16))), StatusCode::kUnsupported,
               "fft_length 480 is not a power of two");
  expect_error(status(model(i16, {2}, i16, {4}, fft_options(2, i16))), StatusCode::kUnsupported,
               "fft_length 2");
  expect_error(status(model(i16, {4}, i16, {4}, fft_options(0, i16))), StatusCode::kUnsupported,
               "fft_length 0");
  expect_error(status(model(i16, {4}, i16, {4}, fft_options(-512, i16))), StatusCode::kUnsupported,
               "fft_length -512");
  expect_error(status(model(i16, {480}, i16, {514}, options([](auto& b) { b.Int("T", 7); }))),
               StatusCode::kInvalidModel, "fft_length");
  expect_error(status(model(i16, {480}, i16, {514}, {})), StatusCode::kInvalidModel, "");
  expect_error(status(model(i16, {480}, i16, {514}, fft_options(512, DataType::kInt32))),
               StatusCode::kInvalidModel, "option T");
  expect_error(status(model(i16, {480}, i16, {512}, fft_options(512, i16))), StatusCode::kInvalidModel,
               "output has shape [512], expected [514]");
  expect_error(status(model(i16, {2, 480}, i16, {514}, fft_options(512, i16))), StatusCode::kInvalidModel,
               "expected [2,514]");
  expect_error(status(model(i16, {600}, i16, {514}, fft_options(512, i16))), StatusCode::kInvalidModel,
               "600 samples");
  expect_error(status(model(i16, {0}, i16, {514}, fft_options(512, i16))), StatusCode::kInvalidModel,
               "0 samples");
  expect_error(
      status(model(DataType::kInt8, {480}, DataType::kInt8, {514}, fft_options(512, DataType::kInt8))),
      StatusCode::kUnsupported, "input has unsupported type int8");
  expect_error(status(model(i16, {480}, DataType::kInt32, {514}, fft_options(512, i16))),
               StatusCode::kInvalidModel, "output has type int32");
}

}  // namespace
}  // namespace edgeinfer::testing
