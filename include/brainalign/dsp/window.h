// Analysis windows for short-time spectra.
#pragma once

#include <vector>

namespace brainalign::dsp {

// 0.5 - 0.5 cos(2 pi n / D), D = length (periodic, torch.hann_window default) or length - 1
// (symmetric).
std::vector<double> hann_window(int length, bool periodic);

// 0.54 - 0.46 cos(2 pi n / D), with D as for hann_window.
std::vector<double> hamming_window(int length, bool periodic);

// Kaldi's window: the symmetric Hann window raised to the power 0.85.
std::vector<double> povey_window(int length);

// Kaldi's Blackman window: a - 0.5 cos(2 pi n / (length - 1)) + (0.5 - a) cos(4 pi n / (length -
// 1)).
std::vector<double> blackman_window(int length, double coefficient);

}  // namespace brainalign::dsp
