#include "compiler/train/layers.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "compiler/train/random.h"

namespace edgeinfer::compiler::train {
namespace {

using Eigen::Dynamic;
template <class T>
using Mat = Eigen::Matrix<T, Dynamic, Dynamic>;  // column-major: a C x (N*H*W) map of an NHWC tensor
template <class T>
using RowMat = Eigen::Matrix<T, Dynamic, Dynamic, Eigen::RowMajor>;  // TFLite's weight layouts
template <class T>
using Vec = Eigen::Matrix<T, Dynamic, 1>;
template <class T>
using Arr = Eigen::Array<T, Dynamic, 1>;
template <class T>
using Arr2 = Eigen::Array<T, Dynamic, Dynamic>;  // C x (N*H*W), for per-channel broadcasts

// Eigen picks GEMM block sizes from the cache sizes it detects, and the blocking decides the order of the
// sums: fixed sizes make results the same on every machine with the same instruction set.
void fix_gemm_blocking() {
  static std::once_flag once;
  std::call_once(once, [] { Eigen::setCpuCacheSizes(32 * 1024, 256 * 1024, 2 * 1024 * 1024); });
}

template <class T>
class Layer {
 public:
  explicit Layer(const LayerSpec& spec) : spec_(spec) {}
  virtual ~Layer() = default;
  // Writes the pre-activation output; the network applies the fused activation.
  virtual void forward(const T* in, T* out, int batch, bool training) = 0;
  // d_out: gradient at the pre-activation output. d_in: null when not wanted (first layer).
  virtual void backward(const T* in, const T* d_out, T* d_in, int batch) = 0;
  const LayerSpec& spec() const { return spec_; }

 protected:
  const LayerSpec spec_;
};

template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(const LayerSpec& spec, Parameter<T>* w, Parameter<T>* b) : Layer<T>(spec), w_(w), b_(b) {}
  void forward(const T* in, T* out, int batch, bool) override {
    Eigen::Map<const Mat<T>> x(in, inputs(), batch);
    Eigen::Map<Mat<T>> y(out, units(), batch);
    // Bias first, then the GEMM adds to it (Eigen would otherwise zero the output first).
    y.colwise() = Eigen::Map<const Vec<T>>(b_->value.data(), units());
    y.noalias() += weights() * x;
  }
  void backward(const T* in, const T* d_out, T* d_in, int batch) override {
    Eigen::Map<const Mat<T>> x(in, inputs(), batch);
    Eigen::Map<const Mat<T>> dy(d_out, units(), batch);
    Eigen::Map<RowMat<T>>(w_->grad.data(), units(), inputs()).noalias() = dy * x.transpose();
    Eigen::Map<Vec<T>>(b_->grad.data(), units()) = dy.rowwise().sum();
    if (d_in) Eigen::Map<Mat<T>>(d_in, inputs(), batch).noalias() = weights().transpose() * dy;
  }

 private:
  int units() const { return this->spec_.units; }
  int inputs() const { return this->spec_.in.channels; }
  Eigen::Map<const RowMat<T>> weights() const { return {w_->value.data(), units(), inputs()}; }
  Parameter<T>* w_;
  Parameter<T>* b_;
};

// Geometry shared by the windowed layers.
struct Window {
  int in_h, in_w, channels, out_h, out_w, k_h, k_w, stride, pad_h, pad_w;
  explicit Window(const LayerSpec& s) {
    const Padding2D p = s.window();
    in_h = s.in.height, in_w = s.in.width, channels = s.in.channels;
    out_h = p.out_height, out_w = p.out_width, pad_h = p.height, pad_w = p.width;
    k_h = s.kernel_height, k_w = s.kernel_width, stride = s.stride;
  }
  int64_t in_pixel(int n, int y, int x) const { return (int64_t{n} * in_h + y) * in_w + x; }
  int64_t out_pixel(int n, int y, int x) const { return (int64_t{n} * out_h + y) * out_w + x; }
  // Whether output (oy, ox)'s window lies wholly inside the input (no padding).
  bool inside(int oy, int ox) const {
    const int y = oy * stride - pad_h, x = ox * stride - pad_w;
    return y >= 0 && x >= 0 && y + k_h <= in_h && x + k_w <= in_w;
  }
  // Calls f(output pixel, first input pixel, ky, first kx, count) for each window row's run of positions
  // inside the input (consecutive input pixels).
  template <class F>
  void for_each_row(int batch, F&& f) const {
    for (int n = 0; n < batch; ++n) {
      for (int oy = 0; oy < out_h; ++oy) {
        for (int ox = 0; ox < out_w; ++ox) {
          const int64_t o = out_pixel(n, oy, ox);
          const int x0 = ox * stride - pad_w;
          const int kx_begin = std::max(0, -x0), kx_end = std::min(k_w, in_w - x0);
          if (kx_begin >= kx_end) continue;
          for (int ky = 0; ky < k_h; ++ky) {
            const int iy = oy * stride - pad_h + ky;
            if (iy < 0 || iy >= in_h) continue;
            f(o, in_pixel(n, iy, x0 + kx_begin), ky, kx_begin, kx_end - kx_begin);
          }
        }
      }
    }
  }
  // Calls f(output pixel, input pixel, ky, kx) for every window position inside the input, kx innermost
  // (TensorFlow Lite's order, so pooled sums round as its kernels do).
  template <class F>
  void for_each(int batch, F&& f) const {
    for_each_row(batch, [&](int64_t o, int64_t i, int ky, int kx, int count) {
      for (int k = 0; k < count; ++k) f(o, i + k, ky, kx + k);
    });
  }
};

// CONV_2D as im2col + GEMM: each output pixel's receptive field becomes one column of KH*KW*I values in
// the filter's own (ky, kx, ci) order, so the [O, KH*KW*I] filter multiplies the columns directly.
template <class T>
class Conv2D final : public Layer<T> {
 public:
  Conv2D(const LayerSpec& spec, Parameter<T>* w, Parameter<T>* b)
      : Layer<T>(spec), win_(spec), w_(w), b_(b), patch_(int64_t{win_.k_h} * win_.k_w * win_.channels) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int64_t pixels = int64_t{batch} * win_.out_h * win_.out_w;
    cols_.resize(patch_ * pixels);
    const int c = win_.channels;
    for (int n = 0; n < batch; ++n) {  // padding: zeros
      for (int oy = 0; oy < win_.out_h; ++oy) {
        for (int ox = 0; ox < win_.out_w; ++ox) {
          if (!win_.inside(oy, ox)) std::fill_n(&cols_[win_.out_pixel(n, oy, ox) * patch_], patch_, T(0));
        }
      }
    }
    win_.for_each_row(batch, [&](int64_t o, int64_t i, int ky, int kx, int count) {
      std::copy_n(in + i * c, count * c, &cols_[o * patch_ + (ky * win_.k_w + kx) * c]);
    });
    Eigen::Map<const Mat<T>> cols(cols_.data(), patch_, pixels);
    Eigen::Map<Mat<T>> y(out, filters(), pixels);
    y.colwise() = Eigen::Map<const Vec<T>>(b_->value.data(), filters());
    y.noalias() += weights() * cols;
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    const int64_t pixels = int64_t{batch} * win_.out_h * win_.out_w;
    Eigen::Map<const Mat<T>> cols(cols_.data(), patch_, pixels);
    Eigen::Map<const Mat<T>> dy(d_out, filters(), pixels);
    Eigen::Map<RowMat<T>>(w_->grad.data(), filters(), patch_).noalias() = dy * cols.transpose();
    Eigen::Map<Vec<T>>(b_->grad.data(), filters()) = dy.rowwise().sum();
    if (!d_in) return;
    d_cols_.resize(patch_ * pixels);
    Eigen::Map<Mat<T>>(d_cols_.data(), patch_, pixels).noalias() = weights().transpose() * dy;
    const int c = win_.channels;
    std::fill_n(d_in, int64_t{batch} * win_.in_h * win_.in_w * c, T(0));
    win_.for_each_row(batch, [&](int64_t o, int64_t i, int ky, int kx, int count) {
      Eigen::Map<Arr<T>>(d_in + i * c, count * c) +=
          Eigen::Map<const Arr<T>>(&d_cols_[o * patch_ + (ky * win_.k_w + kx) * c], count * c);
    });
  }

 private:
  int filters() const { return this->spec_.units; }
  Eigen::Map<const RowMat<T>> weights() const { return {w_->value.data(), filters(), patch_}; }
  Window win_;
  Parameter<T>* w_;
  Parameter<T>* b_;
  int64_t patch_;
  std::vector<T> cols_;  // kept from forward for the weight gradient
  std::vector<T> d_cols_;
};

// DEPTHWISE_CONV_2D, depth multiplier 1: per window position, a channel-wise multiply-add.
template <class T>
class Depthwise final : public Layer<T> {
 public:
  Depthwise(const LayerSpec& spec, Parameter<T>* w, Parameter<T>* b)
      : Layer<T>(spec), win_(spec), w_(w), b_(b) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int c = win_.channels;
    const Eigen::Map<const Arr<T>> bias(b_->value.data(), c);
    for (int64_t o = 0, n = int64_t{batch} * win_.out_h * win_.out_w; o < n; ++o) {
      Eigen::Map<Arr<T>>(out + o * c, c) = bias;
    }
    win_.for_each(batch, [&](int64_t o, int64_t i, int ky, int kx) {
      Eigen::Map<Arr<T>>(out + o * c, c) += tap(w_->value, ky, kx) * Eigen::Map<const Arr<T>>(in + i * c, c);
    });
  }
  void backward(const T* in, const T* d_out, T* d_in, int batch) override {
    const int c = win_.channels;
    std::fill(w_->grad.begin(), w_->grad.end(), T(0));
    Eigen::Map<const Mat<T>> dy(d_out, c, int64_t{batch} * win_.out_h * win_.out_w);
    Eigen::Map<Vec<T>>(b_->grad.data(), c) = dy.rowwise().sum();
    if (d_in) std::fill_n(d_in, int64_t{batch} * win_.in_h * win_.in_w * c, T(0));
    win_.for_each(batch, [&](int64_t o, int64_t i, int ky, int kx) {
      const Eigen::Map<const Arr<T>> g(d_out + o * c, c);
      tap(w_->grad, ky, kx) += g * Eigen::Map<const Arr<T>>(in + i * c, c);
      if (d_in) Eigen::Map<Arr<T>>(d_in + i * c, c) += g * tap(w_->value, ky, kx);
    });
  }

 private:
  Eigen::Map<Arr<T>> tap(std::vector<T>& v, int ky, int kx) const {
    return {v.data() + (ky * win_.k_w + kx) * win_.channels, win_.channels};
  }
  Window win_;
  Parameter<T>* w_;
  Parameter<T>* b_;
};

template <class T>
class MaxPool final : public Layer<T> {
 public:
  explicit MaxPool(const LayerSpec& spec) : Layer<T>(spec), win_(spec) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int c = win_.channels;
    const int64_t count = int64_t{batch} * win_.out_h * win_.out_w * c;
    std::fill_n(out, count, std::numeric_limits<T>::lowest());
    argmax_.assign(count, -1);
    win_.for_each(batch, [&](int64_t o, int64_t i, int ky, int kx) {
      Eigen::Map<Arr<T>> best(out + o * c, c);
      const Eigen::Map<const Arr<T>> x(in + i * c, c);
      Eigen::Map<Eigen::ArrayXi> arg(&argmax_[o * c], c);
      arg = (x > best).select(ky * win_.k_w + kx, arg);  // strictly greater: the first maximum wins ties
      best = best.max(x);
    });
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    if (!d_in) return;
    const int c = win_.channels;
    std::fill_n(d_in, int64_t{batch} * win_.in_h * win_.in_w * c, T(0));
    win_.for_each(batch, [&](int64_t o, int64_t i, int ky, int kx) {
      const Eigen::Map<const Eigen::ArrayXi> arg(&argmax_[o * c], c);
      Eigen::Map<Arr<T>>(d_in + i * c, c) +=
          (arg == ky * win_.k_w + kx).select(Eigen::Map<const Arr<T>>(d_out + o * c, c), T(0));
    });
  }

 private:
  Window win_;
  std::vector<int> argmax_;  // window position (ky * KW + kx) of each output's maximum
};

// AVERAGE_POOL_2D: the mean over the window positions inside the input (padding is not counted).
template <class T>
class AvgPool final : public Layer<T> {
 public:
  explicit AvgPool(const LayerSpec& spec) : Layer<T>(spec), win_(spec) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int c = win_.channels;
    const int64_t pixels = int64_t{batch} * win_.out_h * win_.out_w;
    std::fill_n(out, pixels * c, T(0));
    counts_.assign(pixels, 0);
    win_.for_each(batch, [&](int64_t o, int64_t i, int, int) {
      Eigen::Map<Arr<T>>(out + o * c, c) += Eigen::Map<const Arr<T>>(in + i * c, c);
      ++counts_[o];
    });
    for (int64_t o = 0; o < pixels; ++o) Eigen::Map<Arr<T>>(out + o * c, c) /= T(counts_[o]);
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    if (!d_in) return;
    const int c = win_.channels;
    std::fill_n(d_in, int64_t{batch} * win_.in_h * win_.in_w * c, T(0));
    win_.for_each(batch, [&](int64_t o, int64_t i, int, int) {
      Eigen::Map<Arr<T>>(d_in + i * c, c) += Eigen::Map<const Arr<T>>(d_out + o * c, c) / T(counts_[o]);
    });
  }

 private:
  Window win_;
  std::vector<int> counts_;
};

// MEAN over H and W: [N,H,W,C] -> [N,C].
template <class T>
class GlobalAvgPool final : public Layer<T> {
 public:
  explicit GlobalAvgPool(const LayerSpec& spec) : Layer<T>(spec) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int c = this->spec_.in.channels;
    const int64_t hw = int64_t{this->spec_.in.height} * this->spec_.in.width;
    for (int n = 0; n < batch; ++n) {
      Eigen::Map<Vec<T>>(out + int64_t{n} * c, c) =
          Eigen::Map<const Mat<T>>(in + n * hw * c, c, hw).rowwise().sum() / T(hw);
    }
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    if (!d_in) return;
    const int c = this->spec_.in.channels;
    const int64_t hw = int64_t{this->spec_.in.height} * this->spec_.in.width;
    for (int n = 0; n < batch; ++n) {
      Eigen::Map<Mat<T>>(d_in + n * hw * c, c, hw).colwise() =
          Eigen::Map<const Vec<T>>(d_out + int64_t{n} * c, c) / T(hw);
    }
  }
};

// Flatten (NHWC order, as RESHAPE keeps it) and dropout (inverted: kept values scaled by 1 / (1 - P), so
// inference is the identity).
template <class T>
class PassThrough final : public Layer<T> {
 public:
  PassThrough(const LayerSpec& spec, Rng* rng) : Layer<T>(spec), rng_(rng) {}
  void forward(const T* in, T* out, int batch, bool training) override {
    const int64_t count = batch * this->spec_.in.size();
    const double rate = this->spec_.rate;
    masked_ = training && rate > 0;
    if (!masked_) {
      std::copy_n(in, count, out);
      return;
    }
    const T keep_scale = T(1.0 / (1.0 - rate));
    mask_.resize(count);
    for (int64_t i = 0; i < count; ++i) {
      mask_[i] = rng_->uniform() < rate ? T(0) : keep_scale;
      out[i] = in[i] * mask_[i];
    }
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    if (!d_in) return;
    const int64_t count = batch * this->spec_.in.size();
    for (int64_t i = 0; i < count; ++i) d_in[i] = masked_ ? d_out[i] * mask_[i] : d_out[i];
  }

 private:
  Rng* rng_;
  bool masked_ = false;
  std::vector<T> mask_;
};

// Batch statistics of one channel-wise mean and (biased) variance, over `count` values per channel.
struct BatchStats {
  std::vector<double> mean, variance;
  int64_t count = 0;  // 0: none since the last merge
};

// Keras's moving-average update: moving -= (moving - value) * (1 - momentum), from `base`.
template <class T>
void move_towards(const std::vector<T>& base, const std::vector<double>& value, std::vector<T>* moving) {
  for (size_t c = 0; c < value.size(); ++c) {
    const double b = static_cast<double>(base[c]);
    (*moving)[c] = static_cast<T>(b - (b - value[c]) * (1.0 - kBatchNormMomentum));
  }
}

// Batch normalization over the channel (last) dimension; the statistics are per call of forward(), i.e.
// per shard when the trainer splits a batch.
template <class T>
class BatchNorm final : public Layer<T> {
 public:
  BatchNorm(const LayerSpec& spec, Parameter<T>* gamma, Parameter<T>* beta, Parameter<T>* mean,
            Parameter<T>* variance)
      : Layer<T>(spec), gamma_(gamma), beta_(beta), mean_(mean), variance_(variance) {}
  void forward(const T* in, T* out, int batch, bool training) override {
    const int c = channels();
    const int64_t m = batch * (this->spec_.in.size() / c);
    const Eigen::Map<const Arr2<T>> x(in, c, m);
    training_ = training;
    if (training) {
      const Arr<T> mean = x.rowwise().sum() / T(m);
      xhat_ = x.colwise() - mean;
      const Arr<T> variance = xhat_.square().rowwise().sum() / T(m);
      // sqrt and division round exactly, unlike Eigen's vectorized rsqrt: the same result on every machine.
      inv_std_ = (variance + T(kBatchNormEpsilon)).sqrt().inverse();
      // Remember the statistics and the moving values they updated, for merge_batch_statistics().
      stats_.mean.assign(mean.data(), mean.data() + c);
      stats_.variance.assign(variance.data(), variance.data() + c);
      stats_.count = m;
      previous_mean_ = mean_->value;
      previous_variance_ = variance_->value;
      move_towards(previous_mean_, stats_.mean, &mean_->value);
      move_towards(previous_variance_, stats_.variance, &variance_->value);
    } else {
      inv_std_ =
          (Eigen::Map<const Arr<T>>(variance_->value.data(), c) + T(kBatchNormEpsilon)).sqrt().inverse();
      xhat_ = x.colwise() - Eigen::Map<const Arr<T>>(mean_->value.data(), c);
    }
    xhat_.colwise() *= inv_std_;
    Eigen::Map<Arr2<T>> y(out, c, m);
    y = (xhat_.colwise() * Eigen::Map<const Arr<T>>(gamma_->value.data(), c)).colwise() +
        Eigen::Map<const Arr<T>>(beta_->value.data(), c);
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    const int c = channels();
    const int64_t m = batch * (this->spec_.in.size() / c);
    const Eigen::Map<const Arr2<T>> dy(d_out, c, m);
    Eigen::Map<Arr<T>> d_gamma(gamma_->grad.data(), c), d_beta(beta_->grad.data(), c);
    d_beta = dy.rowwise().sum();
    d_gamma = (dy * xhat_).rowwise().sum();
    if (!d_in) return;
    const Arr<T> scale = Eigen::Map<const Arr<T>>(gamma_->value.data(), c) * inv_std_;
    Eigen::Map<Arr2<T>> dx(d_in, c, m);
    if (training_) {
      // Through the batch statistics too: dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)).
      dx = ((dy.colwise() - d_beta / T(m)) - xhat_.colwise() * (d_gamma / T(m))).colwise() * scale;
    } else {
      dx = dy.colwise() * scale;
    }
  }
  bool trained_last() const { return training_; }
  BatchStats& stats() { return stats_; }
  const std::vector<T>& previous_mean() const { return previous_mean_; }
  const std::vector<T>& previous_variance() const { return previous_variance_; }
  Parameter<T>& moving_mean() { return *mean_; }
  Parameter<T>& moving_variance() { return *variance_; }
  int channels() const { return this->spec_.in.channels; }

 private:
  Parameter<T>* gamma_;
  Parameter<T>* beta_;
  Parameter<T>* mean_;
  Parameter<T>* variance_;
  bool training_ = false;
  Arr2<T> xhat_;  // normalized input, kept for backward
  Arr<T> inv_std_;
  BatchStats stats_;
  std::vector<T> previous_mean_, previous_variance_;
};

// The sum of the input and an earlier output (`residual`, same size); backward also adds the gradient into
// `residual_grad`, which the network adds to that output's gradient when it gets there.
template <class T>
class Add final : public Layer<T> {
 public:
  Add(const LayerSpec& spec, const std::vector<T>* residual, std::vector<T>* residual_grad)
      : Layer<T>(spec), residual_(residual), residual_grad_(residual_grad) {}
  void forward(const T* in, T* out, int batch, bool) override {
    const int64_t count = batch * this->spec_.in.size();
    for (int64_t i = 0; i < count; ++i) out[i] = in[i] + (*residual_)[i];
  }
  void backward(const T*, const T* d_out, T* d_in, int batch) override {
    const int64_t count = batch * this->spec_.in.size();
    if (d_in) std::copy_n(d_out, count, d_in);
    for (int64_t i = 0; i < count; ++i) (*residual_grad_)[i] += d_out[i];
  }

 private:
  const std::vector<T>* residual_;
  std::vector<T>* residual_grad_;
};

template <class T>
void activate(Activation activation, int width, T* data, int64_t count) {
  switch (activation) {
    case Activation::kNone: break;
    case Activation::kRelu:
      for (int64_t i = 0; i < count; ++i) data[i] = std::max(data[i], T(0));
      break;
    case Activation::kRelu6:
      for (int64_t i = 0; i < count; ++i) data[i] = std::min(std::max(data[i], T(0)), T(6));
      break;
    case Activation::kSoftmax:
      for (int64_t row = 0; row < count; row += width) {
        Eigen::Map<Arr<T>> x(data + row, width);
        x = (x - x.maxCoeff()).exp();
        x /= x.sum();
      }
      break;
  }
}

// Turns the gradient at an activation's output into the gradient at its input, from the output values.
template <class T>
void activate_backward(Activation activation, int width, const T* out, T* grad, int64_t count) {
  switch (activation) {
    case Activation::kNone: break;
    case Activation::kRelu:
      for (int64_t i = 0; i < count; ++i) grad[i] = out[i] > 0 ? grad[i] : T(0);
      break;
    case Activation::kRelu6:
      for (int64_t i = 0; i < count; ++i) grad[i] = out[i] > 0 && out[i] < 6 ? grad[i] : T(0);
      break;
    case Activation::kSoftmax:
      for (int64_t row = 0; row < count; row += width) {
        Eigen::Map<const Arr<T>> p(out + row, width);
        Eigen::Map<Arr<T>> g(grad + row, width);
        g = p * (g - (p * g).sum());
      }
      break;
  }
}

// Keras's fan sizes, except depthwise, whose outputs each see KH*KW inputs.
void fans(const LayerSpec& s, double* fan_in, double* fan_out) {
  const double k = static_cast<double>(s.kernel_height) * s.kernel_width;
  switch (s.kind) {
    case LayerKind::kConv2D: *fan_in = k * s.in.channels, *fan_out = k * s.units; break;
    case LayerKind::kDepthwise: *fan_in = *fan_out = k; break;
    default: *fan_in = s.in.channels, *fan_out = s.units; break;
  }
}

}  // namespace

template <class T>
struct BasicNetwork<T>::Impl {
  NetworkSpec spec;
  std::vector<Parameter<T>> params;
  std::vector<Parameter<T>> state;  // batchnorm moving statistics
  std::vector<std::unique_ptr<Layer<T>>> layers;
  std::vector<BatchNorm<T>*> batch_norms;  // in layer order
  std::vector<Parameter<T>*> biases;       // per layer: its bias, or null
  Rng dropout_rng;
  std::vector<std::vector<T>> acts;   // acts[0] input, acts[i + 1] output of layer i
  std::vector<std::vector<T>> grads;  // same indexing
  // Gradients that add layers send back to earlier outputs (same indexing; empty when none reads it).
  std::vector<std::vector<T>> residual_grads;
  std::vector<bool> residual_read;
  int batch = 0;
  bool input_gradient = false;

  void backward_from(size_t last_pre_activation);
};

template <class T>
BasicNetwork<T>::BasicNetwork(const NetworkSpec& spec, uint64_t seed) : impl_(std::make_unique<Impl>()) {
  fix_gemm_blocking();
  Impl& m = *impl_;
  m.spec = spec;
  m.dropout_rng.reseed(derive_seed(seed, kDropoutStream));
  Rng init(derive_seed(seed, kInitStream));
  // Parameters first (the vectors must not grow once layers point into them).
  std::vector<size_t> first_param(spec.layers.size(), 0);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& s = spec.layers[i];
    first_param[i] = m.params.size();
    if (s.kind == LayerKind::kBatchNorm) {
      // No random draw: the layers after it get the weights they would get without it.
      const std::string label = spec.layer_label(i);
      const int layer = static_cast<int>(i);
      const std::vector<int32_t> shape = {s.out.channels};
      m.params.push_back({label + "/gamma", shape, std::vector<T>(s.out.channels, T(1)), {}, layer});
      m.params.push_back({label + "/beta", shape, std::vector<T>(s.out.channels, T(0)), {}, layer});
      m.state.push_back({label + "/moving_mean", shape, std::vector<T>(s.out.channels, T(0)), {}, layer});
      m.state.push_back({label + "/moving_variance", shape, std::vector<T>(s.out.channels, T(1)), {}, layer});
      continue;
    }
    if (!s.trainable()) continue;
    Parameter<T> w{spec.layer_label(i) + "/weights", s.weight_shape(), {}, {}, static_cast<int>(i)};
    w.value.resize(s.parameter_count() - s.out.channels);
    double fan_in, fan_out;
    fans(s, &fan_in, &fan_out);
    const bool relu = s.activation == Activation::kRelu || s.activation == Activation::kRelu6;
    const double limit = relu ? std::sqrt(6.0 / fan_in) : std::sqrt(6.0 / (fan_in + fan_out));
    for (T& v : w.value) v = T(init.symmetric(limit));
    Parameter<T> b{spec.layer_label(i) + "/bias",
                   {s.out.channels},
                   std::vector<T>(s.out.channels, T(0)),
                   {},
                   static_cast<int>(i)};
    m.params.push_back(std::move(w));
    m.params.push_back(std::move(b));
  }
  for (Parameter<T>& p : m.params) p.grad.assign(p.value.size(), T(0));
  m.acts.resize(spec.layers.size() + 1);
  m.grads.resize(spec.layers.size() + 1);
  m.residual_grads.resize(spec.layers.size() + 1);
  m.residual_read.assign(spec.layers.size() + 1, false);
  m.biases.assign(spec.layers.size(), nullptr);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& s = spec.layers[i];
    const bool has_params = s.trainable() || s.kind == LayerKind::kBatchNorm;
    Parameter<T>* w = has_params ? &m.params[first_param[i]] : nullptr;
    Parameter<T>* b = has_params ? &m.params[first_param[i] + 1] : nullptr;
    if (s.trainable()) m.biases[i] = b;
    switch (s.kind) {
      case LayerKind::kDense: m.layers.push_back(std::make_unique<Dense<T>>(s, w, b)); break;
      case LayerKind::kConv2D: m.layers.push_back(std::make_unique<Conv2D<T>>(s, w, b)); break;
      case LayerKind::kDepthwise: m.layers.push_back(std::make_unique<Depthwise<T>>(s, w, b)); break;
      case LayerKind::kMaxPool: m.layers.push_back(std::make_unique<MaxPool<T>>(s)); break;
      case LayerKind::kAvgPool: m.layers.push_back(std::make_unique<AvgPool<T>>(s)); break;
      case LayerKind::kGlobalAvgPool: m.layers.push_back(std::make_unique<GlobalAvgPool<T>>(s)); break;
      case LayerKind::kFlatten:
      case LayerKind::kDropout:
        m.layers.push_back(std::make_unique<PassThrough<T>>(s, &m.dropout_rng));
        break;
      case LayerKind::kBatchNorm: {
        const size_t k = 2 * m.batch_norms.size();
        auto layer = std::make_unique<BatchNorm<T>>(s, w, b, &m.state[k], &m.state[k + 1]);
        m.batch_norms.push_back(layer.get());
        m.layers.push_back(std::move(layer));
        break;
      }
      case LayerKind::kAdd: {
        const size_t from = static_cast<size_t>(s.residual + 1);  // acts index of the labelled output
        m.residual_read[from] = true;
        m.layers.push_back(std::make_unique<Add<T>>(s, &m.acts[from], &m.residual_grads[from]));
        break;
      }
    }
  }
}

template <class T>
BasicNetwork<T>::~BasicNetwork() = default;
template <class T>
BasicNetwork<T>::BasicNetwork(BasicNetwork&&) noexcept = default;
template <class T>
BasicNetwork<T>& BasicNetwork<T>::operator=(BasicNetwork&&) noexcept = default;

template <class T>
const NetworkSpec& BasicNetwork<T>::spec() const {
  return impl_->spec;
}
template <class T>
std::vector<Parameter<T>>& BasicNetwork<T>::parameters() {
  return impl_->params;
}
template <class T>
const std::vector<Parameter<T>>& BasicNetwork<T>::parameters() const {
  return impl_->params;
}
template <class T>
std::vector<Parameter<T>>& BasicNetwork<T>::state() {
  return impl_->state;
}
template <class T>
const std::vector<Parameter<T>>& BasicNetwork<T>::state() const {
  return impl_->state;
}
template <class T>
void BasicNetwork<T>::set_input_gradient(bool enabled) {
  impl_->input_gradient = enabled;
}
template <class T>
std::span<const T> BasicNetwork<T>::input_gradient() const {
  return impl_->grads[0];
}
template <class T>
void BasicNetwork<T>::reseed_dropout(uint64_t seed) {
  impl_->dropout_rng.reseed(derive_seed(seed, kDropoutStream));
}

template <class T>
std::span<const T> BasicNetwork<T>::forward(std::span<const T> input, int batch, bool training) {
  Impl& m = *impl_;
  if (batch < 1 || static_cast<int64_t>(input.size()) != batch * input_size()) {
    throw std::invalid_argument("forward: " + std::to_string(input.size()) + " input values for a batch of " +
                                std::to_string(batch) + " samples of " + std::to_string(input_size()));
  }
  m.batch = batch;
  m.acts[0].assign(input.begin(), input.end());
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerSpec& s = m.spec.layers[i];
    m.acts[i + 1].resize(batch * s.out.size());
    m.layers[i]->forward(m.acts[i].data(), m.acts[i + 1].data(), batch, training);
    activate(s.activation, s.out.channels, m.acts[i + 1].data(), static_cast<int64_t>(m.acts[i + 1].size()));
  }
  return m.acts.back();
}

// grads[last_pre_activation + 1] holds the gradient at the output of layer `last_pre_activation` taken
// before its activation (the fused softmax + cross entropy) or, when it is past the last layer, after it.
template <class T>
void BasicNetwork<T>::Impl::backward_from(size_t last_pre_activation) {
  for (size_t k = 0; k < residual_grads.size(); ++k) {
    if (residual_read[k]) residual_grads[k].assign(acts[k].size(), T(0));
  }
  // Output k's gradient is complete once the adds after it, all processed before layer k - 1, sent theirs.
  auto add_residual = [&](size_t k) {
    if (!residual_read[k]) return;
    for (size_t j = 0; j < grads[k].size(); ++j) grads[k][j] += residual_grads[k][j];
  };
  for (size_t i = layers.size(); i-- > 0;) {
    const LayerSpec& s = spec.layers[i];
    add_residual(i + 1);
    if (i != last_pre_activation) {
      activate_backward(s.activation, s.out.channels, acts[i + 1].data(), grads[i + 1].data(),
                        static_cast<int64_t>(grads[i + 1].size()));
    }
    T* d_in = nullptr;
    if (i > 0 || input_gradient) {
      grads[i].resize(acts[i].size());
      d_in = grads[i].data();
    }
    layers[i]->backward(acts[i].data(), grads[i + 1].data(), d_in, batch);
    // Exactly zero rather than rounding noise (which Adam would scale up): the batch mean cancels the bias.
    if (biases[i] && i + 1 < layers.size() && spec.layers[i + 1].kind == LayerKind::kBatchNorm &&
        static_cast<const BatchNorm<T>*>(layers[i + 1].get())->trained_last()) {
      std::fill(biases[i]->grad.begin(), biases[i]->grad.end(), T(0));
    }
  }
  if (input_gradient) add_residual(0);
}

template <class T>
T BasicNetwork<T>::backward_cross_entropy(std::span<const int32_t> labels) {
  Impl& m = *impl_;
  const LayerSpec& last = m.spec.layers.back();
  if (last.activation != Activation::kSoftmax) {
    throw std::invalid_argument("cross entropy needs a softmax output layer ('dense N softmax' last)");
  }
  if (static_cast<int64_t>(labels.size()) != m.batch) {
    throw std::invalid_argument("backward: " + std::to_string(labels.size()) + " labels for a batch of " +
                                std::to_string(m.batch));
  }
  const int classes = last.units;
  const T loss = T(cross_entropy<T>(m.acts.back(), labels, classes));
  // d(mean -log softmax(z)[label]) / dz = (p - onehot(label)) / batch.
  std::vector<T>& g = m.grads.back();
  g.resize(m.acts.back().size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = m.acts.back()[i];
  for (int n = 0; n < m.batch; ++n) g[int64_t{n} * classes + labels[n]] -= T(1);
  for (T& v : g) v /= T(m.batch);
  m.backward_from(m.layers.size() - 1);
  return loss;
}

template <class T>
T BasicNetwork<T>::backward_mse(std::span<const T> targets) {
  Impl& m = *impl_;
  const std::vector<T>& out = m.acts.back();
  if (targets.size() != out.size()) {
    throw std::invalid_argument("backward: " + std::to_string(targets.size()) + " targets for " +
                                std::to_string(out.size()) + " outputs");
  }
  const T loss = T(mean_squared_error<T>(out, targets));
  std::vector<T>& g = m.grads.back();
  g.resize(out.size());
  const T scale = T(2) / T(out.size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = scale * (out[i] - targets[i]);
  m.backward_from(m.layers.size());
  return loss;
}

template <class T>
void BasicNetwork<T>::merge_batch_statistics(std::span<BasicNetwork> replicas) {
  Impl& m = *impl_;
  for (const BasicNetwork& r : replicas) {
    bool same = &r != this && r.impl_->batch_norms.size() == m.batch_norms.size();
    for (size_t l = 0; same && l < m.batch_norms.size(); ++l) {
      same = r.impl_->batch_norms[l]->channels() == m.batch_norms[l]->channels();
    }
    if (!same) throw std::invalid_argument("merge_batch_statistics: a replica's batchnorm layers differ");
  }
  for (size_t l = 0; l < m.batch_norms.size(); ++l) {
    BatchNorm<T>& own = *m.batch_norms[l];
    std::vector<BatchStats*> parts;
    if (own.stats().count > 0) parts.push_back(&own.stats());
    for (BasicNetwork& r : replicas) {
      BatchStats& stats = r.impl_->batch_norms[l]->stats();
      if (stats.count > 0) parts.push_back(&stats);
    }
    if (parts.empty()) continue;
    const int c = own.channels();
    BatchStats all;
    if (parts.size() == 1) {
      all = *parts[0];  // the update forward() made, bit for bit
    } else {
      // Combined mean and variance: the variance of the union is the mean of the parts' variances plus the
      // variance of their means, each weighted by its count.
      all.mean.assign(c, 0.0);
      all.variance.assign(c, 0.0);
      for (const BatchStats* p : parts) all.count += p->count;
      const double total = static_cast<double>(all.count);
      for (const BatchStats* p : parts) {
        for (int i = 0; i < c; ++i) all.mean[i] += static_cast<double>(p->count) * p->mean[i] / total;
      }
      for (const BatchStats* p : parts) {
        for (int i = 0; i < c; ++i) {
          const double d = p->mean[i] - all.mean[i];
          all.variance[i] += static_cast<double>(p->count) * (p->variance[i] + d * d) / total;
        }
      }
    }
    // From the moving values before this network's last training forward(), if it ran one.
    const bool own_ran = own.stats().count > 0;
    const std::vector<T> base_mean = own_ran ? own.previous_mean() : own.moving_mean().value;
    const std::vector<T> base_variance = own_ran ? own.previous_variance() : own.moving_variance().value;
    move_towards(base_mean, all.mean, &own.moving_mean().value);
    move_towards(base_variance, all.variance, &own.moving_variance().value);
    own.stats().count = 0;
    for (BasicNetwork& r : replicas) {
      BatchNorm<T>& other = *r.impl_->batch_norms[l];
      other.stats().count = 0;
      other.moving_mean().value = own.moving_mean().value;
      other.moving_variance().value = own.moving_variance().value;
    }
  }
}

template <class T>
double cross_entropy(std::span<const T> probabilities, std::span<const int32_t> labels, int classes) {
  if (probabilities.size() != labels.size() * classes) {
    throw std::invalid_argument("cross entropy: " + std::to_string(probabilities.size()) + " values for " +
                                std::to_string(labels.size()) + " labels of " + std::to_string(classes) +
                                " classes");
  }
  double sum = 0;
  for (size_t n = 0; n < labels.size(); ++n) {
    if (labels[n] < 0 || labels[n] >= classes) {
      throw std::invalid_argument("label " + std::to_string(labels[n]) + " of sample " + std::to_string(n) +
                                  " is outside [0, " + std::to_string(classes) + ")");
    }
    sum -= std::log(std::max(static_cast<double>(probabilities[n * classes + labels[n]]), 1e-7));
  }
  return labels.empty() ? 0.0 : sum / static_cast<double>(labels.size());
}

template <class T>
double mean_squared_error(std::span<const T> outputs, std::span<const T> targets) {
  if (outputs.size() != targets.size()) throw std::invalid_argument("mean squared error: sizes differ");
  double sum = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const double d = static_cast<double>(outputs[i]) - static_cast<double>(targets[i]);
    sum += d * d;
  }
  return outputs.empty() ? 0.0 : sum / static_cast<double>(outputs.size());
}

template class BasicNetwork<float>;
template class BasicNetwork<double>;
template double cross_entropy<float>(std::span<const float>, std::span<const int32_t>, int);
template double cross_entropy<double>(std::span<const double>, std::span<const int32_t>, int);
template double mean_squared_error<float>(std::span<const float>, std::span<const float>);
template double mean_squared_error<double>(std::span<const double>, std::span<const double>);

}  // namespace edgeinfer::compiler::train
