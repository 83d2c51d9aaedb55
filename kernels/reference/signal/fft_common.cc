#include "kernels/reference/signal/fft_common.h"

#include <cmath>

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

// pi as kissfft writes it (both of its literals round to this double).
constexpr double kPi = 3.141592653589793238462643383279502884;

// Scalar arithmetic of each sample type, as kissfft's macros do it for that type.
template <class T>
struct Arith;

template <>
struct Arith<int16_t> {
  using Wide = int32_t;  // kissfft's SAMPPROD for 16 bits
  static constexpr Wide kMax = 32767;
  static constexpr int kFracBits = 15;

  // Results are narrowed like C's assignment to int16_t (modulo 2^16).
  static int16_t narrow(int32_t v) { return static_cast<int16_t>(v); }
  static int16_t add(int16_t a, int16_t b) { return narrow(int32_t{a} + b); }
  static int16_t sub(int16_t a, int16_t b) { return narrow(int32_t{a} - b); }
  static int16_t negate(int16_t a) { return narrow(-int32_t{a}); }
  static int16_t times_minus_one(int16_t a) { return negate(a); }
  // HALF_OF(a + b): the sum is an int before the shift.
  static int16_t half_sum(int16_t a, int16_t b) { return narrow((int32_t{a} + b) >> 1); }
  static int16_t half_diff(int16_t a, int16_t b) { return narrow((int32_t{a} - b) >> 1); }
  static int16_t round(Wide x) { return narrow((x + (Wide{1} << (kFracBits - 1))) >> kFracBits); }
  static Wide product(int16_t a, int16_t b) { return Wide{a} * b; }
  static int16_t twiddle(double unit) { return static_cast<int16_t>(std::floor(0.5 + kMax * unit)); }
};

template <>
struct Arith<int32_t> {
  using Wide = int64_t;  // kissfft's SAMPPROD for 32 bits
  static constexpr Wide kMax = 2147483647;
  static constexpr int kFracBits = 31;

  // kissfft's int32 sums may overflow; they wrap as two's complement (done in unsigned to stay defined).
  static int32_t add(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
  }
  static int32_t sub(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
  }
  static int32_t negate(int32_t a) { return static_cast<int32_t>(0u - static_cast<uint32_t>(a)); }
  static int32_t times_minus_one(int32_t a) { return negate(a); }
  static int32_t half_sum(int32_t a, int32_t b) { return add(a, b) >> 1; }
  static int32_t half_diff(int32_t a, int32_t b) { return sub(a, b) >> 1; }
  static int32_t round(Wide x) {
    return static_cast<int32_t>((x + (Wide{1} << (kFracBits - 1))) >> kFracBits);
  }
  static Wide product(int32_t a, int32_t b) { return Wide{a} * b; }
  static int32_t twiddle(double unit) { return static_cast<int32_t>(std::floor(0.5 + kMax * unit)); }
};

template <>
struct Arith<float> {
  static float add(float a, float b) { return a + b; }
  static float sub(float a, float b) { return a - b; }
  static float negate(float a) { return -a; }
  // kissfft multiplies by -1 here, which differs from negation for NaNs on some FPUs.
  static float times_minus_one(float a) { return a * -1.0f; }
  static float half_sum(float a, float b) { return (a + b) * 0.5f; }
  static float half_diff(float a, float b) { return (a - b) * 0.5f; }
  static float twiddle(double unit) { return static_cast<float>(unit); }
};

// C_FIXDIV: fixed point divides by the radix before each butterfly (max / k, rounded product); float does
// not.
template <class T>
inline void divide(Complex<T>& c, int k) {
  using A = Arith<T>;
  const typename A::Wide factor = A::kMax / k;
  c.real = A::round(A::product(c.real, static_cast<T>(factor)));
  c.imag = A::round(A::product(c.imag, static_cast<T>(factor)));
}
template <>
inline void divide<float>(Complex<float>&, int) {}

// C_MUL.
template <class T>
inline Complex<T> multiply(const Complex<T>& a, const Complex<T>& b) {
  using A = Arith<T>;
  return {A::round(A::product(a.real, b.real) - A::product(a.imag, b.imag)),
          A::round(A::product(a.real, b.imag) + A::product(a.imag, b.real))};
}
template <>
inline Complex<float> multiply<float>(const Complex<float>& a, const Complex<float>& b) {
  return {a.real * b.real - a.imag * b.imag, a.real * b.imag + a.imag * b.real};
}

template <class T>
inline Complex<T> add(const Complex<T>& a, const Complex<T>& b) {
  return {Arith<T>::add(a.real, b.real), Arith<T>::add(a.imag, b.imag)};
}
template <class T>
inline Complex<T> sub(const Complex<T>& a, const Complex<T>& b) {
  return {Arith<T>::sub(a.real, b.real), Arith<T>::sub(a.imag, b.imag)};
}

template <class T>
void butterfly2(const RealFftPlan<T>& plan, Complex<T>* out, size_t fstride, int32_t m) {
  Complex<T>* out2 = out + m;
  for (int32_t k = 0; k < m; ++k) {
    divide(out[k], 2);
    divide(out2[k], 2);
    const Complex<T> t = multiply(out2[k], plan.twiddles[k * fstride]);
    out2[k] = sub(out[k], t);
    out[k] = add(out[k], t);
  }
}

template <class T>
void butterfly4(const RealFftPlan<T>& plan, Complex<T>* out, size_t fstride, int32_t m) {
  using A = Arith<T>;
  const Complex<T>* tw = plan.twiddles;
  for (int32_t k = 0; k < m; ++k) {
    Complex<T>* f = out + k;
    divide(f[0], 4);
    divide(f[m], 4);
    divide(f[2 * m], 4);
    divide(f[3 * m], 4);
    const Complex<T> s0 = multiply(f[m], tw[k * fstride]);
    const Complex<T> s1 = multiply(f[2 * m], tw[2 * k * fstride]);
    const Complex<T> s2 = multiply(f[3 * m], tw[3 * k * fstride]);
    const Complex<T> s5 = sub(f[0], s1);
    f[0] = add(f[0], s1);
    const Complex<T> s3 = add(s0, s2);
    const Complex<T> s4 = sub(s0, s2);
    f[2 * m] = sub(f[0], s3);
    f[0] = add(f[0], s3);
    if (plan.inverse) {
      f[m] = {A::sub(s5.real, s4.imag), A::add(s5.imag, s4.real)};
      f[3 * m] = {A::add(s5.real, s4.imag), A::sub(s5.imag, s4.real)};
    } else {
      f[m] = {A::add(s5.real, s4.imag), A::sub(s5.imag, s4.real)};
      f[3 * m] = {A::sub(s5.real, s4.imag), A::add(s5.imag, s4.real)};
    }
  }
}

// kissfft's kf_work: stage `stage` of a decimation-in-time FFT over inputs `fstride` apart.
template <class T>
void fft_stage(const RealFftPlan<T>& plan, int stage, Complex<T>* out, const Complex<T>* in, size_t fstride) {
  const int32_t p = plan.radix[stage];
  const int32_t m = plan.stride[stage];
  if (m == 1) {
    for (int32_t j = 0; j < p; ++j) out[j] = in[j * fstride];
  } else {
    for (int32_t j = 0; j < p; ++j) fft_stage(plan, stage + 1, out + j * m, in + j * fstride, fstride * p);
  }
  if (p == 4) {
    butterfly4(plan, out, fstride, m);
  } else {
    butterfly2(plan, out, fstride, m);
  }
}

}  // namespace

bool is_supported_fft_length(int32_t fft_length) {
  return fft_length >= kMinFftLength && fft_length <= kMaxFftLength && (fft_length & (fft_length - 1)) == 0;
}

size_t real_fft_table_entries(int32_t fft_length) {
  return static_cast<size_t>(fft_length / 2) + static_cast<size_t>(fft_length / 4);
}

template <class T>
void init_real_fft_plan(int32_t fft_length, bool inverse, Complex<T>* tables, RealFftPlan<T>* plan) {
  using A = Arith<T>;
  const int32_t n = fft_length / 2;  // complex points
  plan->fft_length = fft_length;
  plan->inverse = inverse;
  plan->num_stages = 0;
  // kissfft's factorization of a power of two: fours while they divide, then a two.
  for (int32_t rest = n; rest > 1;) {
    const int32_t p = rest % 4 == 0 ? 4 : 2;
    rest /= p;
    plan->radix[plan->num_stages] = p;
    plan->stride[plan->num_stages] = rest;
    ++plan->num_stages;
  }
  Complex<T>* twiddles = tables;
  for (int32_t i = 0; i < n; ++i) {
    double phase = -2 * kPi * i / n;
    if (inverse) phase *= -1;
    twiddles[i] = {A::twiddle(std::cos(phase)), A::twiddle(std::sin(phase))};
  }
  Complex<T>* super = tables + n;
  for (int32_t i = 0; i < n / 2; ++i) {
    double phase = -kPi * (static_cast<double>(i + 1) / n + 0.5);
    if (inverse) phase *= -1;
    super[i] = {A::twiddle(std::cos(phase)), A::twiddle(std::sin(phase))};
  }
  plan->twiddles = twiddles;
  plan->super_twiddles = super;
}

template <class T>
void real_fft_forward(const RealFftPlan<T>& plan, const Complex<T>* input, Complex<T>* output,
                      Complex<T>* work) {
  using A = Arith<T>;
  const int32_t n = plan.fft_length / 2;
  // A complex FFT of the even samples (real parts) and odd samples (imaginary parts) at once ...
  fft_stage(plan, 0, work, input, 1);
  // ... then separated into the spectrum of the real signal.
  Complex<T> dc = work[0];
  divide(dc, 2);
  output[0].real = A::add(dc.real, dc.imag);
  output[n].real = A::sub(dc.real, dc.imag);
  output[0].imag = T(0);
  output[n].imag = T(0);
  for (int32_t k = 1; k <= n / 2; ++k) {
    Complex<T> fpk = work[k];
    Complex<T> fpnk = {work[n - k].real, A::negate(work[n - k].imag)};
    divide(fpk, 2);
    divide(fpnk, 2);
    const Complex<T> f1k = add(fpk, fpnk);
    const Complex<T> f2k = sub(fpk, fpnk);
    const Complex<T> tw = multiply(f2k, plan.super_twiddles[k - 1]);
    // At k == n / 2 both writes hit the same bin; the second one stands, as in kissfft.
    output[k].real = A::half_sum(f1k.real, tw.real);
    output[k].imag = A::half_sum(f1k.imag, tw.imag);
    output[n - k].real = A::half_diff(f1k.real, tw.real);
    output[n - k].imag = A::half_diff(tw.imag, f1k.imag);
  }
}

template <class T>
void real_fft_inverse(const RealFftPlan<T>& plan, const Complex<T>* input, Complex<T>* output,
                      Complex<T>* work) {
  using A = Arith<T>;
  const int32_t n = plan.fft_length / 2;
  work[0].real = A::add(input[0].real, input[n].real);
  work[0].imag = A::sub(input[0].real, input[n].real);
  divide(work[0], 2);
  for (int32_t k = 1; k <= n / 2; ++k) {
    Complex<T> fk = input[k];
    Complex<T> fnkc = {input[n - k].real, A::negate(input[n - k].imag)};
    divide(fk, 2);
    divide(fnkc, 2);
    const Complex<T> fek = add(fk, fnkc);
    const Complex<T> diff = sub(fk, fnkc);
    const Complex<T> fok = multiply(diff, plan.super_twiddles[k - 1]);
    work[k] = add(fek, fok);
    work[n - k] = sub(fek, fok);
    work[n - k].imag = A::times_minus_one(work[n - k].imag);
  }
  fft_stage(plan, 0, output, work, 1);
}

template void init_real_fft_plan<int16_t>(int32_t, bool, Complex<int16_t>*, RealFftPlan<int16_t>*);
template void init_real_fft_plan<int32_t>(int32_t, bool, Complex<int32_t>*, RealFftPlan<int32_t>*);
template void init_real_fft_plan<float>(int32_t, bool, Complex<float>*, RealFftPlan<float>*);
template void real_fft_forward<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*,
                                        Complex<int16_t>*, Complex<int16_t>*);
template void real_fft_forward<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*,
                                        Complex<int32_t>*, Complex<int32_t>*);
template void real_fft_forward<float>(const RealFftPlan<float>&, const Complex<float>*, Complex<float>*,
                                      Complex<float>*);
template void real_fft_inverse<int16_t>(const RealFftPlan<int16_t>&, const Complex<int16_t>*,
                                        Complex<int16_t>*, Complex<int16_t>*);
template void real_fft_inverse<int32_t>(const RealFftPlan<int32_t>&, const Complex<int32_t>*,
                                        Complex<int32_t>*, Complex<int32_t>*);
template void real_fft_inverse<float>(const RealFftPlan<float>&, const Complex<float>*, Complex<float>*,
                                      Complex<float>*);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
