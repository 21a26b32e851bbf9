// The input features of Speech2Text (transformers Speech2TextFeatureExtractor): the Kaldi log
// mel filterbank of the waveform scaled to 16-bit range, then utterance-level mean and
// variance normalisation of every bin.
#pragma once

#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign::dsp {

struct Speech2TextFeatureParams {
  double sample_frequency = 16000.0;
  int num_mel_bins = 80;
  bool normalize_means = true;
  bool normalize_vars = true;
};

// frames x num_mel_bins: kaldi_fbank(waveform * 2^15) with torchaudio's defaults (Povey window,
// 25 ms / 10 ms frames), then each bin minus its mean over frames, divided by its standard
// deviation over frames (population, no floor). Throws InputError for a waveform shorter than
// one frame.
Matrix speech2text_features(const std::vector<double>& waveform,
                            const Speech2TextFeatureParams& params = {});

}  // namespace brainalign::dsp
