#include "brainalign/dsp/cochleagram.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <span>
#include <string>

#include "brainalign/dsp/fft.h"
#include "brainalign/error.h"

namespace brainalign::dsp {

namespace {

constexpr double kErbQ = 9.265;    // Glasberg and Moore's ear quality factor
constexpr double kErbMin = 24.7;   // minimum bandwidth, Hz

double sinc(double x) {
  if (x == 0.0) return 1.0;
  return std::sin(M_PI * x) / (M_PI * x);
}

std::vector<double> symmetric_kaiser(int length, double beta) {
  std::vector<double> window(static_cast<std::size_t>(length), 1.0);
  if (length < 2) return window;
  const double denominator = std::cyl_bessel_i(0.0, beta);
  for (int m = 0; m < length; ++m) {
    const double ratio = 2.0 * m / (length - 1) - 1.0;
    window[static_cast<std::size_t>(m)] =
        std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1.0 - ratio * ratio))) /
        denominator;
  }
  return window;
}

}  // namespace

double erb_number(double hz) { return kErbQ * std::log(1.0 + hz / (kErbMin * kErbQ)); }

double erb_number_to_hz(double erb) { return kErbMin * kErbQ * (std::exp(erb / kErbQ) - 1.0); }

Cochleagram::Cochleagram(const CochleagramParams& params) : params_(params) {
  const int n = params.signal_size;
  const int factor = params.sample_factor;
  const double ratio = params.sample_rate / params.envelope_rate;
  if (n < 2 || n % 2 != 0 || factor < 1 || params.num_filters < 1 ||
      !(params.sample_rate > 0.0) || !(params.envelope_rate > 0.0) ||
      std::abs(ratio - std::round(ratio)) > 1e-9 || params.downsample_window < 1 ||
      params.downsample_window > n || !(params.low_limit > 0.0) ||
      !(params.high_limit > params.low_limit) || params.high_limit > params.sample_rate / 2.0) {
    throw InputError("cochleagram: inconsistent parameters (need an even signal size, an integer "
                     "ratio of sample rate to envelope rate, 0 < low_limit < high_limit <= "
                     "Nyquist and a kernel no longer than the signal)");
  }
  decimation_ = static_cast<int>(std::lround(ratio));
  num_frames_ = (n - params.downsample_window) / decimation_ + 1;

  // Filterbank (spectemp.md 2.3): half-cosines on the ERB-number axis, 2 * factor edge steps wide,
  // completed by `factor` low-pass and high-pass filters so that the squares sum to one.
  const int num_bins = n / 2 + 1;
  const int num_bandpass = factor * (params.num_filters + 1) - 1;
  const int num_channels = num_bandpass + 2 * factor;
  const double erb_low = erb_number(params.low_limit);
  const double erb_high = erb_number(params.high_limit);
  const double step = (erb_high - erb_low) / (num_bandpass + 1);
  const double half_width = factor * step;
  std::vector<double> bin_hz(static_cast<std::size_t>(num_bins));
  std::vector<double> bin_erb(static_cast<std::size_t>(num_bins));
  for (int k = 0; k < num_bins; ++k) {
    bin_hz[static_cast<std::size_t>(k)] = k * params.sample_rate / n;
    bin_erb[static_cast<std::size_t>(k)] = erb_number(bin_hz[static_cast<std::size_t>(k)]);
  }
  const auto centre = [&](int i) { return erb_low + (i + 1) * step; };
  const auto half_cosine = [&](int i, int k) {
    const double distance = bin_erb[static_cast<std::size_t>(k)] - centre(i);
    if (!(std::abs(distance) < half_width)) return 0.0;
    return std::cos(M_PI * distance / (2.0 * half_width));
  };
  const auto complement = [&](int i, int k) {
    const double value = half_cosine(i, k);
    return std::sqrt(std::max(0.0, 1.0 - value * value));
  };

  filters_ = Matrix::Zero(num_channels, num_bins);
  centre_frequencies_.assign(static_cast<std::size_t>(num_channels), 0.0);
  for (int i = 0; i < num_bandpass; ++i) {
    for (int k = 0; k < num_bins; ++k) filters_(factor + i, k) = half_cosine(i, k);
    centre_frequencies_[static_cast<std::size_t>(factor + i)] = erb_number_to_hz(centre(i));
  }
  for (int j = 0; j < factor; ++j) {
    const double low_cut = erb_number_to_hz(centre(j));
    for (int k = 0; k < num_bins && bin_hz[static_cast<std::size_t>(k)] < low_cut; ++k) {
      filters_(j, k) = complement(j, k);
    }
    centre_frequencies_[static_cast<std::size_t>(j)] =
        erb_number_to_hz(erb_low - (factor - 1 - j) * step);

    const int source = num_bandpass - 1 - j;
    const double high_cut = erb_number_to_hz(centre(source));
    const int column = num_channels - 1 - j;
    for (int k = num_bins - 1; k >= 0 && bin_hz[static_cast<std::size_t>(k)] > high_cut; --k) {
      filters_(column, k) = complement(source, k);
    }
    centre_frequencies_[static_cast<std::size_t>(num_channels - factor + j)] =
        erb_number_to_hz(erb_high + j * step);
  }
  filters_ /= std::sqrt(static_cast<double>(factor));

  // Each channel's envelope only needs the bins where its filter is non-zero (see compute()).
  std::vector<int> divisors;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) divisors.push_back(d);
  }
  for (int c = 0; c < num_channels; ++c) {
    int first = 0;
    while (first < num_bins && filters_(c, first) == 0.0) ++first;
    int last = num_bins - 1;
    while (last > first && filters_(c, last) == 0.0) --last;
    if (first == num_bins) first = last = 0;
    const int width = last - first + 1;
    const int size = *std::lower_bound(divisors.begin(), divisors.end(), width);
    bands_.push_back({first, last, size});
  }

  // Downsampling kernel (2.5): sinc at the envelope Nyquist rate with a half-sample offset,
  // under a symmetric Kaiser window.
  const int taps = params.downsample_window;
  const std::vector<double> window = symmetric_kaiser(taps, params.kaiser_beta);
  kernel_.resize(static_cast<std::size_t>(taps));
  for (int m = 0; m < taps; ++m) {
    kernel_[static_cast<std::size_t>(m)] =
        sinc((m - taps / 2.0) / decimation_) / decimation_ * window[static_cast<std::size_t>(m)];
  }
}

Matrix Cochleagram::compute(const std::vector<double>& waveform) const {
  const int n = params_.signal_size;
  if (static_cast<int>(waveform.size()) != n) {
    throw InputError("cochleagram: expected a waveform of " + std::to_string(n) +
                     " samples, got " + std::to_string(waveform.size()));
  }
  Fft full(n);
  std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(full.num_bins()));
  full.forward_real(waveform, spectrum);

  // Unit roots e^{-2 pi i r / n}, shared by every channel of this call.
  std::vector<std::complex<double>> roots(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) roots[static_cast<std::size_t>(r)] = std::polar(1.0, -2.0 * M_PI * r / n);

  std::map<int, Fft> transforms;
  std::vector<double> envelope(static_cast<std::size_t>(n));
  std::vector<std::complex<double>> band, phase_input, phase_output;
  Matrix result(num_channels(), num_frames_);
  const double floor = 1e-16 * static_cast<double>(n) * static_cast<double>(n);
  const auto taps = static_cast<Eigen::Index>(kernel_.size());
  const Eigen::Map<const Eigen::VectorXd> kernel_map(kernel_.data(), taps);
  for (int c = 0; c < num_channels(); ++c) {
    const Band& b = bands_[static_cast<std::size_t>(c)];
    const int width = b.last_bin - b.first_bin + 1;
    const int size = b.transform_size;
    const int phases = n / size;
    Fft& fft = transforms.try_emplace(size, size).first->second;
    band.resize(static_cast<std::size_t>(width));
    for (int j = 0; j < width; ++j) {
      band[static_cast<std::size_t>(j)] =
          std::conj(spectrum[static_cast<std::size_t>(b.first_bin + j)] *
                    filters_(c, b.first_bin + j));
    }
    // The analytic sub-band signal (negative frequencies zeroed, positive ones not doubled) has
    // the band's bins only, so after shifting the band to DC, the samples l, l + phases, ...
    // form a DFT of `size` points: z[l + phases m] = sum_j Y_j e^{2 pi i j l / n} e^{2 pi i j m / size}.
    // Conjugating gives the same magnitudes through a forward transform.
    phase_input.assign(static_cast<std::size_t>(size), {0.0, 0.0});
    phase_output.resize(static_cast<std::size_t>(size));
    for (int l = 0; l < phases; ++l) {
      int root = 0;
      for (int j = 0; j < width; ++j) {
        phase_input[static_cast<std::size_t>(j)] =
            band[static_cast<std::size_t>(j)] * roots[static_cast<std::size_t>(root)];
        root += l;
        if (root >= n) root -= n;
      }
      fft.forward(phase_input, phase_output);
      for (int m = 0; m < size; ++m) {
        envelope[static_cast<std::size_t>(l + phases * m)] =
            std::max(std::norm(phase_output[static_cast<std::size_t>(m)]), floor);
      }
    }
    Eigen::Map<Eigen::ArrayXd> envelope_map(envelope.data(), n);
    envelope_map = envelope_map.sqrt() / n;

    for (int frame = 0; frame < num_frames_; ++frame) {
      result(c, frame) = kernel_map.dot(Eigen::Map<const Eigen::VectorXd>(
          envelope.data() + static_cast<std::ptrdiff_t>(frame) * decimation_, taps));
    }
  }
  result = (result.array().max(0.0) + params_.compression_offset).pow(params_.compression_power);
  return result;
}

}  // namespace brainalign::dsp
