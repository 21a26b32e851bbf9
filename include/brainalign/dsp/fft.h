// Discrete Fourier transforms for the front ends. The backend (Eigen's FFT module) is hidden
// behind this class so that it can be swapped without touching the callers.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace brainalign::dsp {

// Transforms of one fixed size in double precision. An instance keeps plans and scratch
// buffers, so it is not safe to share between threads: give each thread its own.
class Fft {
 public:
  explicit Fft(int size);
  ~Fft();
  Fft(Fft&&) noexcept;
  Fft& operator=(Fft&&) noexcept;
  Fft(const Fft&) = delete;
  Fft& operator=(const Fft&) = delete;

  int size() const { return size_; }
  // Number of bins of a real signal's spectrum: size / 2 + 1.
  int num_bins() const { return size_ / 2 + 1; }

  // Unnormalised DFT of a real signal of `size` samples: bins 0..size/2.
  void forward_real(std::span<const double> signal, std::span<std::complex<double>> bins);
  // Inverse of forward_real (with the 1 / size factor): bins 0..size/2 in, `size` samples out.
  void inverse_real(std::span<const std::complex<double>> bins, std::span<double> signal);
  // Unnormalised complex DFT.
  void forward(std::span<const std::complex<double>> in, std::span<std::complex<double>> out);
  // Inverse complex DFT with the 1 / size factor.
  void inverse(std::span<const std::complex<double>> in, std::span<std::complex<double>> out);

  // |X_k|^2 for k = 0..size/2 of `frame` (at most `size` samples) zero-padded to `size`.
  void power_spectrum(std::span<const double> frame, std::span<double> power);

 private:
  struct Impl;
  int size_;
  std::unique_ptr<Impl> impl_;
};

// Many complex DFTs of one size at once, for sizes whose prime factors are 2, 3 and 5 (a
// self-sorting mixed-radix Stockham algorithm). Data are in split format with the batch
// innermost: element j of sequence b is re[j * batch + b] + i im[j * batch + b], so every
// butterfly sweeps contiguous memory and vectorises. The plan is immutable: one instance can
// serve several threads, each passing its own buffers.
class BatchFft {
 public:
  explicit BatchFft(int size);

  int size() const { return size_; }

  // In-place unnormalised forward transforms (e^{-2 pi i jk / size}) of `batch` sequences;
  // work_re and work_im are scratch space. Every span holds size * batch values.
  void forward(std::span<double> re, std::span<double> im, std::span<double> work_re,
               std::span<double> work_im, std::size_t batch) const;
  // The same with e^{+2 pi i jk / size}, without the 1 / size factor.
  void inverse(std::span<double> re, std::span<double> im, std::span<double> work_re,
               std::span<double> work_im, std::size_t batch) const;

 private:
  struct Stage {
    int radix;
    std::size_t groups;  // length / radix at this stage
    std::size_t stride;  // in sequences: product of the radices of earlier stages
    std::vector<double> twiddle_re, twiddle_im;  // groups x (radix - 1), forward direction
  };
  void run(bool inverse, std::span<double> re, std::span<double> im, std::span<double> work_re,
           std::span<double> work_im, std::size_t batch) const;

  int size_;
  std::vector<Stage> stages_;
};

}  // namespace brainalign::dsp
