#include "brainalign/dsp/spectemp.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "brainalign/dsp/fft.h"
#include "brainalign/error.h"

// How the filters are applied. The reference multiplies the 2-D DFT of the zero-padded
// cochleagram (422 x 1170) by H[v][u] = Hs[v] Ht[u] M(v, u), where the direction mask M keeps
// one pair of quadrants plus the DC and Nyquist lines. With Z the DC/Nyquist bins and sgn the
// sign of a bin's frequency (0 on Z), the masked transfer function of direction s = +-1 splits
// into separable terms:
//   H = 1/2 (Hs + Hs_Z)(Ht + Ht_Z) - Hs_Z Ht_Z + s/2 (Hs sgn)(Ht sgn).
// Each separable term is a convolution over channels followed by one over time, and only
// channel lags |d| <= 210 and time lags |e| <= 389 reach the cropped 211 x 390 output, so each
// kernel can run on any grid long enough to hold those lags without wrap-around. Both
// directions share the two products, (Hs + Hs_Z)(Ht + Ht_Z) and (Hs sgn)(Ht sgn).

namespace brainalign::dsp {

namespace {

constexpr int kFrames = SpectempFilterBank::kFrames;      // 390
constexpr int kChannels = SpectempFilterBank::kChannels;  // 211
constexpr int kPaddedFrames = 3 * kFrames;                // 1170
constexpr int kPaddedChannels = 2 * kChannels;            // 422
constexpr int kTemporalFft = 800;  // >= 2 * 389 + 1: the time lags that reach the crop
constexpr double kFrameRate = 200.0;      // Hz
constexpr double kChannelsPerCycle = 6.0;  // the reference's nominal channels per ERB
constexpr double kCochleagramScale = 100.0;
constexpr double kPowerFloor = 1e-8;
const std::vector<double> kRates = {0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0};
const std::vector<double> kScales = {0.0, 0.0625, 0.125, 0.25, 0.5, 1.0, 2.0};

using Complex = std::complex<double>;

// Section 4.1: normalised spectrum of a gammatone-like impulse response, keeping its phase; the
// highest rate is made high-pass by flattening from the peak through Nyquist.
std::vector<Complex> temporal_transfer(double rate, bool high_pass) {
  std::vector<Complex> impulse(kPaddedFrames, 0.0);
  double mean = 0.0;
  for (int n = 0; n < kFrames; ++n) {
    const double t = n * rate / kFrameRate;
    const double value = std::sin(2.0 * M_PI * t) * t * t * std::exp(-3.5 * t);
    impulse[static_cast<std::size_t>(n)] = value;
    mean += value;
  }
  mean /= kFrames;
  for (int n = 0; n < kFrames; ++n) impulse[static_cast<std::size_t>(n)] -= mean;
  std::vector<Complex> spectrum(kPaddedFrames);
  Fft(kPaddedFrames).forward(impulse, spectrum);

  std::vector<double> magnitude(kPaddedFrames);
  for (std::size_t u = 0; u < spectrum.size(); ++u) magnitude[u] = std::abs(spectrum[u]);
  const double peak = *std::max_element(magnitude.begin(), magnitude.end());
  for (double& value : magnitude) value /= peak;
  if (high_pass) {
    const int half = kPaddedFrames / 2;
    const auto positive_peak = std::max_element(magnitude.begin(), magnitude.begin() + half + 1);
    const auto negative_peak = std::max_element(magnitude.begin() + half + 1, magnitude.end());
    std::fill(positive_peak, negative_peak, 1.0);
  }
  for (std::size_t u = 0; u < spectrum.size(); ++u) {
    spectrum[u] = std::polar(magnitude[u], std::arg(spectrum[u]));
  }
  return spectrum;
}

// Section 4.2: real, even spectral transfer function R exp(-R), R = (f / scale)^2, normalised;
// the highest scale is made high-pass by flattening from the peak through Nyquist.
std::vector<double> spectral_transfer(double scale, bool high_pass) {
  const int half = kPaddedChannels / 2;
  std::vector<double> gain(static_cast<std::size_t>(half) + 1);
  for (int k = 0; k <= half; ++k) {
    const double ratio = kChannelsPerCycle * k / kPaddedChannels / scale;
    gain[static_cast<std::size_t>(k)] = ratio * ratio * std::exp(-ratio * ratio);
  }
  const auto peak = std::max_element(gain.begin(), gain.end());
  const double peak_value = *peak;
  for (double& value : gain) value /= peak_value;
  if (high_pass) std::fill(peak, gain.end(), 1.0);
  std::vector<double> full(kPaddedChannels);
  for (int k = 0; k <= half; ++k) full[static_cast<std::size_t>(k)] = gain[static_cast<std::size_t>(k)];
  for (int k = 1; k < half; ++k) {
    full[static_cast<std::size_t>(kPaddedChannels - k)] = gain[static_cast<std::size_t>(k)];
  }
  return full;
}

// Sign of the frequency of bin `index` of an even-length DFT: 0 at DC and Nyquist.
double bin_sign(int index, int size) {
  if (index == 0 || 2 * index == size) return 0.0;
  return 2 * index < size ? 1.0 : -1.0;
}

// Inverse DFT of a transfer function; `imaginary` picks the part that holds the kernel.
std::vector<double> kernel_of(const std::vector<Complex>& transfer, bool imaginary) {
  const int size = static_cast<int>(transfer.size());
  std::vector<Complex> kernel(transfer.size());
  Fft(size).inverse(transfer, kernel);
  std::vector<double> part(transfer.size());
  for (std::size_t i = 0; i < part.size(); ++i) {
    part[i] = imaginary ? kernel[i].imag() : kernel[i].real();
  }
  return part;
}

// A kernel of the 1170-frame grid moved to the shorter grid (time lags -389..389), as a spectrum.
std::vector<Complex> temporal_spectrum(const std::vector<double>& kernel) {
  std::vector<double> grid(kTemporalFft, 0.0);
  for (int lag = -(kFrames - 1); lag < kFrames; ++lag) {
    grid[static_cast<std::size_t>((lag + kTemporalFft) % kTemporalFft)] =
        kernel[static_cast<std::size_t>((lag + kPaddedFrames) % kPaddedFrames)];
  }
  Fft fft(kTemporalFft);
  std::vector<Complex> spectrum(static_cast<std::size_t>(fft.num_bins()));
  fft.forward_real(grid, spectrum);
  return spectrum;
}

// Convolution over channels with a kernel of the 422-channel grid, as a Toeplitz matrix.
Matrix channel_convolution(const std::vector<double>& kernel) {
  Matrix toeplitz(kChannels, kChannels);
  for (int c = 0; c < kChannels; ++c) {
    for (int source = 0; source < kChannels; ++source) {
      toeplitz(c, source) =
          kernel[static_cast<std::size_t>((c - source + kPaddedChannels) % kPaddedChannels)];
    }
  }
  return toeplitz;
}

}  // namespace

SpectempFilterBank::SpectempFilterBank() : rates_(kRates), scales_(kScales) {
  // Section 4.4: direction -1 with every rate and scale, then +1 without the zero ones.
  for (int direction : {-1, 1}) {
    for (double scale : scales_) {
      if (direction == 1 && scale == 0.0) continue;
      for (double rate : rates_) {
        if (direction == 1 && rate == 0.0) continue;
        filters_.push_back({rate == 0.0 ? 0.0 : direction * rate, scale});
      }
    }
  }

  const std::size_t num_rates = rates_.size();
  temporal_sum_.resize(num_rates);
  temporal_odd_.resize(num_rates);
  temporal_full_.resize(num_rates);
  temporal_dc_.assign(num_rates, 0.0);
  temporal_nyquist_.assign(num_rates, 0.0);
  for (std::size_t r = 1; r < num_rates; ++r) {
    const std::vector<Complex> transfer = temporal_transfer(rates_[r], r + 1 == num_rates);
    std::vector<Complex> sum(transfer), odd(transfer);
    for (int u = 0; u < kPaddedFrames; ++u) {
      const double sign = bin_sign(u, kPaddedFrames);
      if (sign == 0.0) sum[static_cast<std::size_t>(u)] *= 2.0;
      odd[static_cast<std::size_t>(u)] *= sign;
    }
    temporal_sum_[r] = temporal_spectrum(kernel_of(sum, false));
    temporal_odd_[r] = temporal_spectrum(kernel_of(odd, true));
    temporal_full_[r] = temporal_spectrum(kernel_of(transfer, false));
    temporal_dc_[r] = transfer[0].real();
    temporal_nyquist_[r] = transfer[kPaddedFrames / 2].real();
  }

  const std::size_t num_scales = scales_.size();
  spectral_sum_.resize(num_scales);
  spectral_odd_.resize(num_scales);
  spectral_full_.resize(num_scales);
  spectral_dc_.assign(num_scales, 0.0);
  spectral_nyquist_.assign(num_scales, 0.0);
  for (std::size_t s = 1; s < num_scales; ++s) {
    const std::vector<double> transfer = spectral_transfer(scales_[s], s + 1 == num_scales);
    std::vector<Complex> full(transfer.begin(), transfer.end()), sum(full), odd(full);
    for (int v = 0; v < kPaddedChannels; ++v) {
      const double sign = bin_sign(v, kPaddedChannels);
      if (sign == 0.0) sum[static_cast<std::size_t>(v)] *= 2.0;
      odd[static_cast<std::size_t>(v)] *= sign;
    }
    spectral_sum_[s] = channel_convolution(kernel_of(sum, false));
    spectral_odd_[s] = channel_convolution(kernel_of(odd, true));
    spectral_full_[s] = channel_convolution(kernel_of(full, false));
    spectral_dc_[s] = transfer[0];
    spectral_nyquist_[s] = transfer[kPaddedChannels / 2];
  }
}

Matrix SpectempFilterBank::avgpool(const Matrix& cochleagram) const {
  if (cochleagram.rows() != kChannels || cochleagram.cols() != kFrames) {
    throw InputError("spectemp: expected a 211 x 390 cochleagram, got " +
                     std::to_string(cochleagram.rows()) + " x " +
                     std::to_string(cochleagram.cols()));
  }
  const Matrix input = kCochleagramScale * cochleagram;
  const int num_rates = static_cast<int>(rates_.size());
  const int num_scales = static_cast<int>(scales_.size());
  const auto mean_power = [](const auto& values) {
    return values.array().square().max(kPowerFloor).mean();
  };

  // Spectra of every channel's time course on the short temporal grid.
  Fft fft(kTemporalFft);
  const auto bins = static_cast<std::size_t>(fft.num_bins());
  std::vector<std::vector<Complex>> row_spectra(kChannels, std::vector<Complex>(bins));
  std::vector<double> padded(kTemporalFft, 0.0), filtered(kTemporalFft);
  std::vector<Complex> product(bins);
  for (int c = 0; c < kChannels; ++c) {
    std::copy_n(input.row(c).data(), kFrames, padded.begin());
    fft.forward_real(padded, row_spectra[static_cast<std::size_t>(c)]);
  }
  const auto filter_in_time = [&](const std::vector<Complex>& row, const std::vector<Complex>& kernel,
                                  double* out) {
    for (std::size_t k = 0; k < bins; ++k) product[k] = row[k] * kernel[k];
    fft.inverse_real(product, filtered);
    std::copy_n(filtered.begin(), kFrames, out);
  };

  // Sums for the DC / Nyquist corner terms: sum of P[c][t] (-1)^(a c + b t).
  double corner[2][2] = {{0.0, 0.0}, {0.0, 0.0}};
  for (int c = 0; c < kChannels; ++c) {
    for (int t = 0; t < kFrames; ++t) {
      const double value = input(c, t);
      corner[0][0] += value;
      corner[0][1] += t % 2 ? -value : value;
      corner[1][0] += c % 2 ? -value : value;
      corner[1][1] += (c + t) % 2 ? -value : value;
    }
  }
  const double grid_size = static_cast<double>(kPaddedChannels) * kPaddedFrames;

  Matrix features(num_filters(), kChannels);
  const auto index_of = [&](int direction, int s, int r) {
    return direction < 0 ? s * num_rates + r
                         : num_scales * num_rates + (s - 1) * (num_rates - 1) + (r - 1);
  };

  // Scale 0 passes only the mean over channels; rate 0 only the mean over time.
  features.row(0).setConstant(
      std::max(std::pow(corner[0][0] / grid_size, 2.0), kPowerFloor));
  std::vector<Complex> channel_mean(bins, 0.0);
  for (const auto& row : row_spectra) {
    for (std::size_t k = 0; k < bins; ++k) channel_mean[k] += row[k] / double(kPaddedChannels);
  }
  Eigen::VectorXd course(kFrames);
  for (int r = 1; r < num_rates; ++r) {
    filter_in_time(channel_mean, temporal_full_[static_cast<std::size_t>(r)], course.data());
    features.row(index_of(-1, 0, r)).setConstant(mean_power(course));
  }
  const Eigen::VectorXd time_mean = input.rowwise().sum() / double(kPaddedFrames);
  for (int s = 1; s < num_scales; ++s) {
    const Eigen::VectorXd profile = spectral_full_[static_cast<std::size_t>(s)] * time_mean;
    features.row(index_of(-1, s, 0)) = profile.array().square().max(kPowerFloor).transpose();
  }

  // Both separable products over time for every rate, side by side: channels x (rates x frames).
  const int moving_rates = num_rates - 1;
  Matrix sum_in_time(kChannels, moving_rates * kFrames);
  Matrix odd_in_time(kChannels, moving_rates * kFrames);
  for (int r = 1; r < num_rates; ++r) {
    for (int c = 0; c < kChannels; ++c) {
      const auto& row = row_spectra[static_cast<std::size_t>(c)];
      filter_in_time(row, temporal_sum_[static_cast<std::size_t>(r)],
                     sum_in_time.row(c).data() + (r - 1) * kFrames);
      filter_in_time(row, temporal_odd_[static_cast<std::size_t>(r)],
                     odd_in_time.row(c).data() + (r - 1) * kFrames);
    }
  }

  Matrix sum_part, odd_part;
  Eigen::ArrayXd corner_term(kFrames), upward(kFrames), downward(kFrames);
  for (int s = 1; s < num_scales; ++s) {
    sum_part.noalias() = spectral_sum_[static_cast<std::size_t>(s)] * sum_in_time;
    odd_part.noalias() = spectral_odd_[static_cast<std::size_t>(s)] * odd_in_time;
    for (int r = 1; r < num_rates; ++r) {
      const double dc = spectral_dc_[static_cast<std::size_t>(s)];
      const double nyquist = spectral_nyquist_[static_cast<std::size_t>(s)];
      const double time_dc = temporal_dc_[static_cast<std::size_t>(r)];
      const double time_nyquist = temporal_nyquist_[static_cast<std::size_t>(r)];
      for (int c = 0; c < kChannels; ++c) {
        const double channel_sign = c % 2 ? -1.0 : 1.0;
        const double constant = (dc * time_dc * corner[0][0] +
                                 channel_sign * nyquist * time_dc * corner[1][0]) / grid_size;
        const double alternating = (dc * time_nyquist * corner[0][1] +
                                    channel_sign * nyquist * time_nyquist * corner[1][1]) /
                                   grid_size;
        for (int t = 0; t < kFrames; ++t) {
          corner_term[t] = constant + (t % 2 ? -alternating : alternating);
        }
        const auto sum_row = sum_part.row(c).segment((r - 1) * kFrames, kFrames).array();
        const auto odd_row = odd_part.row(c).segment((r - 1) * kFrames, kFrames).array();
        upward = 0.5 * sum_row.transpose() + 0.5 * odd_row.transpose() - corner_term;
        downward = 0.5 * sum_row.transpose() - 0.5 * odd_row.transpose() - corner_term;
        features(index_of(-1, s, r), c) = upward.square().max(kPowerFloor).mean();
        features(index_of(1, s, r), c) = downward.square().max(kPowerFloor).mean();
      }
    }
  }
  return features;
}

std::vector<double> spectemp_waveform(const Audio& audio) {
  const double rate = audio.sample_rate;
  if (!(rate > 0.0) || std::abs(rate - std::round(rate)) > 1e-9) {
    throw InputError("spectemp: needs an integer sample rate, got " + std::to_string(rate));
  }
  const auto native_rate = static_cast<int>(std::lround(rate));
  const auto crop = static_cast<std::size_t>(2 * native_rate);
  if (audio.samples.size() < crop) {
    throw InputError("spectemp: needs at least 2 s of audio, got " +
                     std::to_string(static_cast<double>(audio.samples.size()) / rate) + " s");
  }
  std::vector<double> x(audio.samples.begin(),
                        audio.samples.begin() + static_cast<std::ptrdiff_t>(crop));
  if (native_rate != 20000) x = resample_poly(x, 20000, native_rate);
  x = cut_or_pad(x, 40000);
  double mean = 0.0;
  for (double value : x) mean += value;
  mean /= static_cast<double>(x.size());
  for (double& value : x) value -= mean;
  x = rms_normalise(x, 0.1);
  for (double& value : x) value = std::clamp(value, -1.0, 1.0);
  return x;
}

Matrix SpectempModel::features(const Audio& audio) const {
  return filterbank_.avgpool(cochleagram_.compute(spectemp_waveform(audio)));
}

}  // namespace brainalign::dsp
