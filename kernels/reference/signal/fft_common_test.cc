#include "kernels/reference/signal/fft_common.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgeinfer::reference::signal {
namespace {

TEST(SignalFftCommon, AcceptsPowersOfTwoFromFour) {
  EXPECT_TRUE(is_supported_fft_length(4));
  EXPECT_TRUE(is_supported_fft_length(512));
  EXPECT_TRUE(is_supported_fft_length(kMaxFftLength));
  EXPECT_FALSE(is_supported_fft_length(2));  // kissfft would need its heap-using generic butterfly
  EXPECT_FALSE(is_supported_fft_length(0));
  EXPECT_FALSE(is_supported_fft_length(-512));
  EXPECT_FALSE(is_supported_fft_length(480));
  EXPECT_FALSE(is_supported_fft_length(kMaxFftLength * 2));
}

// kissfft factors the complex length (fft_length / 2) into fours, then a two.
TEST(SignalFftCommon, FactorsLikeKissfft) {
  struct Case {
    int32_t fft_length;
    std::vector<int32_t> radix;
    std::vector<int32_t> stride;
  };
  const std::vector<Case> cases = {
      {4, {2}, {1}},
      {8, {4}, {1}},
      {16, {4, 2}, {2, 1}},
      {64, {4, 4, 2}, {8, 2, 1}},
      {512, {4, 4, 4, 4}, {64, 16, 4, 1}},
  };
  for (const Case& c : cases) {
    std::vector<Complex<float>> tables(real_fft_table_entries(c.fft_length));
    RealFftPlan<float> plan;
    init_real_fft_plan(c.fft_length, false, tables.data(), &plan);
    ASSERT_EQ(plan.num_stages, static_cast<int32_t>(c.radix.size())) << c.fft_length;
    for (int s = 0; s < plan.num_stages; ++s) {
      EXPECT_EQ(plan.radix[s], c.radix[s]) << c.fft_length << " stage " << s;
      EXPECT_EQ(plan.stride[s], c.stride[s]) << c.fft_length << " stage " << s;
    }
  }
}

// Twiddles of a length 8 real FFT (4 complex points), by hand: floor(0.5 + 32767 * cos/sin of -2 pi i / 4),
// so cos(-pi / 2) = 6e-17 rounds to 0; super twiddles at -pi (i / 4 + 1 / 2 + 1 / 4): cos(-3 pi / 4) =
// -0.70711 -> floor(0.5 - 23169.77) = -23170.
TEST(SignalFftCommon, Int16TwiddlesRoundAsKissfft) {
  std::vector<Complex<int16_t>> tables(real_fft_table_entries(8));
  ASSERT_EQ(tables.size(), 6u);
  RealFftPlan<int16_t> plan;
  init_real_fft_plan(8, false, tables.data(), &plan);
  const int16_t expected[][2] = {{32767, 0}, {0, -32767},      {-32767, 0},
                                 {0, 32767}, {-23170, -23170}, {-32767, 0}};
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(tables[i].real, expected[i][0]) << i;
    EXPECT_EQ(tables[i].imag, expected[i][1]) << i;
  }
  // The inverse negates the phases: imaginary parts flip.
  RealFftPlan<int16_t> inverse;
  init_real_fft_plan(8, true, tables.data(), &inverse);
  EXPECT_TRUE(inverse.inverse);
  const int16_t expected_inverse[][2] = {{32767, 0},  {0, 32767},      {-32767, 0},
                                         {0, -32767}, {-23170, 23170}, {-32767, 0}};
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(tables[i].real, expected_inverse[i][0]) << i;
    EXPECT_EQ(tables[i].imag, expected_inverse[i][1]) << i;
  }
}

TEST(SignalFftCommon, Int32AndFloatTwiddles) {
  std::vector<Complex<int32_t>> fixed(real_fft_table_entries(8));
  RealFftPlan<int32_t> fixed_plan;
  init_real_fft_plan(8, false, fixed.data(), &fixed_plan);
  EXPECT_EQ(fixed[0].real, 2147483647);
  EXPECT_EQ(fixed[1].imag, -2147483647);
  EXPECT_EQ(fixed[4].real, -1518500249);  // floor(0.5 - 1518500249.27)
  std::vector<Complex<float>> floats(real_fft_table_entries(8));
  RealFftPlan<float> float_plan;
  init_real_fft_plan(8, false, floats.data(), &float_plan);
  EXPECT_EQ(floats[0].real, 1.0f);
  EXPECT_EQ(floats[2].real, -1.0f);
  EXPECT_EQ(floats[4].real, static_cast<float>(-0.70710678118654757));
}

// A length 4 transform by hand: [1000, 2000, 3000, 4000] has DFT 10000, -2000 + 2000i, -2000; integer
// transforms divide by the length, and the inverse brings back the input divided by the length.
TEST(SignalFftCommon, ForwardAndInverseByHand) {
  std::vector<Complex<int16_t>> ft(real_fft_table_entries(4));
  std::vector<Complex<int16_t>> it(real_fft_table_entries(4));
  RealFftPlan<int16_t> forward;
  RealFftPlan<int16_t> inverse;
  init_real_fft_plan(4, false, ft.data(), &forward);
  init_real_fft_plan(4, true, it.data(), &inverse);
  const Complex<int16_t> samples[2] = {{1000, 2000}, {3000, 4000}};
  Complex<int16_t> spectrum[3];
  Complex<int16_t> work[2];
  real_fft_forward(forward, samples, spectrum, work);
  EXPECT_EQ(spectrum[0].real, 2500);
  EXPECT_EQ(spectrum[0].imag, 0);
  EXPECT_EQ(spectrum[1].real, -500);
  EXPECT_EQ(spectrum[1].imag, 500);
  EXPECT_EQ(spectrum[2].real, -500);
  EXPECT_EQ(spectrum[2].imag, 0);
  Complex<int16_t> back[2];
  real_fft_inverse(inverse, spectrum, back, work);
  EXPECT_EQ(back[0].real, 250);
  EXPECT_EQ(back[0].imag, 500);
  EXPECT_EQ(back[1].real, 750);
  EXPECT_EQ(back[1].imag, 1000);

  // Float: unscaled forward, inverse times the length (kissfft does not normalize).
  std::vector<Complex<float>> fft_tables(real_fft_table_entries(4));
  std::vector<Complex<float>> ift_tables(real_fft_table_entries(4));
  RealFftPlan<float> ffwd;
  RealFftPlan<float> finv;
  init_real_fft_plan(4, false, fft_tables.data(), &ffwd);
  init_real_fft_plan(4, true, ift_tables.data(), &finv);
  const Complex<float> fsamples[2] = {{1, 2}, {3, 4}};
  Complex<float> fspectrum[3];
  Complex<float> fwork[2];
  real_fft_forward(ffwd, fsamples, fspectrum, fwork);
  EXPECT_EQ(fspectrum[0].real, 10.0f);
  EXPECT_EQ(fspectrum[1].real, -2.0f);
  EXPECT_EQ(fspectrum[1].imag, 2.0f);
  EXPECT_EQ(fspectrum[2].real, -2.0f);
  Complex<float> fback[2];
  real_fft_inverse(finv, fspectrum, fback, fwork);
  EXPECT_EQ(fback[0].real, 4.0f);
  EXPECT_EQ(fback[0].imag, 8.0f);
  EXPECT_EQ(fback[1].real, 12.0f);
  EXPECT_EQ(fback[1].imag, 16.0f);
}

// Fixed point sums wrap as in kissfft instead of saturating: a full-scale alternating signal in int16.
TEST(SignalFftCommon, FullScaleInt16DoesNotTrap) {
  std::vector<Complex<int16_t>> tables(real_fft_table_entries(16));
  RealFftPlan<int16_t> plan;
  init_real_fft_plan(16, false, tables.data(), &plan);
  std::vector<Complex<int16_t>> in(8, Complex<int16_t>{-32768, 32767});
  std::vector<Complex<int16_t>> out(9);
  std::vector<Complex<int16_t>> work(8);
  real_fft_forward(plan, in.data(), out.data(), work.data());
  // Mean -0.5 and Nyquist bin -32767.5 (spectrum / 16); every stage's rounded division by its radix loses a
  // little, so kissfft (TFLM) gives 0 and -32762, and 0 in all other bins.
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(out[k].real, 0) << k;
    EXPECT_EQ(out[k].imag, 0) << k;
  }
  EXPECT_EQ(out[8].real, -32762);
  EXPECT_EQ(out[8].imag, 0);
}

}  // namespace
}  // namespace edgeinfer::reference::signal
