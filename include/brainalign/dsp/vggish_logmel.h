// The log-mel front end of VGGish: AudioSet's vggish_input.waveform_to_examples and
// mel_features.log_mel_spectrogram, as torchvggish (harritaylor/torchvggish, the port the
// 2023 and 2025 studies ran) carries them over. Frames of 25 ms every 10 ms at 16 kHz, each
// taken from its first sample (no centring, no padding) under a periodic Hann window and
// zero-padded to the next power of two; FFT magnitudes (not power) through 64 triangular mel
// bands between 125 and 7500 Hz on the HTK scale 1127 ln(1 + f / 700), the triangles linear in
// mel; log(mel + 0.01). The frames are then grouped into examples of 0.96 s (96 frames) every
// 0.96 s, an incomplete last example dropped. Everything runs in double precision, as numpy
// runs it.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

// vggish_params.py's values.
struct VggishLogMelParams {
  double sample_rate = 16000.0;
  double window_seconds = 0.025;      // STFT_WINDOW_LENGTH_SECONDS
  double hop_seconds = 0.010;         // STFT_HOP_LENGTH_SECONDS
  int n_mels = 64;                    // NUM_MEL_BINS
  double f_min = 125.0;               // MEL_MIN_HZ
  double f_max = 7500.0;              // MEL_MAX_HZ
  double log_offset = 0.01;           // LOG_OFFSET
  double example_seconds = 0.96;      // EXAMPLE_WINDOW_SECONDS
  double example_hop_seconds = 0.96;  // EXAMPLE_HOP_SECONDS
};

// mel_features.spectrogram_to_mel_matrix: n_bins x n_mels weights that post-multiply a
// magnitude spectrogram (frames x n_bins, bin k at k * (sample_rate / 2) / (n_bins - 1) Hz).
// Row 0 (the DC bin) is zero. InputError for edges out of order or above Nyquist.
Matrix vggish_mel_matrix(int n_bins, double sample_rate, int n_mels, double f_min, double f_max);

// mel_features.log_mel_spectrogram: frames x n_mels. InputError when the signal is shorter
// than one window.
Matrix vggish_log_mel(const std::vector<double>& samples, const VggishLogMelParams& params = {});

// mel_features.frame over rows: the complete windows of `window` rows every `hop` rows, each
// window x cols. Empty when there are fewer than `window` rows.
std::vector<Matrix> frame_rows(const Matrix& rows, int window, int hop);

// Frames and rows per example for these parameters: round(seconds / hop_seconds).
int vggish_example_frames(const VggishLogMelParams& params = {});
int vggish_example_hop(const VggishLogMelParams& params = {});

// waveform_to_examples for mono audio already at params.sample_rate: the log-mel examples,
// each example_frames x n_mels. InputError when the audio is shorter than one example
// (0.975 s at the defaults).
std::vector<Matrix> vggish_examples(const std::vector<double>& samples,
                                    const VggishLogMelParams& params = {});

}  // namespace brainalign::dsp
