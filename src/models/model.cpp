#include "brainalign/models/model.h"

#include <utility>

namespace brainalign {

dsp::Audio Model::prepare(dsp::Audio audio) const {
  if (audio.sample_rate == sample_rate()) return audio;
  audio.samples = dsp::resample(audio.samples, audio.sample_rate, sample_rate());
  audio.sample_rate = sample_rate();
  return audio;
}

}  // namespace brainalign
