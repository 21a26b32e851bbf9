// Savitzky-Golay smoothing of a curve (checkpoint series), as scipy.signal.savgol_filter with
// deriv = 0 and its default mode 'interp': the centre of each window is a least-squares
// polynomial fit, and the first and last window_length // 2 points are the values of one
// polynomial fitted to the first (last) window_length points. Even windows are allowed, as in
// scipy (the fit is evaluated half a sample off the middle).
#pragma once

#include <span>
#include <vector>

namespace brainalign::study {

// InputError when order >= window, window < 1 or the curve is shorter than the window.
std::vector<double> savgol_filter(std::span<const double> values, int window, int order);

}  // namespace brainalign::study