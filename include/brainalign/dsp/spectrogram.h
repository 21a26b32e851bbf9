// Short-time power spectra, framed as torch.stft frames them.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

// |STFT|^2 as frames x (n_fft / 2 + 1). The window (at most n_fft samples) is centred in the
// n_fft-sample frame. With `center`, the signal is first reflect-padded by n_fft / 2 samples on
// each side (torch.stft's default), so frame t is centred on sample t * hop_length. Throws
// InputError when the signal is too short for one frame or for reflect padding.
Matrix power_spectrogram(const std::vector<double>& samples, const std::vector<double>& window,
                         int n_fft, int hop_length, bool center);

// Reflect padding (the edge sample is not repeated), as numpy's and torch's "reflect" mode.
std::vector<double> reflect_pad(const std::vector<double>& samples, int pad);

}  // namespace brainalign::dsp
