#include "brainalign/dsp/vggish_logmel.h"

#include <cmath>
#include <span>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "brainalign/dsp/window.h"

namespace brainalign::dsp {
namespace {

// The HTK mel scale as mel_features writes it: 1127 ln(1 + f / 700).
double htk_mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

// numpy.linspace(start, stop, n): start + i * step, the last value exactly stop.
std::vector<double> linspace(double start, double stop, int n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  const double step = n > 1 ? (stop - start) / (n - 1) : 0.0;
  for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = i * step + start;
  if (n > 1) out.back() = stop;
  return out;
}

int rounded(double value, const char* what) {
  const long n = std::lround(value);
  if (n < 1 || n > (1L << 30)) {
    throw InputError(std::string("VGGish front end: ") + what + " of " + std::to_string(value) +
                     " samples or frames is out of range");
  }
  return static_cast<int>(n);
}

}  // namespace

Matrix vggish_mel_matrix(int n_bins, double sample_rate, int n_mels, double f_min, double f_max) {
  const double nyquist = sample_rate / 2.0;
  if (n_bins < 2 || n_mels < 1) {
    throw InputError("VGGish mel matrix: needs at least 2 spectrogram bins and 1 mel band");
  }
  if (f_min < 0.0) throw InputError("VGGish mel matrix: lower edge below 0 Hz");
  if (f_min >= f_max) throw InputError("VGGish mel matrix: lower edge not below upper edge");
  if (f_max > nyquist) throw InputError("VGGish mel matrix: upper edge above Nyquist");
  const std::vector<double> bins_hz = linspace(0.0, nyquist, n_bins);
  std::vector<double> bins_mel(bins_hz.size());
  for (std::size_t k = 0; k < bins_hz.size(); ++k) bins_mel[k] = htk_mel(bins_hz[k]);
  const std::vector<double> edges = linspace(htk_mel(f_min), htk_mel(f_max), n_mels + 2);
  Matrix weights(n_bins, n_mels);
  for (int m = 0; m < n_mels; ++m) {
    const double lower = edges[static_cast<std::size_t>(m)];
    const double centre = edges[static_cast<std::size_t>(m) + 1];
    const double upper = edges[static_cast<std::size_t>(m) + 2];
    for (int k = 0; k < n_bins; ++k) {
      const double mel = bins_mel[static_cast<std::size_t>(k)];
      const double rising = (mel - lower) / (centre - lower);
      const double falling = (upper - mel) / (upper - centre);
      weights(k, m) = std::max(0.0, std::min(rising, falling));
    }
  }
  weights.row(0).setZero();  // HTK leaves out the DC bin
  return weights;
}

Matrix vggish_log_mel(const std::vector<double>& samples, const VggishLogMelParams& params) {
  const int window_length = rounded(params.sample_rate * params.window_seconds, "a window");
  const int hop = rounded(params.sample_rate * params.hop_seconds, "a hop");
  int fft_length = 1;
  while (fft_length < window_length) fft_length *= 2;
  const auto n = static_cast<long>(samples.size());
  if (n < window_length) {
    throw InputError("VGGish front end: " + std::to_string(n) +
                     " samples are fewer than one window of " + std::to_string(window_length));
  }
  const long frames = 1 + (n - window_length) / hop;
  const std::vector<double> window = hann_window(window_length, true);
  Fft fft(fft_length);
  Matrix magnitude(frames, fft.num_bins());
  std::vector<double> frame(static_cast<std::size_t>(window_length));
  for (long t = 0; t < frames; ++t) {
    const double* start = samples.data() + t * hop;
    for (int i = 0; i < window_length; ++i) {
      frame[static_cast<std::size_t>(i)] = start[i] * window[static_cast<std::size_t>(i)];
    }
    auto row = std::span<double>(magnitude.row(t).data(), static_cast<std::size_t>(fft.num_bins()));
    fft.power_spectrum(frame, row);
    for (double& value : row) value = std::sqrt(value);
  }
  const Matrix mel =
      magnitude * vggish_mel_matrix(static_cast<int>(magnitude.cols()), params.sample_rate,
                                    params.n_mels, params.f_min, params.f_max);
  return (mel.array() + params.log_offset).log().matrix();
}

std::vector<Matrix> frame_rows(const Matrix& rows, int window, int hop) {
  if (window < 1 || hop < 1) throw InputError("framing: window and hop must be positive");
  std::vector<Matrix> out;
  if (rows.rows() < window) return out;
  const Eigen::Index count = 1 + (rows.rows() - window) / hop;
  out.reserve(static_cast<std::size_t>(count));
  for (Eigen::Index i = 0; i < count; ++i) out.emplace_back(rows.middleRows(i * hop, window));
  return out;
}

int vggish_example_frames(const VggishLogMelParams& params) {
  return rounded(params.example_seconds * (1.0 / params.hop_seconds), "an example");
}

int vggish_example_hop(const VggishLogMelParams& params) {
  return rounded(params.example_hop_seconds * (1.0 / params.hop_seconds), "an example hop");
}

std::vector<Matrix> vggish_examples(const std::vector<double>& samples,
                                    const VggishLogMelParams& params) {
  const int window_length = rounded(params.sample_rate * params.window_seconds, "a window");
  const int hop = rounded(params.sample_rate * params.hop_seconds, "a hop");
  const int example = vggish_example_frames(params);
  const long needed = window_length + static_cast<long>(example - 1) * hop;
  if (static_cast<long>(samples.size()) < needed) {
    throw InputError("VGGish needs at least " + std::to_string(needed) + " samples (" +
                     std::to_string(static_cast<double>(needed) / params.sample_rate) +
                     " s) for one example of " + std::to_string(example) + " frames, got " +
                     std::to_string(samples.size()));
  }
  return frame_rows(vggish_log_mel(samples, params), example, vggish_example_hop(params));
}

}  // namespace brainalign::dsp
