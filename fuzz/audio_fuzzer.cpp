// libFuzzer target for sound files: dsp::read_audio (libsndfile: WAV, FLAC, OGG, AIFF, ...).
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::audio_entry({data, size});
  return 0;
}
