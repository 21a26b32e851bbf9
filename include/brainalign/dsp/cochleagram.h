// The cochleagram of chcochleagram's `cochleagram_1`: the front end of the spectrotemporal
// filter model (docs/spectemp.md, sections 2.1-2.6).
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/dsp/fft.h"

namespace brainalign::dsp {

// Defaults are `cochleagram_1`'s: 2 s at 20 kHz, 211 half-cosine ERB channels (sample factor 4)
// from 50 Hz to 10 kHz, Hilbert envelopes, sinc-Kaiser downsampling to 200 Hz, power 0.3.
struct CochleagramParams {
  int signal_size = 40000;       // samples; the model only runs at exactly this length
  double sample_rate = 20000.0;  // Hz
  double envelope_rate = 200.0;  // Hz; sample_rate / envelope_rate must be an integer
  int num_filters = 50;          // n of ERBCosFilters, before oversampling
  double low_limit = 50.0;       // Hz
  double high_limit = 10000.0;   // Hz
  int sample_factor = 4;         // filter overlap: 211 = 4 * (50 + 1) - 1 + 2 * 4 channels
  int downsample_window = 1001;  // taps of the sinc * Kaiser kernel
  double kaiser_beta = 5.0;
  double compression_power = 0.3;  // (max(x, 0) + offset) ^ power
  double compression_offset = 1e-8;
};

// ERB-number scale of pycochleagram (Glasberg and Moore): 9.265 ln(1 + f / (24.7 * 9.265)).
double erb_number(double hz);
double erb_number_to_hz(double erb);

// Filters and kernels are built once; compute() is const and safe to call from several threads.
class Cochleagram {
 public:
  explicit Cochleagram(const CochleagramParams& params = {});

  int num_channels() const { return static_cast<int>(bands_.size()); }
  int num_frames() const { return num_frames_; }
  const CochleagramParams& params() const { return params_; }
  // channels x (signal_size / 2 + 1) real frequency responses, lowest channel first.
  Matrix filters() const;
  // Nominal centre frequency of each channel, Hz.
  const std::vector<double>& centre_frequencies() const { return centre_frequencies_; }
  // The downsampling kernel, downsample_window taps.
  const std::vector<double>& downsampling_kernel() const { return kernel_; }

  // channels x frames (211 x 390 by default). The waveform must have signal_size samples.
  Matrix compute(const std::vector<double>& waveform) const;

 private:
  // The bins where a channel's response is non-zero, and the transform that turns them into
  // its envelope (see compute()).
  struct Band {
    int first_bin;
    std::vector<double> gains;
    int transform_size;  // a divisor of signal_size at least as large as the band
  };
  CochleagramParams params_;
  std::vector<Band> bands_;
  std::vector<BatchFft> transforms_;         // one per transform size in use
  std::vector<double> roots_re_, roots_im_;  // e^{-2 pi i r / signal_size}
  std::vector<double> centre_frequencies_;
  std::vector<double> kernel_;
  int decimation_;
  int num_frames_;
};

}  // namespace brainalign::dsp
