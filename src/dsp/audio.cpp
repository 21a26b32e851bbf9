#include "brainalign/dsp/audio.h"

#include <sndfile.h>
#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <utility>

#include "brainalign/base/error.h"

namespace brainalign::dsp {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// Symmetric Kaiser window of `length` points, as scipy.signal.get_window(('kaiser', beta), n,
// fftbins=False).
std::vector<double> kaiser_window(std::size_t length, double beta) {
  std::vector<double> window(length, 1.0);
  if (length < 2) return window;
  const double denominator = std::cyl_bessel_i(0.0, beta);
  const double last = static_cast<double>(length - 1);
  for (std::size_t n = 0; n < length; ++n) {
    const double ratio = 2.0 * static_cast<double>(n) / last - 1.0;
    window[n] =
        std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1.0 - ratio * ratio))) / denominator;
  }
  return window;
}

double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double pi_x = M_PI * x;
  return std::sin(pi_x) / pi_x;
}

}  // namespace

Audio read_audio(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    throw InputError("audio file " + quoted(path) + " does not exist");
  }
  if (std::filesystem::is_directory(path, error)) {
    throw InputError("audio file " + quoted(path) + " is a directory");
  }
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) {
    throw InputError("cannot read audio file " + quoted(path) +
                     " (unsupported format, corrupt or unreadable): " + sf_strerror(nullptr));
  }
  if (info.frames <= 0 || info.channels <= 0) {
    throw InputError("audio file " + quoted(path) + " holds no samples");
  }
  if (info.samplerate <= 0) {
    throw InputError("audio file " + quoted(path) + " has an invalid sample rate");
  }
  // The frame count comes from the header (a FLAC stream's STREAMINFO declares up to 2^36
  // frames whatever the file holds): read block by block and keep only what was read.
  const auto channels = static_cast<std::size_t>(info.channels);
  const sf_count_t block_frames =
      std::min<sf_count_t>(info.frames, std::max<sf_count_t>(1, 65536 / info.channels));
  std::vector<double> block(static_cast<std::size_t>(block_frames) * channels);
  Audio audio;
  audio.sample_rate = static_cast<double>(info.samplerate);
  sf_count_t read = 0;
  while (read < info.frames) {
    const sf_count_t want = std::min(block_frames, info.frames - read);
    const sf_count_t got = sf_readf_double(file.get(), block.data(), want);
    if (got <= 0) break;
    for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
      double sum = 0.0;
      for (std::size_t c = 0; c < channels; ++c) sum += block[i * channels + c];
      const double sample = sum / static_cast<double>(channels);
      if (!std::isfinite(sample)) {
        throw InputError("audio file " + quoted(path) + " holds a non-finite sample at frame " +
                         std::to_string(static_cast<std::size_t>(read) + i));
      }
      audio.samples.push_back(sample);
    }
    read += got;
  }
  if (read != info.frames) {
    throw InputError("audio file " + quoted(path) + " is truncated or corrupt: read " +
                     std::to_string(read) + " of the " + std::to_string(info.frames) +
                     " frames its header declares");
  }
  return audio;
}

std::vector<double> resample(const std::vector<double>& samples, double from_rate, double to_rate,
                             ResampleQuality quality) {
  if (!(from_rate > 0.0) || !(to_rate > 0.0) || !std::isfinite(from_rate) ||
      !std::isfinite(to_rate)) {
    throw InputError("resample: sample rates must be positive, got " + std::to_string(from_rate) +
                     " -> " + std::to_string(to_rate));
  }
  if (from_rate == to_rate || samples.empty()) return samples;
  const auto out_length = static_cast<std::size_t>(
      std::llround(static_cast<double>(samples.size()) * to_rate / from_rate));
  std::vector<double> out(out_length);
  const soxr_io_spec_t io_spec = soxr_io_spec(SOXR_FLOAT64_I, SOXR_FLOAT64_I);
  const soxr_quality_spec_t quality_spec =
      soxr_quality_spec(quality == ResampleQuality::kHigh ? SOXR_HQ : SOXR_VHQ, 0);
  std::size_t produced = 0;
  const soxr_error_t error =
      soxr_oneshot(from_rate, to_rate, 1, samples.data(), samples.size(), nullptr, out.data(),
                   out.size(), &produced, &io_spec, &quality_spec, nullptr);
  if (error != nullptr) {
    throw InputError(std::string("resample: libsoxr failed: ") + error);
  }
  out.resize(produced);
  out.resize(out_length, 0.0);
  return out;
}

std::vector<double> resample_poly(const std::vector<double>& samples, int up, int down) {
  if (up < 1 || down < 1) {
    throw InputError("resample_poly: up and down must be positive, got " + std::to_string(up) +
                     " / " + std::to_string(down));
  }
  const int divisor = std::gcd(up, down);
  up /= divisor;
  down /= divisor;
  if (up == 1 && down == 1) return samples;

  const long n_in = static_cast<long>(samples.size());
  const long n_out = (n_in * up + down - 1) / down;
  const int max_rate = std::max(up, down);
  const double cutoff = 1.0 / max_rate;
  const long half_length = 10L * max_rate;
  const auto taps = static_cast<std::size_t>(2 * half_length + 1);

  // Low-pass FIR as scipy.signal.firwin(taps, cutoff, window=('kaiser', 5.0)), gain `up`;
  // the last design is kept per thread, as a batch of files usually shares one rate.
  thread_local std::pair<int, int> designed_for{0, 0};
  thread_local std::vector<double> filter;
  if (designed_for != std::make_pair(up, down)) {
    filter.assign(taps, 0.0);
    const std::vector<double> window = kaiser_window(taps, 5.0);
    double sum = 0.0;
    for (std::size_t k = 0; k < taps; ++k) {
      const double m = static_cast<double>(k) - static_cast<double>(half_length);
      filter[k] = cutoff * sinc(cutoff * m) * window[k];
      sum += filter[k];
    }
    for (double& value : filter) value *= up / sum;
    designed_for = {up, down};
  }

  // Zero-padding in front of the filter centres the output samples (scipy's n_pre_pad).
  const long pre_pad = down - half_length % down;
  const long pre_remove = (half_length + pre_pad) / down;
  const long padded_length = static_cast<long>(taps) + pre_pad;

  std::vector<double> out(static_cast<std::size_t>(n_out), 0.0);
  for (long n = 0; n < n_out; ++n) {
    const long position = (n + pre_remove) * down;
    long first = position - padded_length + 1;
    first = first <= 0 ? 0 : (first + up - 1) / up;
    const long last = std::min(position / up, n_in - 1);
    double acc = 0.0;
    for (long j = first; j <= last; ++j) {
      const long k = position - up * j - pre_pad;
      if (k >= 0) acc += filter[static_cast<std::size_t>(k)] * samples[static_cast<std::size_t>(j)];
    }
    out[static_cast<std::size_t>(n)] = acc;
  }
  return out;
}

std::vector<double> cut_or_pad(const std::vector<double>& samples, std::size_t length) {
  std::vector<double> out(length, 0.0);
  std::copy_n(samples.begin(), std::min(length, samples.size()), out.begin());
  return out;
}

std::vector<double> rms_normalise(const std::vector<double>& samples, double target_rms) {
  double energy = 0.0;
  for (double value : samples) energy += value * value;
  if (samples.empty() || energy == 0.0) {
    throw InputError("rms_normalise: the signal is silent (all zeros or empty)");
  }
  const double rms = std::sqrt(energy / static_cast<double>(samples.size()));
  std::vector<double> out(samples);
  for (double& value : out) value *= target_rms / rms;
  return out;
}

}  // namespace brainalign::dsp
