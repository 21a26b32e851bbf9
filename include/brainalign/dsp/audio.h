// Waveforms in and out of brainalign: reading sound files, resampling, length and level.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

namespace brainalign::dsp {

// A mono waveform: samples in [-1, 1] full scale at `sample_rate` Hz.
struct Audio {
  std::vector<double> samples;
  double sample_rate = 0.0;
};

// Reads any format libsndfile knows (WAV, FLAC, OGG/Vorbis, AIFF, ...); several channels are
// mixed down to their mean. Integer PCM is scaled to [-1, 1). Throws InputError naming the file
// when it is missing, unreadable, corrupt, in an unsupported format, has no frames, or holds
// non-finite samples.
Audio read_audio(const std::filesystem::path& path);

// libsoxr's quality recipes: kHigh (SOXR_HQ, 20-bit) is what librosa's default 'soxr_hq'
// resampling uses; kVeryHigh (SOXR_VHQ, 28-bit) is brainalign's default.
enum class ResampleQuality { kHigh, kVeryHigh };

// Band-limited resampling with libsoxr, double-precision input and output. The output has
// round(size * to_rate / from_rate) samples. Throws InputError for rates <= 0.
std::vector<double> resample(const std::vector<double>& samples, double from_rate, double to_rate,
                             ResampleQuality quality = ResampleQuality::kVeryHigh);

// Polyphase resampling by up / down as scipy.signal.resample_poly with its default
// ('kaiser', 5.0) window: the resampler of the published spectrotemporal pipeline.
std::vector<double> resample_poly(const std::vector<double>& samples, int up, int down);

// The first `length` samples, zero-padded at the end when there are fewer.
std::vector<double> cut_or_pad(const std::vector<double>& samples, std::size_t length);

// Scales the samples so that their root mean square is `target_rms` (no demeaning). Throws
// InputError for an all-zero or empty signal, which has no level to scale.
std::vector<double> rms_normalise(const std::vector<double>& samples, double target_rms);

}  // namespace brainalign::dsp
