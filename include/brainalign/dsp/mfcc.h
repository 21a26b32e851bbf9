// Mel-frequency cepstral coefficients as torchaudio.transforms.MFCC.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/dsp/mel_spectrogram.h"

namespace brainalign::dsp {

// Defaults are torchaudio.transforms.MFCC's (DCT-II, orthonormal).
struct MfccParams {
  int n_mfcc = 40;
  // false: dB mel spectrogram (AmplitudeToDB, power, top_db); true: log(mel + 1e-6).
  bool log_mels = false;
  double top_db = 80.0;
  MelSpectrogramParams mel;
};

// The orthonormal DCT-II matrix, n_mfcc x n_mels: row k is the k-th cosine over mel bands.
Matrix dct_ortho_matrix(int n_mfcc, int n_mels);

// n_mfcc x frames.
Matrix mfcc(const std::vector<double>& waveform, const MfccParams& params = {});

}  // namespace brainalign::dsp
