#include "edge/vibration_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace edgeinfer::edge {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> sine(int n, double amplitude, double freq_hz, double fs, double offset = 0,
                        double phase = 0) {
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(offset + amplitude * std::sin(2 * kPi * freq_hz * i / fs + phase));
  return x;
}

std::vector<float> gaussian(int n, double sigma, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>(normal(rng));
  return x;
}

struct Extractor {
  explicit Extractor(const VibrationFeatureConfig& config)
      : workspace(VibrationFeatures::workspace_floats(config.fft_length)) {
    ok = features.init(config, workspace.data(), workspace.size());
  }
  std::vector<float> run(const std::vector<float>& planar) {
    std::vector<float> out(features.num_features());
    EXPECT_TRUE(features.compute(planar.data(), out.data(), static_cast<int32_t>(out.size())));
    return out;
  }
  std::vector<float> workspace;
  VibrationFeatures features;
  bool ok = false;
};

TEST(EdgeVibrationFeatures, SineStatistics) {
  // 64 whole cycles in 2048 samples (32 per cycle, so samples hit the crests), on a DC offset (gravity) that
  // must not leak into the AC statistics.
  const std::vector<float> x = sine(2048, 2.5, 32.0, 1024.0, 9.81);
  const AxisStatistics s = axis_statistics(x.data(), 2048);
  EXPECT_NEAR(s.mean, 9.81, 1e-4);
  EXPECT_NEAR(s.rms, 2.5 / std::sqrt(2.0), 1e-4);
  EXPECT_NEAR(s.peak, 2.5, 1e-4);
  EXPECT_NEAR(s.crest, std::sqrt(2.0), 1e-4);
  EXPECT_NEAR(s.kurtosis, 1.5, 1e-3);
}

TEST(EdgeVibrationFeatures, GaussianNoiseKurtosisIsThree) {
  const std::vector<float> x = gaussian(1 << 16, 0.7, 1234);
  const AxisStatistics s = axis_statistics(x.data(), static_cast<int32_t>(x.size()));
  EXPECT_NEAR(s.rms, 0.7, 0.01);
  EXPECT_NEAR(s.kurtosis, 3.0, 0.1);  // its standard error is sqrt(24 / N) = 0.019
}

TEST(EdgeVibrationFeatures, ConstantSignalHasZeroCrestAndKurtosis) {
  const std::vector<float> x(100, 4.0f);
  const AxisStatistics s = axis_statistics(x.data(), 100);
  EXPECT_EQ(s.mean, 4.0f);
  EXPECT_EQ(s.rms, 0.0f);
  EXPECT_EQ(s.peak, 0.0f);
  EXPECT_EQ(s.crest, 0.0f);
  EXPECT_EQ(s.kurtosis, 0.0f);
}

TEST(EdgeVibrationFeatures, FeatureLayoutAndSineValuesPerAxis) {
  VibrationFeatureConfig config;  // 1024 Hz, 3 axes, 2048 samples, FFT 256, 8 linear bands, Hann
  Extractor e(config);
  ASSERT_TRUE(e.ok);
  ASSERT_EQ(e.features.num_features(), 3 * 13 + 1);
  std::vector<float> planar;
  const double amplitudes[3] = {1.0, 0.5, 3.0};
  const double freqs[3] = {100.0, 300.0, 20.0};  // bands 1, 4 and 0 (64 Hz wide)
  for (int a = 0; a < 3; ++a) {
    const std::vector<float> x = sine(2048, amplitudes[a], freqs[a], 1024.0, a == 2 ? 9.81 : 0.0);
    planar.insert(planar.end(), x.begin(), x.end());
  }
  const std::vector<float> f = e.run(planar);
  const int expected_band[3] = {1, 4, 0};
  double sum_ms = 0;
  for (int a = 0; a < 3; ++a) {
    const float* axis = f.data() + e.features.axis_offset(a);
    const double ms = amplitudes[a] * amplitudes[a] / 2;
    sum_ms += ms;
    EXPECT_NEAR(axis[1], std::sqrt(ms), 1e-4) << "axis " << a;
    EXPECT_NEAR(axis[2], amplitudes[a], 2e-3 * amplitudes[a]) << "axis " << a;
    EXPECT_NEAR(axis[3], std::sqrt(2.0), 2e-3) << "axis " << a;
    EXPECT_NEAR(axis[4], 1.5, 1e-3) << "axis " << a;
    for (int b = 0; b < 8; ++b) {
      if (b == expected_band[a]) {
        // A tone on a bin centre: the Hann-compensated spectrum holds its mean square A^2/2.
        EXPECT_NEAR(axis[5 + b], ms, 1e-3 * ms) << "axis " << a << " band " << b;
      } else {
        EXPECT_LT(axis[5 + b], 1e-6 * ms) << "axis " << a << " band " << b;
      }
    }
  }
  EXPECT_NEAR(f[e.features.rms_all_index()], std::sqrt(sum_ms / 3), 1e-4);
}

TEST(EdgeVibrationFeatures, RectangularBandsSumToMeanSquare) {
  // Parseval without a window: segments tiling the window give bands summing to the window's mean square.
  VibrationFeatureConfig config;
  config.num_axes = 1;
  config.window_length = 1024;
  config.fft_length = 128;
  config.segment_hop = 128;
  config.num_bands = 5;
  config.hann = false;
  Extractor e(config);
  ASSERT_TRUE(e.ok);
  std::vector<float> x = gaussian(1024, 1.3, 99);
  for (float& v : x) v += 0.25f;
  const std::vector<float> f = e.run(x);
  double mean = 0;
  for (float v : x) mean += v;
  mean /= x.size();
  double ms = 0;
  for (float v : x) ms += (v - mean) * (v - mean);
  ms /= x.size();
  double sum = 0;
  for (int b = 0; b < 5; ++b) sum += f[5 + b];
  EXPECT_NEAR(sum, ms, 1e-5 * ms);
}

// Band energies by a direct DFT in double: an independent check of windowing, overlap, scaling and band
// assignment (log bands, overlapping segments).
TEST(EdgeVibrationFeatures, MatchesDirectDftWithOverlapAndLogBands) {
  VibrationFeatureConfig config;
  config.num_axes = 2;
  config.window_length = 256;
  config.fft_length = 64;
  config.segment_hop = 32;
  config.num_bands = 4;
  config.spacing = BandSpacing::kLog;
  config.log_min_hz = 32;
  Extractor e(config);
  ASSERT_TRUE(e.ok);
  // Edges 0, 32, 80.6, 203.2, 512 Hz; bins are 16 Hz apart.
  EXPECT_EQ(e.features.band_first_bin(1), 2);
  EXPECT_EQ(e.features.band_first_bin(2), 6);
  EXPECT_EQ(e.features.band_first_bin(3), 13);
  EXPECT_EQ(e.features.band_end_bin(3), 33);
  EXPECT_NEAR(e.features.band_high_hz(1), 32 * std::pow(16.0, 1.0 / 3), 1e-3);
  std::vector<float> planar = gaussian(512, 1.0, 7);
  const std::vector<float> f = e.run(planar);
  const int l = 64, segments = 7;
  for (int a = 0; a < 2; ++a) {
    const float* x = planar.data() + a * 256;
    double mean = 0;
    for (int i = 0; i < 256; ++i) mean += x[i];
    mean /= 256;
    std::vector<double> w(l);
    double sum_w2 = 0;
    for (int i = 0; i < l; ++i) {
      w[i] = 0.5 - 0.5 * std::cos(2 * kPi * i / l);
      sum_w2 += w[i] * w[i];
    }
    std::vector<double> power(l / 2 + 1, 0.0);
    for (int s = 0; s < segments; ++s) {
      for (int k = 0; k <= l / 2; ++k) {
        double re = 0, im = 0;
        for (int i = 0; i < l; ++i) {
          const double v = (x[s * 32 + i] - mean) * w[i];
          re += v * std::cos(2 * kPi * k * i / l);
          im -= v * std::sin(2 * kPi * k * i / l);
        }
        power[k] += (k == 0 || k == l / 2 ? 1.0 : 2.0) * (re * re + im * im) / (l * sum_w2 * segments);
      }
    }
    const int edges[5] = {0, 2, 6, 13, 33};
    for (int b = 0; b < 4; ++b) {
      double expected = 0;
      for (int k = edges[b]; k < edges[b + 1]; ++k) expected += power[k];
      EXPECT_NEAR(f[a * 9 + 5 + b], expected, 1e-4 * expected) << "axis " << a << " band " << b;
    }
  }
}

TEST(EdgeVibrationFeatures, LogBandEnergyOption) {
  VibrationFeatureConfig config;
  config.num_axes = 1;
  config.log_band_energy = true;
  Extractor e(config);
  ASSERT_TRUE(e.ok);
  const std::vector<float> f = e.run(sine(2048, 2.0, 100.0, 1024.0));
  EXPECT_NEAR(f[5 + 1], std::log10(2.0), 1e-3);  // log10(A^2 / 2)
  EXPECT_LT(f[5 + 5], -6.0f);
}

TEST(EdgeVibrationFeatures, RejectsInvalidConfigurations) {
  std::vector<float> ws(VibrationFeatures::workspace_floats(2048));
  VibrationFeatures features;
  VibrationFeatureConfig config;
  EXPECT_TRUE(features.init(config, ws.data(), ws.size()));
  EXPECT_FALSE(features.init(config, ws.data(), VibrationFeatures::workspace_floats(256) - 1));
  config.fft_length = 300;  // not a power of two
  EXPECT_FALSE(features.init(config, ws.data(), ws.size()));
  config.fft_length = 4096;  // longer than the window
  EXPECT_FALSE(features.init(config, ws.data(), ws.size()));
  config.fft_length = 16;  // 9 bins (0 .. 8): 10 bands cannot all have one
  config.num_bands = 10;
  EXPECT_FALSE(features.init(config, ws.data(), ws.size()));
  config.num_bands = 8;
  config.spacing = BandSpacing::kLog;  // log bands 0-10 Hz and 10-... at 64 Hz per bin: empty bands
  EXPECT_FALSE(features.init(config, ws.data(), ws.size()));
  EXPECT_FALSE(features.ok());
  float out[1];
  EXPECT_FALSE(features.compute(ws.data(), out, 1));
}

TEST(EdgeVibrationFeatures, FeatureNames) {
  VibrationFeatureConfig config;
  config.num_axes = 4;
  config.num_bands = 12;
  std::vector<float> ws(VibrationFeatures::workspace_floats(config.fft_length));
  VibrationFeatures features;
  ASSERT_TRUE(features.init(config, ws.data(), ws.size()));
  char name[32];
  auto name_of = [&](int i) {
    EXPECT_TRUE(features.feature_name(i, name, sizeof(name)));
    return std::string(name);
  };
  EXPECT_EQ(name_of(0), "x_mean");
  EXPECT_EQ(name_of(4), "x_kurtosis");
  EXPECT_EQ(name_of(17 + 1), "y_rms");
  EXPECT_EQ(name_of(2 * 17 + 5 + 11), "z_band11");
  EXPECT_EQ(name_of(3 * 17 + 3), "a3_crest");
  EXPECT_EQ(name_of(4 * 17), "rms_all");
  EXPECT_FALSE(features.feature_name(4 * 17 + 1, name, sizeof(name)));
  char small[4];
  EXPECT_TRUE(features.feature_name(4, small, sizeof(small)));
  EXPECT_EQ(std::string(small), "x_k");
}

}  // namespace
}  // namespace edgeinfer::edge
