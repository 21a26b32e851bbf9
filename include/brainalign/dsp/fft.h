// Discrete Fourier transforms for the front ends. The backend (Eigen's FFT module) is hidden
// behind this class so that it can be swapped without touching the callers.
#pragma once

#include <complex>
#include <memory>
#include <span>

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

}  // namespace brainalign::dsp
