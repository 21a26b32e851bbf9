#include "brainalign/dsp/mel.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "brainalign/base/error.h"

namespace brainalign::dsp {

namespace {

constexpr double kSlaneyLinearStep = 200.0 / 3.0;  // Hz per mel below 1 kHz
constexpr double kSlaneyLogStartHz = 1000.0;
constexpr double kSlaneyLogStartMel = kSlaneyLogStartHz / kSlaneyLinearStep;  // 15 mels

double slaney_log_step() { return std::log(6.4) / 27.0; }

}  // namespace

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyLogStartHz) return hz / kSlaneyLinearStep;
  return kSlaneyLogStartMel + std::log(hz / kSlaneyLogStartHz) / slaney_log_step();
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyLogStartMel) return mel * kSlaneyLinearStep;
  return kSlaneyLogStartHz * std::exp(slaney_log_step() * (mel - kSlaneyLogStartMel));
}

Matrix mel_filterbank(int n_freqs, double sample_rate, int n_mels, double f_min, double f_max,
                      MelScale scale, MelNorm norm) {
  if (n_freqs < 2 || n_mels < 1) {
    throw InputError("mel_filterbank: need at least 2 frequency bins and 1 mel band, got " +
                     std::to_string(n_freqs) + " and " + std::to_string(n_mels));
  }
  if (!(f_min >= 0.0) || !(f_max > f_min)) {
    throw InputError("mel_filterbank: need 0 <= f_min < f_max, got " + std::to_string(f_min) +
                     " and " + std::to_string(f_max));
  }
  const double mel_min = hz_to_mel(f_min, scale);
  const double mel_max = hz_to_mel(f_max, scale);
  std::vector<double> edges(static_cast<std::size_t>(n_mels) + 2);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const double mel =
        mel_min + (mel_max - mel_min) * static_cast<double>(i) / static_cast<double>(n_mels + 1);
    edges[i] = mel_to_hz(mel, scale);
  }
  const double top_bin_hz = std::floor(sample_rate / 2.0);
  Matrix filters = Matrix::Zero(n_mels, n_freqs);
  for (int m = 0; m < n_mels; ++m) {
    const auto i = static_cast<std::size_t>(m);
    const double lower = edges[i], centre = edges[i + 1], upper = edges[i + 2];
    const double scale_factor = norm == MelNorm::kSlaney ? 2.0 / (upper - lower) : 1.0;
    for (int k = 0; k < n_freqs; ++k) {
      const double hz = top_bin_hz * k / (n_freqs - 1);
      const double rising = (hz - lower) / (centre - lower);
      const double falling = (upper - hz) / (upper - centre);
      filters(m, k) = std::max(0.0, std::min(rising, falling)) * scale_factor;
    }
  }
  return filters;
}

}  // namespace brainalign::dsp
