#include "brainalign/dsp/cochleagram.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "vector_clones.h"

namespace brainalign::dsp {

namespace {

constexpr double kErbQ = 9.265;   // Glasberg and Moore's ear quality factor
constexpr double kErbMin = 24.7;  // minimum bandwidth, Hz

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
        std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1.0 - ratio * ratio))) / denominator;
  }
  return window;
}

// sqrt(max(|z|^2, floor)) * scale; Eigen's packet square root vectorises where std::sqrt
// (which may set errno) does not.
void envelope_magnitude(const double* re, const double* im, double* envelope, std::size_t size,
                        double floor, double scale) {
  const auto n = static_cast<Eigen::Index>(size);
  const Eigen::Map<const Eigen::ArrayXd> real(re, n), imaginary(im, n);
  Eigen::Map<Eigen::ArrayXd>(envelope, n) =
      (real.square() + imaginary.square()).max(floor).sqrt() * scale;
}

// One row of a band's transform input: value * twiddle, then twiddle *= root (per phase l).
BRAINALIGN_VECTOR_CLONES
void fill_row(double value_re, double value_im, double* __restrict twiddle_re,
              double* __restrict twiddle_im, const double* __restrict root_re,
              const double* __restrict root_im, double* __restrict out_re,
              double* __restrict out_im, std::size_t phases) {
  for (std::size_t l = 0; l < phases; ++l) {
    const double tr = twiddle_re[l], ti = twiddle_im[l];
    out_re[l] = value_re * tr - value_im * ti;
    out_im[l] = value_re * ti + value_im * tr;
    twiddle_re[l] = tr * root_re[l] - ti * root_im[l];
    twiddle_im[l] = tr * root_im[l] + ti * root_re[l];
  }
}

// Cross-correlation with the kernel at every `decimation`-th sample, no padding. Sixteen
// partial sums keep several vector multiply-adds in flight.
BRAINALIGN_VECTOR_CLONES
void downsample(const double* __restrict signal, const double* __restrict kernel, std::size_t taps,
                int decimation, int frames, double* __restrict out) {
  constexpr std::size_t kLanes = 16;
  for (int frame = 0; frame < frames; ++frame) {
    const double* start = signal + static_cast<std::ptrdiff_t>(frame) * decimation;
    double sums[kLanes] = {};
    std::size_t m = 0;
    for (; m + kLanes <= taps; m += kLanes) {
      for (std::size_t lane = 0; lane < kLanes; ++lane) {
        sums[lane] += kernel[m + lane] * start[m + lane];
      }
    }
    double total = 0.0;
    for (double sum : sums) total += sum;
    for (; m < taps; ++m) total += kernel[m] * start[m];
    out[frame] = total;
  }
}

}  // namespace

double erb_number(double hz) { return kErbQ * std::log(1.0 + hz / (kErbMin * kErbQ)); }

double erb_number_to_hz(double erb) { return kErbMin * kErbQ * (std::exp(erb / kErbQ) - 1.0); }

Cochleagram::Cochleagram(const CochleagramParams& params) : params_(params) {
  const int n = params.signal_size;
  const int factor = params.sample_factor;
  const double ratio = params.sample_rate / params.envelope_rate;
  if (n < 2 || n % 2 != 0 || factor < 1 || params.num_filters < 1 || !(params.sample_rate > 0.0) ||
      !(params.envelope_rate > 0.0) || std::abs(ratio - std::round(ratio)) > 1e-9 ||
      params.downsample_window < 1 || params.downsample_window > n || !(params.low_limit > 0.0) ||
      !(params.high_limit > params.low_limit) || params.high_limit > params.sample_rate / 2.0) {
    throw InputError(
        "cochleagram: inconsistent parameters (need an even signal size, an integer "
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

  // Each channel keeps only the bins where its response is non-zero: its envelope needs no
  // others (see compute()).
  bands_.resize(static_cast<std::size_t>(num_channels));
  centre_frequencies_.assign(static_cast<std::size_t>(num_channels), 0.0);
  const double norm = 1.0 / std::sqrt(static_cast<double>(factor));
  const auto set_band = [&](int channel, int first, int last, const auto& response) {
    Band& band = bands_[static_cast<std::size_t>(channel)];
    while (first < last && response(first) == 0.0) ++first;
    while (last > first && response(last) == 0.0) --last;
    band.first_bin = first;
    for (int k = first; k <= last; ++k) band.gains.push_back(response(k) * norm);
  };
  const auto first_bin_above = [&](const std::vector<double>& axis, double value) {
    return static_cast<int>(std::upper_bound(axis.begin(), axis.end(), value) - axis.begin());
  };
  for (int i = 0; i < num_bandpass; ++i) {
    const int first = std::max(0, first_bin_above(bin_erb, centre(i) - half_width) - 1);
    const int last = std::min(num_bins - 1, first_bin_above(bin_erb, centre(i) + half_width));
    set_band(factor + i, first, last, [&](int k) { return half_cosine(i, k); });
    centre_frequencies_[static_cast<std::size_t>(factor + i)] = erb_number_to_hz(centre(i));
  }
  for (int j = 0; j < factor; ++j) {
    // Low-pass: every bin below the centre of band-pass j, the complement of that band-pass.
    const double low_cut = erb_number_to_hz(centre(j));
    const int below =
        static_cast<int>(std::lower_bound(bin_hz.begin(), bin_hz.end(), low_cut) - bin_hz.begin());
    set_band(j, 0, std::max(0, below - 1),
             [&](int k) { return k < below ? complement(j, k) : 0.0; });
    centre_frequencies_[static_cast<std::size_t>(j)] =
        erb_number_to_hz(erb_low - (factor - 1 - j) * step);

    // High-pass: every bin above the centre of the j-th band-pass from the top.
    const int source = num_bandpass - 1 - j;
    const double high_cut = erb_number_to_hz(centre(source));
    const int above = first_bin_above(bin_hz, high_cut);
    set_band(num_channels - 1 - j, std::min(above, num_bins - 1), num_bins - 1,
             [&](int k) { return k >= above ? complement(source, k) : 0.0; });
    centre_frequencies_[static_cast<std::size_t>(num_channels - factor + j)] =
        erb_number_to_hz(erb_high + j * step);
  }

  std::vector<int> divisors;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) divisors.push_back(d);
  }
  std::vector<int> sizes;
  for (Band& band : bands_) {
    const auto width = static_cast<int>(band.gains.size());
    // A divisor of the signal size that holds the band and that the batched FFT handles
    // (prime factors 2, 3 and 5). Every choice transforms signal_size values in all, so pick
    // the cheapest passes: rough cost per value of a radix-2, 3, 4 and 5 pass.
    double best_cost = 0.0;
    for (int d : divisors) {
      if (d < width) continue;
      int rest = d;
      double cost = 0.0;
      for (const auto& [radix, pass_cost] : {std::pair{4, 12.5}, {2, 9.0}, {3, 12.0}, {5, 17.0}}) {
        while (rest % radix == 0) rest /= radix, cost += pass_cost;
      }
      if (rest == 1 && (band.transform_size == 0 || cost < best_cost)) {
        band.transform_size = d;
        best_cost = cost;
      }
    }
    if (band.transform_size == 0) {
      throw InputError("cochleagram: signal size " + std::to_string(n) +
                       " has no divisor with prime factors 2, 3 and 5 that holds a band of " +
                       std::to_string(width) + " bins");
    }
    if (std::find(sizes.begin(), sizes.end(), band.transform_size) == sizes.end()) {
      sizes.push_back(band.transform_size);
      transforms_.emplace_back(band.transform_size);
    }
  }
  roots_re_.resize(static_cast<std::size_t>(n));
  roots_im_.resize(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    roots_re_[static_cast<std::size_t>(r)] = std::cos(2.0 * M_PI * r / n);
    roots_im_[static_cast<std::size_t>(r)] = -std::sin(2.0 * M_PI * r / n);
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

Matrix Cochleagram::filters() const {
  Matrix dense = Matrix::Zero(num_channels(), params_.signal_size / 2 + 1);
  for (int c = 0; c < num_channels(); ++c) {
    const Band& band = bands_[static_cast<std::size_t>(c)];
    for (std::size_t k = 0; k < band.gains.size(); ++k) {
      dense(c, band.first_bin + static_cast<Eigen::Index>(k)) = band.gains[k];
    }
  }
  return dense;
}

Matrix Cochleagram::compute(const std::vector<double>& waveform) const {
  const int n = params_.signal_size;
  if (static_cast<int>(waveform.size()) != n) {
    throw InputError("cochleagram: expected a waveform of " + std::to_string(n) + " samples, got " +
                     std::to_string(waveform.size()));
  }
  // The plan of the full-length transform is kept per thread: building it costs more than
  // running it.
  thread_local std::unique_ptr<Fft> full;
  if (!full || full->size() != n) full = std::make_unique<Fft>(n);
  std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(full->num_bins()));
  full->forward_real(waveform, spectrum);

  const auto size = static_cast<std::size_t>(n);
  // Scratch reused across calls on the same thread.
  thread_local std::vector<double> re, im, work_re, work_im, envelope, twiddle_re, twiddle_im;
  for (auto* buffer : {&re, &im, &work_re, &work_im, &envelope}) buffer->resize(size);
  Matrix result(num_channels(), num_frames_);
  const double floor = 1e-16 * static_cast<double>(n) * static_cast<double>(n);
  for (int c = 0; c < num_channels(); ++c) {
    const Band& band = bands_[static_cast<std::size_t>(c)];
    const auto width = band.gains.size();
    const auto points = static_cast<std::size_t>(band.transform_size);
    const std::size_t phases = size / points;
    // The analytic sub-band signal (negative frequencies zeroed, positive ones not doubled)
    // holds the band's bins only. Shifted to DC, its samples l, l + phases, l + 2 phases, ...
    // are a DFT of `points` values: z[l + phases m] = sum_j Y_j e^{2 pi i j l / n}
    // e^{2 pi i j m / points}; conjugated, the same magnitudes come from forward transforms,
    // one per phase l, all computed together with the phase innermost. Row j of the input is
    // conj(Y_j) e^{-2 pi i j l / n}, whose twiddles follow from row j - 1's.
    twiddle_re.assign(phases, 1.0);
    twiddle_im.assign(phases, 0.0);
    for (std::size_t j = 0; j < width; ++j) {
      const std::complex<double> value =
          std::conj(spectrum[static_cast<std::size_t>(band.first_bin) + j] * band.gains[j]);
      fill_row(value.real(), value.imag(), twiddle_re.data(), twiddle_im.data(), roots_re_.data(),
               roots_im_.data(), re.data() + j * phases, im.data() + j * phases, phases);
    }
    std::fill(re.begin() + static_cast<std::ptrdiff_t>(width * phases), re.end(), 0.0);
    std::fill(im.begin() + static_cast<std::ptrdiff_t>(width * phases), im.end(), 0.0);
    const BatchFft& transform =
        *std::find_if(transforms_.begin(), transforms_.end(),
                      [&](const BatchFft& fft) { return fft.size() == band.transform_size; });
    transform.forward(re, im, work_re, work_im, phases);
    // Row m, column l now holds sample l + phases m: the natural order.
    envelope_magnitude(re.data(), im.data(), envelope.data(), size, floor, 1.0 / n);
    downsample(envelope.data(), kernel_.data(), kernel_.size(), decimation_, num_frames_,
               result.row(c).data());
  }
  result = (result.array().max(0.0) + params_.compression_offset).pow(params_.compression_power);
  return result;
}

}  // namespace brainalign::dsp
