#include "brainalign/dsp/mel_spectrogram.h"

#include <cmath>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/spectrogram.h"
#include "brainalign/dsp/window.h"

namespace brainalign::dsp {

Matrix mel_spectrogram(const std::vector<double>& waveform, const MelSpectrogramParams& params) {
  const int win_length = params.win_length > 0 ? params.win_length : params.n_fft;
  const int hop_length = params.hop_length > 0 ? params.hop_length : win_length / 2;
  const double f_max = params.f_max > 0.0 ? params.f_max : std::floor(params.sample_rate / 2.0);
  if (!(params.power > 0.0)) {
    throw InputError("mel_spectrogram: power must be positive, got " +
                     std::to_string(params.power));
  }
  Matrix spectrum = power_spectrogram(waveform, hann_window(win_length, true), params.n_fft,
                                      hop_length, params.center);
  if (params.power != 2.0) spectrum = spectrum.array().pow(params.power / 2.0);
  const Matrix filters = mel_filterbank(params.n_fft / 2 + 1, params.sample_rate, params.n_mels,
                                        params.f_min, f_max, params.mel_scale, params.norm);
  return filters * spectrum.transpose();
}

Matrix amplitude_to_db(const Matrix& spectrogram, const AmplitudeToDbParams& params) {
  if (!(params.amin > 0.0)) {
    throw InputError("amplitude_to_db: amin must be positive, got " + std::to_string(params.amin));
  }
  const double offset = params.multiplier * std::log10(std::max(params.amin, params.ref_value));
  Matrix db = (params.multiplier * spectrogram.array().max(params.amin).log10() - offset).matrix();
  if (params.top_db > 0.0 && db.size() > 0) {
    db = db.array().max(db.maxCoeff() - params.top_db).matrix();
  }
  return db;
}

}  // namespace brainalign::dsp
