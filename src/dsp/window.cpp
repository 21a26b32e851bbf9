#include "brainalign/dsp/window.h"

#include <cmath>
#include <string>

#include "brainalign/base/error.h"

namespace brainalign::dsp {

namespace {

void check_length(int length) {
  if (length < 1) throw InputError("window length must be positive, got " + std::to_string(length));
}

// Raised-cosine family a - (1 - a) cos(2 pi n / D).
std::vector<double> raised_cosine(int length, bool periodic, double a) {
  check_length(length);
  std::vector<double> window(static_cast<std::size_t>(length), 1.0);
  const int denominator = periodic ? length : length - 1;
  if (denominator == 0) return window;
  for (int n = 0; n < length; ++n) {
    window[static_cast<std::size_t>(n)] = a - (1.0 - a) * std::cos(2.0 * M_PI * n / denominator);
  }
  return window;
}

}  // namespace

std::vector<double> hann_window(int length, bool periodic) {
  return raised_cosine(length, periodic, 0.5);
}

std::vector<double> hamming_window(int length, bool periodic) {
  return raised_cosine(length, periodic, 0.54);
}

std::vector<double> povey_window(int length) {
  std::vector<double> window = hann_window(length, false);
  for (double& value : window) value = std::pow(value, 0.85);
  return window;
}

std::vector<double> blackman_window(int length, double coefficient) {
  check_length(length);
  std::vector<double> window(static_cast<std::size_t>(length), 1.0);
  if (length == 1) return window;
  const double step = 2.0 * M_PI / (length - 1);
  for (int n = 0; n < length; ++n) {
    window[static_cast<std::size_t>(n)] =
        coefficient - 0.5 * std::cos(step * n) + (0.5 - coefficient) * std::cos(2.0 * step * n);
  }
  return window;
}

}  // namespace brainalign::dsp
