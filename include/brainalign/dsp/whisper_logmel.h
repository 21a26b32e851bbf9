// Whisper's log-mel input features (transformers WhisperFeatureExtractor).
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

struct WhisperLogMelParams {
  int n_mels = 80;  // 80, or 128 for large-v3
  double sample_rate = 16000.0;
  int n_fft = 400;
  int hop_length = 160;
  int chunk_length_s = 30;  // the waveform is zero-padded or cut to this many seconds
  double f_max = 8000.0;    // top of the Slaney filterbank, Hz
};

// n_mels x (chunk samples / hop_length): periodic Hann STFT with centre reflect padding, the
// last frame dropped, Slaney-normalised Slaney-scale mel filters, log10 clamped at 1e-10,
// floored at (max - 8), then (x + 4) / 4.
Matrix whisper_log_mel(const std::vector<double>& waveform, const WhisperLogMelParams& params = {});

}  // namespace brainalign::dsp
