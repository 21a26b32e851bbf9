#include "brainalign/dsp/spectrogram.h"

#include <span>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"

namespace brainalign::dsp {

std::vector<double> reflect_pad(const std::vector<double>& samples, int pad) {
  const auto n = static_cast<long>(samples.size());
  if (pad < 0 || pad >= n) {
    throw InputError("reflect padding by " + std::to_string(pad) +
                     " samples needs a signal of at " + "least " + std::to_string(pad + 1) +
                     " samples, got " + std::to_string(n));
  }
  std::vector<double> out(samples.size() + 2 * static_cast<std::size_t>(pad));
  for (long i = 0; i < static_cast<long>(out.size()); ++i) {
    long source = i - pad;
    if (source < 0) source = -source;
    if (source >= n) source = 2 * (n - 1) - source;
    out[static_cast<std::size_t>(i)] = samples[static_cast<std::size_t>(source)];
  }
  return out;
}

Matrix power_spectrogram(const std::vector<double>& samples, const std::vector<double>& window,
                         int n_fft, int hop_length, bool center) {
  if (n_fft < 1 || hop_length < 1) {
    throw InputError("spectrogram: n_fft and hop_length must be positive, got " +
                     std::to_string(n_fft) + " and " + std::to_string(hop_length));
  }
  const int win_length = static_cast<int>(window.size());
  if (win_length < 1 || win_length > n_fft) {
    throw InputError("spectrogram: window of " + std::to_string(win_length) +
                     " samples does not fit n_fft " + std::to_string(n_fft));
  }
  const std::vector<double> padded = center ? reflect_pad(samples, n_fft / 2) : samples;
  const long length = static_cast<long>(padded.size());
  if (length < n_fft) {
    throw InputError("spectrogram: signal of " + std::to_string(length) +
                     " samples is shorter than one frame of " + std::to_string(n_fft));
  }
  const long frames = 1 + (length - n_fft) / hop_length;
  const int offset = (n_fft - win_length) / 2;

  Fft fft(n_fft);
  Matrix power(frames, fft.num_bins());
  std::vector<double> frame(static_cast<std::size_t>(n_fft), 0.0);
  for (long t = 0; t < frames; ++t) {
    const double* start = padded.data() + t * hop_length + offset;
    for (int i = 0; i < win_length; ++i) {
      frame[static_cast<std::size_t>(offset + i)] = start[i] * window[static_cast<std::size_t>(i)];
    }
    fft.power_spectrum(
        frame, std::span<double>(power.row(t).data(), static_cast<std::size_t>(fft.num_bins())));
  }
  return power;
}

}  // namespace brainalign::dsp
