// Vibration features of one multi-axis window: per axis the mean, RMS, peak, crest factor, kurtosis and the
// energy in N frequency bands, as one flat float vector. Freestanding: the caller provides the workspace.
//
// Definitions, for the N samples x_i of one axis, mean m = (1/N) sum x_i and d_i = x_i - m:
//   mean     = m
//   rms      = sqrt((1/N) sum d_i^2)         (AC RMS: the mean, e.g. gravity on one axis, is removed)
//   peak     = max_i |d_i|
//   crest    = peak / rms                    (0 if rms == 0)
//   kurtosis = ((1/N) sum d_i^4) / ((1/N) sum d_i^2)^2
//              population fourth standardised moment, not excess: a sine gives 1.5, Gaussian noise 3
//              (0 if rms == 0)
//   band_b   = energy of the mean-removed signal between band b's edges (see below)
//
// Band energies come from a Welch-style averaged power spectrum: the mean-removed window is cut into
// segments of fft_length samples every segment_hop samples (non-overlapping by default), each optionally
// multiplied by a Hann window and transformed with the runtime's Signal real FFT (kernels/reference/signal
// fft_common: float, kissfft-exact; float because the M4F's FPU makes it exact and cheap, where int16 would
// lose the small bands to its 1/N scaling). Power per bin k of a segment is
//   P_k = c_k |X_k|^2 / (L^2 * mean(w^2)),  c_k = 1 for DC and Nyquist, 2 otherwise,
// averaged over segments, so that by Parseval the bins of a segment sum to its (window-compensated) mean
// square: a tone of amplitude A contributes about A^2 / 2 to the band holding its frequency, and without a
// Hann window the bands sum exactly (up to rounding) to the mean of the segments' mean squares.
// Bands cover [0, fs/2]; bin k (frequency k fs / L) belongs to band b if edge_b <= f_k < edge_{b+1}, the
// Nyquist bin to the last band. Edges:
//   kLinear: edge_b = b (fs/2) / B
//   kLog:    edge_0 = 0, edge_b = f_min (fs/2 / f_min)^((b-1)/(B-1)) for b >= 1 (band 0 is [0, f_min))
// init() fails if a band would hold no bin (make fft_length larger or use fewer bands). With
// log_band_energy, each band value is log10(energy + 1e-12) instead.
//
// Feature layout (num_features() = num_axes * (5 + num_bands) + 1):
//   axis a (0-based) at a * (5 + B): [mean, rms, peak, crest, kurtosis, band_0 .. band_{B-1}]
//   last: rms_all = sqrt(sum_a rms_a^2 / num_axes), the cheap overall level a ThresholdGate can use.
// feature_name() names them "x_mean", "y_band3", "rms_all" (axes x, y, z, then a3, a4, ...).
//
// Cost, measured on the Cortex-M4F under QEMU (mps2-an386, -O2, instructions; defaults: 3 axes, 2048
// samples, fft_length 256, 8 segments per axis): compute() ~580k (statistics ~35k per axis, 24 FFTs of
// ~16k, segment preparation and power ~3.7k per segment), SensorWindow::copy_window ~31k. The float real
// FFT costs ~3.4k / 6.3k / 16k / 30k / 73k / 137k instructions at 64 / 128 / 256 / 512 / 1024 / 2048
// points: 128-point segments are the cheapest per sample (~300k for the FFTs of a window, 8 Hz bins).
// With SensorWindow::push_frame (~92 per 3-axis frame, ~94k per 1 s hop) and gates + InferenceStats +
// DriftMonitor (<= 59k with 40 features), a 2 s window every 1 s costs ~765k of the 1.0 M budget.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/reference/signal/fft_common.h"

namespace edgeinfer {
namespace edge {

enum class BandSpacing { kLinear, kLog };

struct VibrationFeatureConfig {
  float sample_rate_hz = 1024.0f;
  int32_t num_axes = 3;          // 1 .. kMaxAxes
  int32_t window_length = 2048;  // samples per axis
  int32_t fft_length = 256;      // power of two in [4, window_length]
  int32_t segment_hop = 256;     // samples between segment starts (>= 1); segment_hop < fft_length overlaps
  int32_t num_bands = 8;         // 1 .. kMaxBands
  BandSpacing spacing = BandSpacing::kLinear;
  float log_min_hz = 10.0f;  // kLog: upper edge of band 0, in (0, fs/2)
  bool hann = true;
  bool log_band_energy = false;
};

// Statistics of one axis (the first five features of each axis).
struct AxisStatistics {
  float mean = 0;
  float rms = 0;
  float peak = 0;
  float crest = 0;
  float kurtosis = 0;
};

// The statistics of `n` samples as defined above (two passes, float accumulation).
AxisStatistics axis_statistics(const float* x, int32_t n);

class VibrationFeatures {
 public:
  static constexpr int32_t kMaxAxes = 8;
  static constexpr int32_t kMaxBands = 32;
  static constexpr int32_t kStatsPerAxis = 5;

  // Floats of workspace init() needs for `fft_length`: FFT tables, segment, FFT work and output, power
  // spectrum and Hann weights.
  static size_t workspace_floats(int32_t fft_length);

  // Checks `config`, builds the FFT plan and band edges in `workspace` (kept by the object, must outlive it
  // and be aligned for float). Returns false if the configuration is invalid or the workspace too small.
  bool init(const VibrationFeatureConfig& config, float* workspace, size_t workspace_size);
  bool ok() const { return ok_; }
  const VibrationFeatureConfig& config() const { return config_; }

  int32_t num_features() const { return config_.num_axes * (kStatsPerAxis + config_.num_bands) + 1; }
  int32_t axis_offset(int32_t axis) const { return axis * (kStatsPerAxis + config_.num_bands); }
  int32_t rms_all_index() const { return num_features() - 1; }

  // `planar` holds num_axes * window_length samples, axis a at planar + a * window_length (as
  // SensorWindow::copy_window writes them). Writes num_features() floats; false if not initialized or
  // `features_size` is too small.
  bool compute(const float* planar, float* features, int32_t features_size);

  // Band b's edges in Hz ([low, high); the last band includes fs/2) and its FFT bins [first, last).
  float band_low_hz(int32_t band) const;
  float band_high_hz(int32_t band) const;
  int32_t band_first_bin(int32_t band) const { return band_bins_[band]; }
  int32_t band_end_bin(int32_t band) const { return band_bins_[band + 1]; }

  // Writes feature `index`'s name, NUL-terminated and truncated to `size`; returns false for a bad index.
  bool feature_name(int32_t index, char* name, size_t size) const;

 private:
  void accumulate_power(const float* x, float mean);

  VibrationFeatureConfig config_{};
  bool ok_ = false;
  reference::signal::RealFftPlan<float> plan_{};
  reference::signal::Complex<float>* segment_ = nullptr;  // fft_length / 2 (even, odd) sample pairs
  reference::signal::Complex<float>* work_ = nullptr;     // fft_length / 2
  reference::signal::Complex<float>* bins_ = nullptr;     // fft_length / 2 + 1
  float* power_ = nullptr;                                // fft_length / 2 + 1
  float* hann_ = nullptr;                                 // fft_length
  float power_scale_ = 0;                                 // 1 / (L^2 mean(w^2) segments)
  int32_t num_segments_ = 0;
  float band_edges_hz_[kMaxBands + 1] = {};
  int32_t band_bins_[kMaxBands + 1] = {};
};

}  // namespace edge
}  // namespace edgeinfer
