// The spectrotemporal modulation filter model ("spectemp", Tuckute et al. 2023's baseline):
// 111 fixed 2-D modulation filters applied to the cochleagram, squared and averaged over time
// (the 'avgpool' layer). docs/spectemp.md gives every constant; sections are cited below.
#pragma once

#include <complex>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/dsp/cochleagram.h"
#include "brainalign/dsp/fft.h"

namespace brainalign::dsp {

// One modulation filter: temporal rate in Hz, negative for upward-moving ripples (frequency
// rising over time), and spectral scale in cycles per 6 channels (nominal cycles per ERB).
struct SpectempFilter {
  double rate_hz;
  double scale;
};

// The fixed filterbank for a 211-channel x 390-frame cochleagram (section 4). Built once (about
// 30 ms); avgpool() is const and safe to call from several threads.
class SpectempFilterBank {
 public:
  SpectempFilterBank();

  static constexpr int kChannels = 211;
  static constexpr int kFrames = 390;

  int num_filters() const { return static_cast<int>(filters_.size()); }
  // Filter order of the reference: labels as its spec_temp_freqs (rate, scale).
  const std::vector<SpectempFilter>& filters() const { return filters_; }

  // The 'avgpool' layer (sections 3, 5, 6): filters x channels (111 x 211), the time-averaged
  // power max(y^2, 1e-8) of each filter's output on 100 x cochleagram. Row-major flattening is
  // the reference's 23,421-dimensional feature vector.
  Matrix avgpool(const Matrix& cochleagram) const;

 private:
  std::vector<SpectempFilter> filters_;
  std::vector<double> rates_;
  std::vector<double> scales_;
  // Separable pieces of the 2-D transfer functions (see spectemp.cpp). Per rate: the two
  // temporal kernels of both directions as one complex multiplier on the time-frequency grid,
  // and the undirected kernel (half spectrum) for the scale-0 filters. Per scale: the two
  // spectral kernels as multipliers of a bin and of its mirror on the channel-frequency grid,
  // and the undirected kernel as a Toeplitz matrix for the rate-0 filters. Plus the DC and
  // Nyquist values of every transfer function.
  using Spectrum = std::vector<std::complex<double>>;
  std::vector<std::vector<double>> temporal_re_, temporal_im_;
  std::vector<Spectrum> temporal_full_;
  std::vector<std::vector<double>> spectral_bin_re_, spectral_bin_im_, spectral_mirror_re_,
      spectral_mirror_im_;
  std::vector<Matrix> spectral_full_;
  std::vector<double> temporal_dc_, temporal_nyquist_, spectral_dc_, spectral_nyquist_;
  BatchFft temporal_fft_;
  BatchFft spectral_fft_;
};

// Section 1: the first 2 s at the native rate (a shorter clip padded with zeros to 2 s),
// scipy-style polyphase resampling to 20 kHz, demeaned, scaled to RMS 0.1 and clamped to
// [-1, 1]. Throws InputError for empty clips, non-integer sample rates or silence.
std::vector<double> spectemp_waveform(const Audio& audio);

// Waveform to 'avgpool' features (111 x 211): the full published pipeline.
class SpectempModel {
 public:
  SpectempModel() = default;
  const Cochleagram& cochleagram() const { return cochleagram_; }
  const SpectempFilterBank& filterbank() const { return filterbank_; }
  Matrix features(const Audio& audio) const;

 private:
  Cochleagram cochleagram_;
  SpectempFilterBank filterbank_;
};

}  // namespace brainalign::dsp
