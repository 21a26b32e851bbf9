#include "brainalign/dsp/fft.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <unsupported/Eigen/FFT>
#include <vector>

#include "brainalign/base/error.h"

namespace brainalign::dsp {

struct Fft::Impl {
  Eigen::FFT<double> backend;
  std::vector<double> real_buffer;
  std::vector<std::complex<double>> complex_buffer;
};

namespace {

void check_length(std::size_t actual, int expected, const char* what) {
  if (actual != static_cast<std::size_t>(expected)) {
    throw std::invalid_argument(std::string("Fft: ") + what + " has " + std::to_string(actual) +
                                " values, expected " + std::to_string(expected));
  }
}

}  // namespace

Fft::Fft(int size) : size_(size), impl_(std::make_unique<Impl>()) {
  if (size < 1) throw InputError("FFT size must be positive, got " + std::to_string(size));
  impl_->backend.SetFlag(Eigen::FFT<double>::HalfSpectrum);
  impl_->real_buffer.resize(static_cast<std::size_t>(size));
  impl_->complex_buffer.resize(static_cast<std::size_t>(size));
}

Fft::~Fft() = default;
Fft::Fft(Fft&&) noexcept = default;
Fft& Fft::operator=(Fft&&) noexcept = default;

void Fft::forward_real(std::span<const double> signal, std::span<std::complex<double>> bins) {
  check_length(signal.size(), size_, "signal");
  check_length(bins.size(), num_bins(), "spectrum");
  impl_->backend.fwd(bins.data(), signal.data(), size_);
}

void Fft::inverse_real(std::span<const std::complex<double>> bins, std::span<double> signal) {
  check_length(bins.size(), num_bins(), "spectrum");
  check_length(signal.size(), size_, "signal");
  impl_->backend.inv(signal.data(), bins.data(), size_);
}

void Fft::forward(std::span<const std::complex<double>> in, std::span<std::complex<double>> out) {
  check_length(in.size(), size_, "input");
  check_length(out.size(), size_, "output");
  impl_->backend.fwd(out.data(), in.data(), size_);
}

void Fft::inverse(std::span<const std::complex<double>> in, std::span<std::complex<double>> out) {
  check_length(in.size(), size_, "input");
  check_length(out.size(), size_, "output");
  impl_->backend.inv(out.data(), in.data(), size_);
}

void Fft::power_spectrum(std::span<const double> frame, std::span<double> power) {
  if (frame.size() > static_cast<std::size_t>(size_)) {
    throw std::invalid_argument("Fft: frame of " + std::to_string(frame.size()) +
                                " samples is longer than the FFT size " + std::to_string(size_));
  }
  check_length(power.size(), num_bins(), "power spectrum");
  auto& buffer = impl_->real_buffer;
  std::copy(frame.begin(), frame.end(), buffer.begin());
  std::fill(buffer.begin() + static_cast<std::ptrdiff_t>(frame.size()), buffer.end(), 0.0);
  std::span<std::complex<double>> bins(impl_->complex_buffer.data(),
                                       static_cast<std::size_t>(num_bins()));
  impl_->backend.fwd(bins.data(), buffer.data(), size_);
  for (std::size_t k = 0; k < bins.size(); ++k) power[k] = std::norm(bins[k]);
}

}  // namespace brainalign::dsp
