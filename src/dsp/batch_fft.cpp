// The butterflies of BatchFft. Each loops over one contiguous run of `stride * batch` values
// with fixed twiddles, which the compiler vectorises.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "vector_clones.h"

namespace brainalign::dsp {

namespace {

// One stage of radix p: inputs at (j + k * groups) * run, outputs at (p * j + r) * run, where
// run = stride * batch; twiddles w^{j r} of this stage (conjugated for the inverse).
struct StageArgs {
  const double* __restrict in_re;
  const double* __restrict in_im;
  double* __restrict out_re;
  double* __restrict out_im;
  std::size_t groups;
  std::size_t run;
  const double* twiddle_re;
  const double* twiddle_im;
  double direction;  // -1 forward, +1 inverse: the sign of the exponent
};

BRAINALIGN_VECTOR_CLONES
void radix2(const StageArgs& a) {
  const std::size_t m = a.groups, run = a.run;
  for (std::size_t j = 0; j < m; ++j) {
    const double wr = a.twiddle_re[j], wi = -a.direction * a.twiddle_im[j];
    const double* __restrict x0r = a.in_re + j * run;
    const double* __restrict x0i = a.in_im + j * run;
    const double* __restrict x1r = a.in_re + (j + m) * run;
    const double* __restrict x1i = a.in_im + (j + m) * run;
    double* __restrict y0r = a.out_re + 2 * j * run;
    double* __restrict y0i = a.out_im + 2 * j * run;
    double* __restrict y1r = a.out_re + (2 * j + 1) * run;
    double* __restrict y1i = a.out_im + (2 * j + 1) * run;
    // Inputs and outputs are different buffers.
#pragma GCC ivdep
    for (std::size_t i = 0; i < run; ++i) {
      const double dr = x0r[i] - x1r[i], di = x0i[i] - x1i[i];
      y0r[i] = x0r[i] + x1r[i];
      y0i[i] = x0i[i] + x1i[i];
      y1r[i] = dr * wr - di * wi;
      y1i[i] = dr * wi + di * wr;
    }
  }
}

BRAINALIGN_VECTOR_CLONES
void radix3(const StageArgs& a) {
  const std::size_t m = a.groups, run = a.run;
  const double c = -0.5, s = a.direction * std::sqrt(3.0) / 2.0;
  for (std::size_t j = 0; j < m; ++j) {
    const double w1r = a.twiddle_re[2 * j], w1i = -a.direction * a.twiddle_im[2 * j];
    const double w2r = a.twiddle_re[2 * j + 1], w2i = -a.direction * a.twiddle_im[2 * j + 1];
    const double* __restrict x0r = a.in_re + j * run;
    const double* __restrict x0i = a.in_im + j * run;
    const double* __restrict x1r = a.in_re + (j + m) * run;
    const double* __restrict x1i = a.in_im + (j + m) * run;
    const double* __restrict x2r = a.in_re + (j + 2 * m) * run;
    const double* __restrict x2i = a.in_im + (j + 2 * m) * run;
    double* __restrict y0r = a.out_re + 3 * j * run;
    double* __restrict y0i = a.out_im + 3 * j * run;
    double* __restrict y1r = a.out_re + (3 * j + 1) * run;
    double* __restrict y1i = a.out_im + (3 * j + 1) * run;
    double* __restrict y2r = a.out_re + (3 * j + 2) * run;
    double* __restrict y2i = a.out_im + (3 * j + 2) * run;
    // Inputs and outputs are different buffers.
#pragma GCC ivdep
    for (std::size_t i = 0; i < run; ++i) {
      const double br = x1r[i] + x2r[i], bi = x1i[i] + x2i[i];
      const double dr = x1r[i] - x2r[i], di = x1i[i] - x2i[i];
      const double mr = x0r[i] + c * br, mi = x0i[i] + c * bi;
      // A1 = m + i s d, A2 = m - i s d
      const double a1r = mr - s * di, a1i = mi + s * dr;
      const double a2r = mr + s * di, a2i = mi - s * dr;
      y0r[i] = x0r[i] + br;
      y0i[i] = x0i[i] + bi;
      y1r[i] = a1r * w1r - a1i * w1i;
      y1i[i] = a1r * w1i + a1i * w1r;
      y2r[i] = a2r * w2r - a2i * w2i;
      y2i[i] = a2r * w2i + a2i * w2r;
    }
  }
}

BRAINALIGN_VECTOR_CLONES
void radix4(const StageArgs& a) {
  const std::size_t m = a.groups, run = a.run;
  const double f = -a.direction;  // +1 forward: A1 = t1 - i d
  for (std::size_t j = 0; j < m; ++j) {
    const double w1r = a.twiddle_re[3 * j], w1i = f * a.twiddle_im[3 * j];
    const double w2r = a.twiddle_re[3 * j + 1], w2i = f * a.twiddle_im[3 * j + 1];
    const double w3r = a.twiddle_re[3 * j + 2], w3i = f * a.twiddle_im[3 * j + 2];
    const double* __restrict x0r = a.in_re + j * run;
    const double* __restrict x0i = a.in_im + j * run;
    const double* __restrict x1r = a.in_re + (j + m) * run;
    const double* __restrict x1i = a.in_im + (j + m) * run;
    const double* __restrict x2r = a.in_re + (j + 2 * m) * run;
    const double* __restrict x2i = a.in_im + (j + 2 * m) * run;
    const double* __restrict x3r = a.in_re + (j + 3 * m) * run;
    const double* __restrict x3i = a.in_im + (j + 3 * m) * run;
    double* __restrict y0r = a.out_re + 4 * j * run;
    double* __restrict y0i = a.out_im + 4 * j * run;
    double* __restrict y1r = a.out_re + (4 * j + 1) * run;
    double* __restrict y1i = a.out_im + (4 * j + 1) * run;
    double* __restrict y2r = a.out_re + (4 * j + 2) * run;
    double* __restrict y2i = a.out_im + (4 * j + 2) * run;
    double* __restrict y3r = a.out_re + (4 * j + 3) * run;
    double* __restrict y3i = a.out_im + (4 * j + 3) * run;
    // Inputs and outputs are different buffers.
#pragma GCC ivdep
    for (std::size_t i = 0; i < run; ++i) {
      const double t0r = x0r[i] + x2r[i], t0i = x0i[i] + x2i[i];
      const double t1r = x0r[i] - x2r[i], t1i = x0i[i] - x2i[i];
      const double t2r = x1r[i] + x3r[i], t2i = x1i[i] + x3i[i];
      const double dr = x1r[i] - x3r[i], di = x1i[i] - x3i[i];
      const double a1r = t1r + f * di, a1i = t1i - f * dr;
      const double a2r = t0r - t2r, a2i = t0i - t2i;
      const double a3r = t1r - f * di, a3i = t1i + f * dr;
      y0r[i] = t0r + t2r;
      y0i[i] = t0i + t2i;
      y1r[i] = a1r * w1r - a1i * w1i;
      y1i[i] = a1r * w1i + a1i * w1r;
      y2r[i] = a2r * w2r - a2i * w2i;
      y2i[i] = a2r * w2i + a2i * w2r;
      y3r[i] = a3r * w3r - a3i * w3i;
      y3i[i] = a3r * w3i + a3i * w3r;
    }
  }
}

BRAINALIGN_VECTOR_CLONES
void radix5(const StageArgs& a) {
  const std::size_t m = a.groups, run = a.run;
  const double c1 = std::cos(2.0 * M_PI / 5.0), c2 = std::cos(4.0 * M_PI / 5.0);
  const double s1 = a.direction * std::sin(2.0 * M_PI / 5.0);
  const double s2 = a.direction * std::sin(4.0 * M_PI / 5.0);
  const double f = -a.direction;
  for (std::size_t j = 0; j < m; ++j) {
    double wr[4], wi[4];
    for (int r = 0; r < 4; ++r) {
      wr[r] = a.twiddle_re[4 * j + static_cast<std::size_t>(r)];
      wi[r] = f * a.twiddle_im[4 * j + static_cast<std::size_t>(r)];
    }
    const double* __restrict x0r = a.in_re + j * run;
    const double* __restrict x0i = a.in_im + j * run;
    const double* __restrict x1r = a.in_re + (j + m) * run;
    const double* __restrict x1i = a.in_im + (j + m) * run;
    const double* __restrict x2r = a.in_re + (j + 2 * m) * run;
    const double* __restrict x2i = a.in_im + (j + 2 * m) * run;
    const double* __restrict x3r = a.in_re + (j + 3 * m) * run;
    const double* __restrict x3i = a.in_im + (j + 3 * m) * run;
    const double* __restrict x4r = a.in_re + (j + 4 * m) * run;
    const double* __restrict x4i = a.in_im + (j + 4 * m) * run;
    double* __restrict y0r = a.out_re + 5 * j * run;
    double* __restrict y0i = a.out_im + 5 * j * run;
    double* __restrict y1r = a.out_re + (5 * j + 1) * run;
    double* __restrict y1i = a.out_im + (5 * j + 1) * run;
    double* __restrict y2r = a.out_re + (5 * j + 2) * run;
    double* __restrict y2i = a.out_im + (5 * j + 2) * run;
    double* __restrict y3r = a.out_re + (5 * j + 3) * run;
    double* __restrict y3i = a.out_im + (5 * j + 3) * run;
    double* __restrict y4r = a.out_re + (5 * j + 4) * run;
    double* __restrict y4i = a.out_im + (5 * j + 4) * run;
    // Inputs and outputs are different buffers.
#pragma GCC ivdep
    for (std::size_t i = 0; i < run; ++i) {
      const double b1r = x1r[i] + x4r[i], b1i = x1i[i] + x4i[i];
      const double b2r = x2r[i] + x3r[i], b2i = x2i[i] + x3i[i];
      const double d1r = x1r[i] - x4r[i], d1i = x1i[i] - x4i[i];
      const double d2r = x2r[i] - x3r[i], d2i = x2i[i] - x3i[i];
      const double m1r = x0r[i] + c1 * b1r + c2 * b2r, m1i = x0i[i] + c1 * b1i + c2 * b2i;
      const double m2r = x0r[i] + c2 * b1r + c1 * b2r, m2i = x0i[i] + c2 * b1i + c1 * b2i;
      // A1, A4 = m1 +- i (s1 d1 + s2 d2); A2, A3 = m2 +- i (s2 d1 - s1 d2)
      const double e1r = s1 * d1r + s2 * d2r, e1i = s1 * d1i + s2 * d2i;
      const double e2r = s2 * d1r - s1 * d2r, e2i = s2 * d1i - s1 * d2i;
      const double a1r = m1r - e1i, a1i = m1i + e1r;
      const double a4r = m1r + e1i, a4i = m1i - e1r;
      const double a2r = m2r - e2i, a2i = m2i + e2r;
      const double a3r = m2r + e2i, a3i = m2i - e2r;
      y0r[i] = x0r[i] + b1r + b2r;
      y0i[i] = x0i[i] + b1i + b2i;
      y1r[i] = a1r * wr[0] - a1i * wi[0];
      y1i[i] = a1r * wi[0] + a1i * wr[0];
      y2r[i] = a2r * wr[1] - a2i * wi[1];
      y2i[i] = a2r * wi[1] + a2i * wr[1];
      y3r[i] = a3r * wr[2] - a3i * wi[2];
      y3i[i] = a3r * wi[2] + a3i * wr[2];
      y4r[i] = a4r * wr[3] - a4i * wi[3];
      y4i[i] = a4r * wi[3] + a4i * wr[3];
    }
  }
}

}  // namespace

BatchFft::BatchFft(int size) : size_(size) {
  if (size < 1) throw InputError("FFT size must be positive, got " + std::to_string(size));
  int remaining = size;
  std::size_t stride = 1;
  while (remaining > 1) {
    int radix = 0;
    for (int candidate : {4, 2, 3, 5}) {
      if (remaining % candidate == 0) {
        radix = candidate;
        break;
      }
    }
    if (radix == 0) {
      throw InputError("batched FFT sizes must have no prime factor above 5, got " +
                       std::to_string(size));
    }
    Stage stage{radix, static_cast<std::size_t>(remaining / radix), stride, {}, {}};
    const auto r1 = static_cast<std::size_t>(radix - 1);
    stage.twiddle_re.resize(stage.groups * r1);
    stage.twiddle_im.resize(stage.groups * r1);
    for (std::size_t j = 0; j < stage.groups; ++j) {
      for (std::size_t r = 1; r <= r1; ++r) {
        const double angle = -2.0 * M_PI * static_cast<double>(j * r) / remaining;
        stage.twiddle_re[j * r1 + r - 1] = std::cos(angle);
        stage.twiddle_im[j * r1 + r - 1] = std::sin(angle);
      }
    }
    stages_.push_back(std::move(stage));
    stride *= static_cast<std::size_t>(radix);
    remaining /= radix;
  }
}

void BatchFft::forward(std::span<double> re, std::span<double> im, std::span<double> work_re,
                       std::span<double> work_im, std::size_t batch) const {
  run(false, re, im, work_re, work_im, batch);
}

void BatchFft::inverse(std::span<double> re, std::span<double> im, std::span<double> work_re,
                       std::span<double> work_im, std::size_t batch) const {
  run(true, re, im, work_re, work_im, batch);
}

void BatchFft::run(bool inverse, std::span<double> re, std::span<double> im,
                   std::span<double> work_re, std::span<double> work_im, std::size_t batch) const {
  const std::size_t total = static_cast<std::size_t>(size_) * batch;
  if (re.size() < total || im.size() < total || work_re.size() < total || work_im.size() < total) {
    throw std::invalid_argument("BatchFft: buffers need " + std::to_string(total) + " values");
  }
  double* x_re = re.data();
  double* x_im = im.data();
  double* y_re = work_re.data();
  double* y_im = work_im.data();
  for (const Stage& stage : stages_) {
    const StageArgs args{x_re,
                         x_im,
                         y_re,
                         y_im,
                         stage.groups,
                         stage.stride * batch,
                         stage.twiddle_re.data(),
                         stage.twiddle_im.data(),
                         inverse ? 1.0 : -1.0};
    switch (stage.radix) {
      case 2:
        radix2(args);
        break;
      case 3:
        radix3(args);
        break;
      case 4:
        radix4(args);
        break;
      default:
        radix5(args);
        break;
    }
    std::swap(x_re, y_re);
    std::swap(x_im, y_im);
  }
  if (x_re != re.data()) {
    std::copy_n(x_re, total, re.data());
    std::copy_n(x_im, total, im.data());
  }
}

}  // namespace brainalign::dsp
