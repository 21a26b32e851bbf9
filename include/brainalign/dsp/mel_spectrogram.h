// Mel spectrogram and decibel conversion as torchaudio.transforms.MelSpectrogram and
// AmplitudeToDB.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/dsp/mel.h"

namespace brainalign::dsp {

// Defaults are torchaudio.transforms.MelSpectrogram's.
struct MelSpectrogramParams {
  double sample_rate = 16000.0;
  int n_fft = 400;
  int win_length = 0;  // 0: n_fft
  int hop_length = 0;  // 0: win_length / 2
  double f_min = 0.0;
  double f_max = 0.0;  // 0: floor(sample_rate / 2)
  int n_mels = 128;
  double power = 2.0;  // exponent of the magnitude: 1 amplitude, 2 power
  bool center = true;  // reflect padding by n_fft / 2 on each side
  MelNorm norm = MelNorm::kNone;
  MelScale mel_scale = MelScale::kHtk;
};

// n_mels x frames, from a periodic Hann window of win_length centred in n_fft.
Matrix mel_spectrogram(const std::vector<double>& waveform,
                       const MelSpectrogramParams& params = {});

// torchaudio.transforms.AmplitudeToDB(stype="power" (multiplier 10) or "magnitude" (20)):
// multiplier * log10(max(x, amin)) - multiplier * log10(max(amin, ref)), then, when top_db > 0,
// floored at (maximum over the whole matrix - top_db).
struct AmplitudeToDbParams {
  double multiplier = 10.0;
  double amin = 1e-10;
  double ref_value = 1.0;
  double top_db = 0.0;  // <= 0: no floor
};

Matrix amplitude_to_db(const Matrix& spectrogram, const AmplitudeToDbParams& params = {});

}  // namespace brainalign::dsp
