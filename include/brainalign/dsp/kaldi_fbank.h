// Kaldi-compatible log mel filterbank (torchaudio.compliance.kaldi.fbank) and the Audio
// Spectrogram Transformer's input features built on it.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

enum class KaldiWindow { kHamming, kHanning, kPovey, kRectangular, kBlackman };

// Defaults are torchaudio.compliance.kaldi.fbank's. Dithering is not offered: the reference
// front ends all run with dither 0, which keeps the features deterministic.
struct KaldiFbankParams {
  double sample_frequency = 16000.0;  // Hz
  double frame_length_ms = 25.0;
  double frame_shift_ms = 10.0;
  int num_mel_bins = 23;
  double low_freq = 20.0;  // Hz
  double high_freq = 0.0;  // Hz; <= 0 means that many Hz below the Nyquist frequency
  double preemphasis_coefficient = 0.97;
  bool remove_dc_offset = true;
  KaldiWindow window_type = KaldiWindow::kPovey;
  double blackman_coeff = 0.42;
  bool round_to_power_of_two = true;
  bool snip_edges = true;   // false: frames centred on multiples of the shift, edges reflected
  bool use_energy = false;  // prepend (or, with htk_compat, append) the log frame energy
  bool raw_energy = true;   // energy before preemphasis and windowing
  double energy_floor = 1.0;
  bool htk_compat = false;
  bool use_log_fbank = true;   // log with a floor at float32 epsilon
  bool use_power = true;       // power rather than magnitude spectrum
  bool subtract_mean = false;  // subtract each feature's mean over frames
};

// Features as frames x bins (num_mel_bins, plus one energy column with use_energy). Throws
// InputError when the waveform is shorter than one frame or the parameters are inconsistent.
Matrix kaldi_fbank(const std::vector<double>& waveform, const KaldiFbankParams& params = {});

// ASTFeatureExtractor (transformers): 128-bin Kaldi fbank with a Hanning window on the waveform
// as given (no 2^15 scaling), zero-padded or cut to max_length frames, then (x - mean) / (2 std)
// (padding rows included).
struct AstFeatureParams {
  double sample_frequency = 16000.0;
  int num_mel_bins = 128;
  int max_length = 1024;
  bool do_normalize = true;
  double mean = -4.2677393;
  double std = 4.5689974;
};

// max_length x num_mel_bins.
Matrix ast_features(const std::vector<double>& waveform, const AstFeatureParams& params = {});

}  // namespace brainalign::dsp
