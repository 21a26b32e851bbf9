#include "brainalign/dsp/whisper_logmel.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/dsp/mel.h"
#include "brainalign/dsp/spectrogram.h"
#include "brainalign/dsp/window.h"

namespace brainalign::dsp {

Matrix whisper_log_mel(const std::vector<double>& waveform, const WhisperLogMelParams& params) {
  if (params.chunk_length_s < 1 || params.n_mels < 1 || !(params.sample_rate > 0.0)) {
    throw InputError("whisper_log_mel: chunk length, mel count and sample rate must be positive");
  }
  const auto chunk_samples =
      static_cast<std::size_t>(std::llround(params.chunk_length_s * params.sample_rate));
  const std::vector<double> chunk = cut_or_pad(waveform, chunk_samples);
  const Matrix power = power_spectrogram(chunk, hann_window(params.n_fft, true), params.n_fft,
                                         params.hop_length, true);
  const Matrix filters = mel_filterbank(params.n_fft / 2 + 1, params.sample_rate, params.n_mels,
                                        0.0, params.f_max, MelScale::kSlaney, MelNorm::kSlaney);
  // Whisper drops the last STFT frame.
  const Eigen::Index frames = power.rows() - 1;
  Matrix log_mel = filters * power.topRows(frames).transpose();
  log_mel = log_mel.array().max(1e-10).log10();
  const double floor = log_mel.maxCoeff() - 8.0;
  log_mel = (log_mel.array().max(floor) + 4.0) / 4.0;
  return log_mel;
}

}  // namespace brainalign::dsp
