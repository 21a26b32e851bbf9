#include "brainalign/dsp/kaldi_fbank.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/dsp/fft.h"
#include "brainalign/dsp/window.h"

namespace brainalign::dsp {

namespace {

// torch.finfo(torch.float).eps: Kaldi's floor before every log.
constexpr double kLogFloor = std::numeric_limits<float>::epsilon();

double kaldi_mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

std::vector<double> make_window(const KaldiFbankParams& params, int length) {
  switch (params.window_type) {
    case KaldiWindow::kHamming:
      return hamming_window(length, false);
    case KaldiWindow::kHanning:
      return hann_window(length, false);
    case KaldiWindow::kPovey:
      return povey_window(length);
    case KaldiWindow::kRectangular:
      return std::vector<double>(static_cast<std::size_t>(length), 1.0);
    case KaldiWindow::kBlackman:
      return blackman_window(length, params.blackman_coeff);
  }
  throw InputError("kaldi_fbank: unknown window type");
}

// Triangles in mel space over bins 0..padded/2 - 1 (the Nyquist bin gets no weight), as Kaldi's
// MelBanks without vocal tract length warping.
Matrix kaldi_mel_banks(int num_bins, int padded_window_size, double sample_frequency,
                       double low_freq, double high_freq) {
  const int num_fft_bins = padded_window_size / 2;
  const double nyquist = 0.5 * sample_frequency;
  if (high_freq <= 0.0) high_freq += nyquist;
  if (!(low_freq >= 0.0 && low_freq < nyquist && high_freq > 0.0 && high_freq <= nyquist &&
        low_freq < high_freq)) {
    throw InputError("kaldi_fbank: bad frequency range [" + std::to_string(low_freq) + ", " +
                     std::to_string(high_freq) + "] Hz for Nyquist frequency " +
                     std::to_string(nyquist) + " Hz");
  }
  const double bin_width = sample_frequency / padded_window_size;
  const double mel_low = kaldi_mel(low_freq);
  const double mel_delta = (kaldi_mel(high_freq) - mel_low) / (num_bins + 1);
  Matrix banks = Matrix::Zero(num_bins, num_fft_bins + 1);
  for (int b = 0; b < num_bins; ++b) {
    const double left = mel_low + b * mel_delta;
    const double centre = left + mel_delta;
    const double right = centre + mel_delta;
    for (int k = 0; k < num_fft_bins; ++k) {
      const double mel = kaldi_mel(bin_width * k);
      const double up = (mel - left) / (centre - left);
      const double down = (right - mel) / (right - centre);
      banks(b, k) = std::max(0.0, std::min(up, down));
    }
  }
  return banks;
}

double log_energy(std::span<const double> frame, double energy_floor) {
  double energy = 0.0;
  for (double value : frame) energy += value * value;
  const double log_value = std::log(std::max(energy, kLogFloor));
  return energy_floor == 0.0 ? log_value : std::max(log_value, std::log(energy_floor));
}

}  // namespace

Matrix kaldi_fbank(const std::vector<double>& waveform, const KaldiFbankParams& params) {
  const int window_shift =
      static_cast<int>(params.sample_frequency * params.frame_shift_ms * 0.001);
  const int window_size =
      static_cast<int>(params.sample_frequency * params.frame_length_ms * 0.001);
  if (window_size < 2 || window_shift < 1 || params.num_mel_bins < 3 ||
      !(params.sample_frequency > 0.0)) {
    throw InputError(
        "kaldi_fbank: need a frame of at least 2 samples, a shift of at least 1 and "
        "at least 3 mel bins; got frame " +
        std::to_string(window_size) + ", shift " + std::to_string(window_shift) + ", bins " +
        std::to_string(params.num_mel_bins));
  }
  int padded_size = window_size;
  if (params.round_to_power_of_two) {
    padded_size = 1;
    while (padded_size < window_size) padded_size *= 2;
  }

  // Frames, laid end to end: with snip_edges only complete frames; otherwise Kaldi's frames
  // centred on multiples of the shift, the signal reflected at both ends.
  const long num_samples = static_cast<long>(waveform.size());
  std::vector<double> source;
  long num_frames = 0;
  if (params.snip_edges) {
    num_frames = num_samples < window_size ? 0 : 1 + (num_samples - window_size) / window_shift;
    source = waveform;
  } else {
    num_frames = (num_samples + window_shift / 2) / window_shift;
    const long pad = window_size / 2 - window_shift / 2;
    if (pad > num_samples) {
      throw InputError("kaldi_fbank: waveform of " + std::to_string(num_samples) +
                       " samples is too short to reflect at its edges");
    }
    if (pad > 0) {
      for (long i = pad - 1; i >= 0; --i) source.push_back(waveform[static_cast<std::size_t>(i)]);
      source.insert(source.end(), waveform.begin(), waveform.end());
    } else {
      source.assign(waveform.begin() + static_cast<std::ptrdiff_t>(-pad), waveform.end());
    }
    source.insert(source.end(), waveform.rbegin(), waveform.rend());
  }
  if (num_frames < 1) {
    throw InputError("kaldi_fbank: waveform of " + std::to_string(num_samples) +
                     " samples is shorter than one frame of " + std::to_string(window_size));
  }

  const std::vector<double> window = make_window(params, window_size);
  const Matrix banks = kaldi_mel_banks(params.num_mel_bins, padded_size, params.sample_frequency,
                                       params.low_freq, params.high_freq);
  const int energy_columns = params.use_energy ? 1 : 0;
  const int mel_offset = params.use_energy && !params.htk_compat ? 1 : 0;
  Matrix features(num_frames, params.num_mel_bins + energy_columns);

  Fft fft(padded_size);
  std::vector<double> frame(static_cast<std::size_t>(padded_size), 0.0);
  Eigen::VectorXd spectrum(fft.num_bins());
  const auto window_span = static_cast<std::size_t>(window_size);
  for (long t = 0; t < num_frames; ++t) {
    std::fill(frame.begin(), frame.end(), 0.0);
    std::copy_n(source.begin() + t * window_shift, window_size, frame.begin());
    std::span<double> active(frame.data(), window_span);
    if (params.remove_dc_offset) {
      double mean = 0.0;
      for (double value : active) mean += value;
      mean /= window_size;
      for (double& value : active) value -= mean;
    }
    double energy = 0.0;
    if (params.use_energy && params.raw_energy) energy = log_energy(active, params.energy_floor);
    if (params.preemphasis_coefficient != 0.0) {
      // Kaldi treats the sample before the frame as a copy of its first sample.
      for (std::size_t i = window_span - 1; i > 0; --i) {
        active[i] -= params.preemphasis_coefficient * active[i - 1];
      }
      active[0] -= params.preemphasis_coefficient * active[0];
    }
    for (std::size_t i = 0; i < window_span; ++i) active[i] *= window[i];
    if (params.use_energy && !params.raw_energy) energy = log_energy(active, params.energy_floor);

    fft.power_spectrum(
        frame, std::span<double>(spectrum.data(), static_cast<std::size_t>(spectrum.size())));
    if (!params.use_power) spectrum = spectrum.cwiseSqrt();
    for (int b = 0; b < params.num_mel_bins; ++b) {
      double value = banks.row(b).dot(spectrum.transpose());
      if (params.use_log_fbank) value = std::log(std::max(value, kLogFloor));
      features(t, mel_offset + b) = value;
    }
    if (params.use_energy) {
      features(t, params.htk_compat ? params.num_mel_bins : 0) = energy;
    }
  }
  if (params.subtract_mean) features.rowwise() -= features.colwise().mean();
  return features;
}

Matrix ast_features(const std::vector<double>& waveform, const AstFeatureParams& params) {
  if (params.max_length < 1) {
    throw InputError("ast_features: max_length must be positive, got " +
                     std::to_string(params.max_length));
  }
  KaldiFbankParams fbank_params;
  fbank_params.sample_frequency = params.sample_frequency;
  fbank_params.num_mel_bins = params.num_mel_bins;
  fbank_params.window_type = KaldiWindow::kHanning;
  const Matrix fbank = kaldi_fbank(waveform, fbank_params);

  Matrix features = Matrix::Zero(params.max_length, params.num_mel_bins);
  const Eigen::Index kept = std::min<Eigen::Index>(fbank.rows(), params.max_length);
  features.topRows(kept) = fbank.topRows(kept);
  if (params.do_normalize) {
    features = (features.array() - params.mean) / (2.0 * params.std);
  }
  return features;
}

}  // namespace brainalign::dsp
