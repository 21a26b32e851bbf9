#include "brainalign/dsp/speech2text_fbank.h"

#include "brainalign/dsp/kaldi_fbank.h"

namespace brainalign::dsp {

Matrix speech2text_features(const std::vector<double>& waveform,
                            const Speech2TextFeatureParams& params) {
  std::vector<double> scaled(waveform.size());
  for (std::size_t i = 0; i < waveform.size(); ++i) scaled[i] = waveform[i] * 32768.0;
  KaldiFbankParams fbank_params;
  fbank_params.sample_frequency = params.sample_frequency;
  fbank_params.num_mel_bins = params.num_mel_bins;
  Matrix features = kaldi_fbank(scaled, fbank_params);
  // The extractor computes in float32; rounding the filterbank first keeps the normalised
  // values on the same grid.
  features = features.cast<float>().cast<double>();
  const Eigen::RowVectorXd mean = features.colwise().mean();
  if (params.normalize_vars) {
    const Eigen::RowVectorXd deviation =
        ((features.rowwise() - mean).array().square().colwise().sum() /
         static_cast<double>(features.rows()))
            .sqrt()
            .matrix();
    if (params.normalize_means) features.rowwise() -= mean;
    features.array().rowwise() /= deviation.array();
  } else if (params.normalize_means) {
    features.rowwise() -= mean;
  }
  return features;
}

}  // namespace brainalign::dsp
