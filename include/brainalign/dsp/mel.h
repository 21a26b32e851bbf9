// Mel frequency scales and triangular mel filterbanks.
#pragma once

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

// kHtk: 2595 log10(1 + f / 700). kSlaney: linear below 1 kHz (3 f / 200), logarithmic above
// (27 / ln 6.4 mels per e-fold), as librosa, torchaudio and transformers define it.
enum class MelScale { kHtk, kSlaney };

// kSlaney divides each triangle by half its width in Hz (constant energy per channel).
enum class MelNorm { kNone, kSlaney };

double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// Triangular filters, n_mels x n_freqs, as torchaudio.functional.melscale_fbanks and
// transformers' mel_filter_bank: edges equally spaced in mel between f_min and f_max, triangles
// linear in Hz, FFT bin k at k * floor(sample_rate / 2) / (n_freqs - 1) Hz.
Matrix mel_filterbank(int n_freqs, double sample_rate, int n_mels, double f_min, double f_max,
                      MelScale scale, MelNorm norm);

}  // namespace brainalign::dsp
