#include "brainalign/dsp/spectemp.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "vector_clones.h"

// How the filters are applied. The reference multiplies the 2-D DFT of the zero-padded
// cochleagram (422 x 1170) by H[v][u] = Hs[v] Ht[u] M(v, u), where the direction mask M keeps
// one pair of quadrants plus the DC and Nyquist lines. With Z the DC/Nyquist bins and sgn the
// sign of a bin's frequency (0 on Z), the masked transfer function of direction s = +-1 splits
// into separable terms:
//   H = 1/2 (Hs + Hs_Z)(Ht + Ht_Z) - Hs_Z Ht_Z + s/2 (Hs sgn)(Ht sgn).
// Each separable term is a convolution over channels followed by one over time, and only
// channel lags |d| <= 210 and time lags |e| <= 389 reach the cropped 211 x 390 output, so each
// kernel can run on any grid long enough to hold those lags without wrap-around: 432 channel
// bins and 800 time bins, sizes the batched FFT handles. Both directions share the two
// products A = (Hs + Hs_Z)(Ht + Ht_Z) and B = -(Hs sgn)(Ht sgn), whose kernels are the
// imaginary parts of those of Hs sgn and Ht sgn: y = A / 2 - s B / 2 - (Hs_Z Ht_Z term), and
// the last term has a closed form. A and B, being
// real, travel together as the real and imaginary parts of one complex transform.

namespace brainalign::dsp {

namespace {

constexpr int kFrames = SpectempFilterBank::kFrames;      // 390
constexpr int kChannels = SpectempFilterBank::kChannels;  // 211
constexpr int kPaddedFrames = 3 * kFrames;                // 1170
constexpr int kPaddedChannels = 2 * kChannels;            // 422
constexpr int kTemporalFft = 800;  // >= 2 * 389 + 1: the time lags that reach the crop
constexpr int kSpectralFft = 432;  // >= 2 * 210 + 1: the channel lags that reach the crop
constexpr std::size_t kColumnsPerBlock = 65;  // frames per channel transform batch (390 / 6)
constexpr double kFrameRate = 200.0;          // Hz
constexpr double kChannelsPerCycle = 6.0;     // the reference's nominal channels per ERB
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
  for (int k = 0; k <= half; ++k)
    full[static_cast<std::size_t>(k)] = gain[static_cast<std::size_t>(k)];
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

// A real kernel given on a grid of `period` bins, moved to a grid of `size` bins for the lags
// -max_lag..max_lag, and transformed there (full complex spectrum).
std::vector<Complex> moved_spectrum(const std::vector<double>& kernel, int period, int max_lag,
                                    int size) {
  std::vector<Complex> grid(static_cast<std::size_t>(size), 0.0);
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    grid[static_cast<std::size_t>((lag + size) % size)] =
        kernel[static_cast<std::size_t>((lag + period) % period)];
  }
  std::vector<Complex> spectrum(grid.size());
  Fft(size).forward(grid, spectrum);
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

// out = in * w element-wise per row: row u of `rows` values times the complex weight w[u].
BRAINALIGN_VECTOR_CLONES
void scale_rows(const double* __restrict in_re, const double* __restrict in_im,
                const double* __restrict weight_re, const double* __restrict weight_im,
                double* __restrict out_re, double* __restrict out_im, std::size_t num_rows,
                std::size_t row_length) {
  for (std::size_t u = 0; u < num_rows; ++u) {
    const double wr = weight_re[u], wi = weight_im[u];
    const std::size_t offset = u * row_length;
    for (std::size_t i = 0; i < row_length; ++i) {
      const double xr = in_re[offset + i], xi = in_im[offset + i];
      out_re[offset + i] = xr * wr - xi * wi;
      out_im[offset + i] = xr * wi + xi * wr;
    }
  }
}

// out[v] = bin[v] F[v] + mirror[v] conj(F[-v]) per row v (the spectral step, see above).
BRAINALIGN_VECTOR_CLONES
void combine_mirrored(const double* __restrict in_re, const double* __restrict in_im,
                      const double* __restrict bin_re, const double* __restrict bin_im,
                      const double* __restrict mirror_re, const double* __restrict mirror_im,
                      double* __restrict out_re, double* __restrict out_im, std::size_t num_rows,
                      std::size_t row_length) {
  for (std::size_t v = 0; v < num_rows; ++v) {
    const std::size_t mirrored = (num_rows - v) % num_rows;
    const double* fr = in_re + v * row_length;
    const double* fi = in_im + v * row_length;
    const double* gr = in_re + mirrored * row_length;
    const double* gi = in_im + mirrored * row_length;
    const double br = bin_re[v], bi = bin_im[v], mr = mirror_re[v], mi = mirror_im[v];
    double* yr = out_re + v * row_length;
    double* yi = out_im + v * row_length;
#pragma GCC ivdep
    for (std::size_t q = 0; q < row_length; ++q) {
      yr[q] = fr[q] * br - fi[q] * bi + gr[q] * mr + gi[q] * mi;
      yi[q] = fr[q] * bi + fi[q] * br + gr[q] * mi - gi[q] * mr;
    }
  }
}

// Sums over q of max(u^2, floor) and max(d^2, floor), u, d = (A +- B) / 2 - corner, with the
// corner term constant + alternating * sign[q].
BRAINALIGN_VECTOR_CLONES
void directional_power(const double* __restrict a, const double* __restrict b,
                       const double* __restrict sign, double constant, double alternating,
                       std::size_t length, double* up_sum, double* down_sum) {
  constexpr std::size_t kLanes = 8;
  double up[kLanes] = {}, down[kLanes] = {};
  std::size_t q = 0;
  for (; q + kLanes <= length; q += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) {
      const double corner = constant + alternating * sign[q + lane];
      const double u = 0.5 * (a[q + lane] + b[q + lane]) - corner;
      const double d = 0.5 * (a[q + lane] - b[q + lane]) - corner;
      up[lane] += std::max(u * u, kPowerFloor);
      down[lane] += std::max(d * d, kPowerFloor);
    }
  }
  double up_total = 0.0, down_total = 0.0;
  for (std::size_t lane = 0; lane < kLanes; ++lane) up_total += up[lane], down_total += down[lane];
  for (; q < length; ++q) {
    const double corner = constant + alternating * sign[q];
    const double u = 0.5 * (a[q] + b[q]) - corner;
    const double d = 0.5 * (a[q] - b[q]) - corner;
    up_total += std::max(u * u, kPowerFloor);
    down_total += std::max(d * d, kPowerFloor);
  }
  *up_sum += up_total;
  *down_sum += down_total;
}

}  // namespace

SpectempFilterBank::SpectempFilterBank()
    : rates_(kRates), scales_(kScales), temporal_fft_(kTemporalFft), spectral_fft_(kSpectralFft) {
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
  temporal_re_.resize(num_rates);
  temporal_im_.resize(num_rates);
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
    // A's kernel is the real part of sum's inverse; B's the product of the imaginary parts of
    // the odd ones (the minus of i * i is in y's formula above).
    const auto sum_spectrum =
        moved_spectrum(kernel_of(sum, false), kPaddedFrames, kFrames - 1, kTemporalFft);
    const auto odd_spectrum =
        moved_spectrum(kernel_of(odd, true), kPaddedFrames, kFrames - 1, kTemporalFft);
    temporal_re_[r].resize(kTemporalFft);
    temporal_im_[r].resize(kTemporalFft);
    for (std::size_t u = 0; u < static_cast<std::size_t>(kTemporalFft); ++u) {
      // One inverse transform gives A-in-time + i B-in-time: weight sum + i odd, with 1 / size.
      const Complex weight = (sum_spectrum[u] + Complex(0.0, 1.0) * odd_spectrum[u]) /
                             static_cast<double>(kTemporalFft);
      temporal_re_[r][u] = weight.real();
      temporal_im_[r][u] = weight.imag();
    }
    const auto full =
        moved_spectrum(kernel_of(transfer, false), kPaddedFrames, kFrames - 1, kTemporalFft);
    temporal_full_[r].assign(full.begin(), full.begin() + kTemporalFft / 2 + 1);
    temporal_dc_[r] = transfer[0].real();
    temporal_nyquist_[r] = transfer[kPaddedFrames / 2].real();
  }

  const std::size_t num_scales = scales_.size();
  spectral_bin_re_.resize(num_scales);
  spectral_bin_im_.resize(num_scales);
  spectral_mirror_re_.resize(num_scales);
  spectral_mirror_im_.resize(num_scales);
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
    const auto sum_spectrum =
        moved_spectrum(kernel_of(sum, false), kPaddedChannels, kChannels - 1, kSpectralFft);
    const auto odd_spectrum =
        moved_spectrum(kernel_of(odd, true), kPaddedChannels, kChannels - 1, kSpectralFft);
    // The input transform F holds FA + i FB (A- and B-in-time as real and imaginary parts);
    // FA = (F[v] + conj F[-v]) / 2, FB = (F[v] - conj F[-v]) / 2i. The output wanted is
    // S_A FA + i S_B FB, so F[v] and conj F[-v] are weighted by (S_A + S_B) / 2 and
    // (S_A - S_B) / 2, with 1 / size for the inverse.
    const auto num_bins = static_cast<std::size_t>(kSpectralFft);
    for (auto* values : {&spectral_bin_re_[s], &spectral_bin_im_[s], &spectral_mirror_re_[s],
                         &spectral_mirror_im_[s]}) {
      values->resize(num_bins);
    }
    for (std::size_t v = 0; v < num_bins; ++v) {
      const Complex bin = (sum_spectrum[v] + odd_spectrum[v]) / (2.0 * kSpectralFft);
      const Complex mirror = (sum_spectrum[v] - odd_spectrum[v]) / (2.0 * kSpectralFft);
      spectral_bin_re_[s][v] = bin.real();
      spectral_bin_im_[s][v] = bin.imag();
      spectral_mirror_re_[s][v] = mirror.real();
      spectral_mirror_im_[s][v] = mirror.imag();
    }
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
  const auto channels = static_cast<std::size_t>(kChannels);
  const auto frames = static_cast<std::size_t>(kFrames);
  Matrix features = Matrix::Zero(num_filters(), kChannels);
  const auto index_of = [&](int direction, int s, int r) {
    return direction < 0 ? s * num_rates + r
                         : num_scales * num_rates + (s - 1) * (num_rates - 1) + (r - 1);
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

  // Scale 0 passes only the mean over channels; rate 0 only the mean over time.
  features.row(0).setConstant(std::max(std::pow(corner[0][0] / grid_size, 2.0), kPowerFloor));
  {
    Fft fft(kTemporalFft);
    std::vector<double> course(kTemporalFft, 0.0), filtered(kTemporalFft);
    const Eigen::RowVectorXd channel_mean = input.colwise().sum() / double(kPaddedChannels);
    std::copy_n(channel_mean.data(), kFrames, course.begin());
    std::vector<Complex> spectrum(static_cast<std::size_t>(fft.num_bins()));
    std::vector<Complex> product(spectrum.size());
    fft.forward_real(course, spectrum);
    for (int r = 1; r < num_rates; ++r) {
      for (std::size_t k = 0; k < spectrum.size(); ++k) {
        product[k] = spectrum[k] * temporal_full_[static_cast<std::size_t>(r)][k];
      }
      fft.inverse_real(product, filtered);
      const Eigen::Map<const Eigen::ArrayXd> output(filtered.data(), kFrames);
      features.row(index_of(-1, 0, r)).setConstant(output.square().max(kPowerFloor).mean());
    }
  }
  const Eigen::VectorXd time_mean = input.rowwise().sum() / double(kPaddedFrames);
  for (int s = 1; s < num_scales; ++s) {
    const Eigen::VectorXd profile =
        spectral_full_[static_cast<std::size_t>(s)].lazyProduct(time_mean);
    features.row(index_of(-1, s, 0)) = profile.array().square().max(kPowerFloor).transpose();
  }

  // Moving filters. Time first: the cochleagram with time as rows, channels as the batch.
  const auto time_bins = static_cast<std::size_t>(kTemporalFft);
  const auto channel_bins = static_cast<std::size_t>(kSpectralFft);
  thread_local std::vector<double> time_re, time_im, rate_re, rate_im, work_re, work_im;
  for (auto* buffer : {&time_re, &time_im, &rate_re, &rate_im, &work_re, &work_im}) {
    buffer->assign(time_bins * channels, 0.0);
  }
  for (std::size_t c = 0; c < channels; ++c) {
    for (std::size_t t = 0; t < frames; ++t) {
      time_re[t * channels + c] = input(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(t));
    }
  }
  temporal_fft_.forward(time_re, time_im, work_re, work_im, channels);

  const std::size_t block = kColumnsPerBlock;
  const std::size_t block_values = channel_bins * block;
  thread_local std::vector<double> block_re, block_im, scaled_re, scaled_im, block_work_re,
      block_work_im;
  for (auto* buffer :
       {&block_re, &block_im, &scaled_re, &scaled_im, &block_work_re, &block_work_im}) {
    buffer->resize(block_values);
  }
  std::vector<double> frame_sign(block);
  for (int r = 1; r < num_rates; ++r) {
    const auto rate = static_cast<std::size_t>(r);
    // A and B in time for this rate: rows t < 390 of (rate_re, rate_im), channels across.
    scale_rows(time_re.data(), time_im.data(), temporal_re_[rate].data(), temporal_im_[rate].data(),
               rate_re.data(), rate_im.data(), time_bins, channels);
    temporal_fft_.inverse(rate_re, rate_im, work_re, work_im, channels);

    for (std::size_t first = 0; first < frames; first += block) {
      // Then channels: a block of frames, channels as rows (zero-padded to 432).
      std::fill(block_re.begin(), block_re.end(), 0.0);
      std::fill(block_im.begin(), block_im.end(), 0.0);
      for (std::size_t q = 0; q < block; ++q) {
        const double* source_re = rate_re.data() + (first + q) * channels;
        const double* source_im = rate_im.data() + (first + q) * channels;
        for (std::size_t c = 0; c < channels; ++c) {
          block_re[c * block + q] = source_re[c];
          block_im[c * block + q] = source_im[c];
        }
        frame_sign[q] = (first + q) % 2 ? -1.0 : 1.0;
      }
      spectral_fft_.forward(block_re, block_im, block_work_re, block_work_im, block);

      for (int s = 1; s < num_scales; ++s) {
        const auto scale = static_cast<std::size_t>(s);
        combine_mirrored(block_re.data(), block_im.data(), spectral_bin_re_[scale].data(),
                         spectral_bin_im_[scale].data(), spectral_mirror_re_[scale].data(),
                         spectral_mirror_im_[scale].data(), scaled_re.data(), scaled_im.data(),
                         channel_bins, block);
        spectral_fft_.inverse(scaled_re, scaled_im, block_work_re, block_work_im, block);

        const double dc = spectral_dc_[scale], nyquist = spectral_nyquist_[scale];
        const double time_dc = temporal_dc_[rate], time_nyquist = temporal_nyquist_[rate];
        const int up = index_of(-1, s, r), down = index_of(1, s, r);
        for (std::size_t c = 0; c < channels; ++c) {
          const double channel_sign = c % 2 ? -1.0 : 1.0;
          const double constant =
              (dc * time_dc * corner[0][0] + channel_sign * nyquist * time_dc * corner[1][0]) /
              grid_size;
          const double alternating = (dc * time_nyquist * corner[0][1] +
                                      channel_sign * nyquist * time_nyquist * corner[1][1]) /
                                     grid_size;
          directional_power(scaled_re.data() + c * block, scaled_im.data() + c * block,
                            frame_sign.data(), constant, alternating, block,
                            &features(up, static_cast<Eigen::Index>(c)),
                            &features(down, static_cast<Eigen::Index>(c)));
        }
      }
    }
    for (int s = 1; s < num_scales; ++s) {
      features.row(index_of(-1, s, r)) /= kFrames;
      features.row(index_of(1, s, r)) /= kFrames;
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
  // The first 2 s; a shorter clip (a 1 s HEAR Speech Commands clip) is padded with silence to
  // 2 s, which the model's fixed 40000-sample input needs (docs/models.md).
  const auto crop = static_cast<std::size_t>(2 * native_rate);
  if (audio.samples.empty()) throw InputError("spectemp: the clip holds no samples");
  std::vector<double> x(
      audio.samples.begin(),
      audio.samples.begin() + static_cast<std::ptrdiff_t>(std::min(crop, audio.samples.size())));
  x.resize(crop, 0.0);
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
