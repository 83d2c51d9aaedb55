#include "edge/vibration_features.h"

#include <cmath>

namespace edgeinfer {
namespace edge {

namespace signal = reference::signal;

namespace {

// cos(2 pi p) for p in cycles, by our own polynomial instead of libm's cosf: the C libraries of the host and
// of the Cortex-M targets round cosf differently in the last bit, which would make the Hann window, and so
// every band energy, differ between the device and the host. Reduced to sin(2 pi t), |t| <= 1/4, then the
// Taylor series to x^11 (|error| < 4e-7); only IEEE add, multiply and compare (no FMA with
// -ffp-contract=off): the same bits everywhere.
float cos_cycles(float p) {
  const float r = p - static_cast<float>(static_cast<int32_t>(p + (p >= 0 ? 0.5f : -0.5f)));  // [-1/2, 1/2]
  const float t = 0.25f - std::fabs(r);                                                       // [-1/4, 1/4]
  const float x = 6.283185307179586f * t;
  const float x2 = x * x;
  return x * (1.0f +
              x2 * (-1.0f / 6 + x2 * (1.0f / 120 +
                                      x2 * (-1.0f / 5040 + x2 * (1.0f / 362880 + x2 * (-1.0f / 39916800))))));
}

}  // namespace

AxisStatistics axis_statistics(const float* x, int32_t n) {
  AxisStatistics s;
  if (n <= 0) return s;
  float sum = 0;
  for (int32_t i = 0; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  // Second pass on centred values: a large mean (gravity) would otherwise swamp the small moments in float.
  float m2 = 0, m4 = 0, peak = 0;
  for (int32_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    const float d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
    const float a = std::fabs(d);
    if (a > peak) peak = a;
  }
  m2 /= static_cast<float>(n);
  m4 /= static_cast<float>(n);
  s.mean = mean;
  s.rms = std::sqrt(m2);
  s.peak = peak;
  s.crest = s.rms > 0 ? peak / s.rms : 0.0f;
  s.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0.0f;
  return s;
}

size_t VibrationFeatures::workspace_floats(int32_t fft_length) {
  if (!signal::is_supported_fft_length(fft_length)) return 0;
  const size_t l = static_cast<size_t>(fft_length);
  // tables (3L/4 complex) + segment (L/2 complex) + work (L/2 complex) + bins (L/2+1 complex) + power
  // (L/2+1) + Hann (L).
  return 2 * signal::real_fft_table_entries(fft_length) + l + l + (l + 2) + (l / 2 + 1) + l;
}

bool VibrationFeatures::init(const VibrationFeatureConfig& config, float* workspace, size_t workspace_size) {
  ok_ = false;
  config_ = config;
  const int32_t l = config.fft_length;
  const float nyquist = config.sample_rate_hz * 0.5f;
  if (!(config.sample_rate_hz > 0) || config.num_axes < 1 || config.num_axes > kMaxAxes ||
      config.num_bands < 1 || config.num_bands > kMaxBands || !signal::is_supported_fft_length(l) ||
      config.window_length < l || config.segment_hop < 1 || workspace == nullptr ||
      workspace_size < workspace_floats(l)) {
    return false;
  }
  if (config.spacing == BandSpacing::kLog &&
      (!(config.log_min_hz > 0) || !(config.log_min_hz < nyquist) || config.num_bands < 2)) {
    return false;
  }
  const int32_t half = l / 2;
  // Band edges in Hz and as first bins (bin k is at k fs / L).
  const int32_t bands = config.num_bands;
  for (int32_t b = 0; b <= bands; ++b) {
    if (config.spacing == BandSpacing::kLinear) {
      band_edges_hz_[b] = nyquist * static_cast<float>(b) / static_cast<float>(bands);
      band_bins_[b] = (b * half + bands - 1) / bands;  // ceil(b * (L/2) / B), exact in integers
    } else {
      const float edge =
          b == 0 ? 0.0f
                 : config.log_min_hz * std::pow(nyquist / config.log_min_hz,
                                                static_cast<float>(b - 1) / static_cast<float>(bands - 1));
      band_edges_hz_[b] = b == bands ? nyquist : edge;
      band_bins_[b] = static_cast<int32_t>(
          std::ceil(band_edges_hz_[b] * static_cast<float>(l) / config.sample_rate_hz - 1e-4f));
    }
  }
  band_bins_[bands] = half + 1;  // the last band holds the Nyquist bin
  for (int32_t b = 0; b < bands; ++b) {
    if (band_bins_[b + 1] <= band_bins_[b]) return false;  // a band without bins
  }

  auto* tables = reinterpret_cast<signal::Complex<float>*>(workspace);
  signal::init_real_fft_plan(l, /*inverse=*/false, tables, &plan_);
  segment_ = tables + signal::real_fft_table_entries(l);
  work_ = segment_ + half;
  bins_ = work_ + half;
  power_ = reinterpret_cast<float*>(bins_ + half + 1);
  hann_ = power_ + half + 1;

  // Periodic Hann (the DFT-even form spectral estimates use); mean(w^2) compensates its power loss.
  float sum_w2 = 0;
  for (int32_t i = 0; i < l; ++i) {
    const float w =
        config.hann ? 0.5f - 0.5f * cos_cycles(static_cast<float>(i) / static_cast<float>(l)) : 1.0f;
    hann_[i] = w;
    sum_w2 += w * w;
  }
  num_segments_ = (config.window_length - l) / config.segment_hop + 1;
  const float mean_w2 = sum_w2 / static_cast<float>(l);
  power_scale_ =
      1.0f / (static_cast<float>(l) * static_cast<float>(l) * mean_w2 * static_cast<float>(num_segments_));
  ok_ = true;
  return true;
}

void VibrationFeatures::accumulate_power(const float* x, float mean) {
  const int32_t l = config_.fft_length;
  const int32_t half = l / 2;
  for (int32_t k = 0; k <= half; ++k) power_[k] = 0;
  for (int32_t s = 0; s < num_segments_; ++s) {
    const float* seg = x + static_cast<size_t>(s) * config_.segment_hop;
    for (int32_t j = 0; j < half; ++j) {
      segment_[j].real = (seg[2 * j] - mean) * hann_[2 * j];
      segment_[j].imag = (seg[2 * j + 1] - mean) * hann_[2 * j + 1];
    }
    signal::real_fft_forward(plan_, segment_, bins_, work_);
    for (int32_t k = 0; k <= half; ++k)
      power_[k] += bins_[k].real * bins_[k].real + bins_[k].imag * bins_[k].imag;
  }
  // One-sided spectrum: every bin but DC and Nyquist stands for two (k and L - k).
  const float scale = power_scale_;
  power_[0] *= scale;
  power_[half] *= scale;
  for (int32_t k = 1; k < half; ++k) power_[k] *= 2.0f * scale;
}

bool VibrationFeatures::compute(const float* planar, float* features, int32_t features_size) {
  if (!ok_ || features == nullptr || features_size < num_features()) return false;
  const int32_t bands = config_.num_bands;
  float sum_ms = 0;
  for (int32_t a = 0; a < config_.num_axes; ++a) {
    const float* x = planar + static_cast<size_t>(a) * config_.window_length;
    const AxisStatistics st = axis_statistics(x, config_.window_length);
    float* out = features + axis_offset(a);
    out[0] = st.mean;
    out[1] = st.rms;
    out[2] = st.peak;
    out[3] = st.crest;
    out[4] = st.kurtosis;
    sum_ms += st.rms * st.rms;
    accumulate_power(x, st.mean);
    for (int32_t b = 0; b < bands; ++b) {
      float e = 0;
      for (int32_t k = band_bins_[b]; k < band_bins_[b + 1]; ++k) e += power_[k];
      out[kStatsPerAxis + b] = config_.log_band_energy ? std::log10(e + 1e-12f) : e;
    }
  }
  features[rms_all_index()] = std::sqrt(sum_ms / static_cast<float>(config_.num_axes));
  return true;
}

float VibrationFeatures::band_low_hz(int32_t band) const {
  return band_edges_hz_[band];
}
float VibrationFeatures::band_high_hz(int32_t band) const {
  return band_edges_hz_[band + 1];
}

namespace {

// Appends `text` to name[*pos..size-1), always leaving a NUL.
void append(char* name, size_t size, size_t* pos, const char* text) {
  for (; *text != '\0' && *pos + 1 < size; ++text) name[(*pos)++] = *text;
  name[*pos] = '\0';
}

void append_int(char* name, size_t size, size_t* pos, int32_t value) {
  char digits[12];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  char text[12];
  for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  append(name, size, pos, text);
}

}  // namespace

bool VibrationFeatures::feature_name(int32_t index, char* name, size_t size) const {
  if (name == nullptr || size == 0 || index < 0 || index >= num_features()) return false;
  size_t pos = 0;
  name[0] = '\0';
  if (index == rms_all_index()) {
    append(name, size, &pos, "rms_all");
    return true;
  }
  const int32_t per_axis = kStatsPerAxis + config_.num_bands;
  const int32_t axis = index / per_axis;
  const int32_t field = index % per_axis;
  static const char* const kAxisNames[] = {"x", "y", "z"};
  if (axis < 3) {
    append(name, size, &pos, kAxisNames[axis]);
  } else {
    append(name, size, &pos, "a");
    append_int(name, size, &pos, axis);
  }
  static const char* const kStatNames[] = {"_mean", "_rms", "_peak", "_crest", "_kurtosis"};
  if (field < kStatsPerAxis) {
    append(name, size, &pos, kStatNames[field]);
  } else {
    append(name, size, &pos, "_band");
    append_int(name, size, &pos, field - kStatsPerAxis);
  }
  return true;
}

}  // namespace edge
}  // namespace edgeinfer
