#include "brainalign/dsp/fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "brainalign/base/error.h"

namespace brainalign::dsp {
namespace {

// Direct O(n^2) DFT with exponent sign `sign`.
std::vector<std::complex<double>> direct_dft(const std::vector<std::complex<double>>& x, int sign) {
  const std::size_t n = x.size();
  std::vector<std::complex<double>> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    for (std::size_t j = 0; j < n; ++j) {
      out[k] += x[j] * std::polar(1.0, sign * 2.0 * M_PI * static_cast<double>(j * k % n) /
                                           static_cast<double>(n));
    }
  }
  return out;
}

TEST(Fft, RealTransformsMatchDirectDft) {
  for (int n : {8, 12, 400, 422}) {
    Fft fft(n);
    std::vector<double> signal(static_cast<std::size_t>(n));
    std::vector<std::complex<double>> as_complex(signal.size());
    for (std::size_t i = 0; i < signal.size(); ++i) {
      signal[i] = std::sin(0.3 * static_cast<double>(i * i)) + 0.1 * static_cast<double>(i % 5);
      as_complex[i] = signal[i];
    }
    const auto expected = direct_dft(as_complex, -1);
    std::vector<std::complex<double>> bins(static_cast<std::size_t>(fft.num_bins()));
    fft.forward_real(signal, bins);
    std::vector<double> power(bins.size());
    fft.power_spectrum(signal, power);
    for (std::size_t k = 0; k < bins.size(); ++k) {
      EXPECT_NEAR(std::abs(bins[k] - expected[k]), 0.0, 1e-9) << n << " bin " << k;
      EXPECT_NEAR(power[k], std::norm(expected[k]), 1e-8);
    }
    std::vector<double> back(signal.size());
    fft.inverse_real(bins, back);
    for (std::size_t i = 0; i < signal.size(); ++i) EXPECT_NEAR(back[i], signal[i], 1e-12);
  }
}

TEST(BatchFft, MatchesDirectDftForMixedRadices) {
  for (int n : {1, 2, 3, 4, 5, 6, 8, 15, 16, 40, 45, 100, 432, 800}) {
    const std::size_t batch = 3;
    const std::size_t size = static_cast<std::size_t>(n);
    BatchFft fft(n);
    std::vector<std::vector<std::complex<double>>> sequences(
        batch, std::vector<std::complex<double>>(size));
    std::vector<double> re(size * batch), im(size * batch), work_re(re.size()), work_im(re.size());
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t j = 0; j < size; ++j) {
        sequences[b][j] = {
            std::cos(0.7 * static_cast<double>(j * (b + 1))) + 0.2 * static_cast<double>(b),
            std::sin(0.05 * static_cast<double>(j * j)) - 0.1};
        re[j * batch + b] = sequences[b][j].real();
        im[j * batch + b] = sequences[b][j].imag();
      }
    }
    std::vector<double> re2 = re, im2 = im;
    fft.forward(re, im, work_re, work_im, batch);
    fft.inverse(re2, im2, work_re, work_im, batch);
    for (std::size_t b = 0; b < batch; ++b) {
      const auto forward = direct_dft(sequences[b], -1);
      const auto inverse = direct_dft(sequences[b], 1);
      for (std::size_t k = 0; k < size; ++k) {
        EXPECT_NEAR(re[k * batch + b], forward[k].real(), 1e-9) << n << " " << k;
        EXPECT_NEAR(im[k * batch + b], forward[k].imag(), 1e-9) << n << " " << k;
        EXPECT_NEAR(re2[k * batch + b], inverse[k].real(), 1e-9) << n << " " << k;
        EXPECT_NEAR(im2[k * batch + b], inverse[k].imag(), 1e-9) << n << " " << k;
      }
    }
  }
}

TEST(BatchFft, RejectsLargePrimeFactors) { EXPECT_THROW(BatchFft(422), InputError); }

}  // namespace
}  // namespace brainalign::dsp
