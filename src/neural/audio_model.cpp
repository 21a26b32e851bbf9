#include "brainalign/neural/audio_model.h"

#include <ATen/ATen.h>

namespace brainalign::neural {

std::vector<at::Tensor> AudioModel::forward_samples(const std::vector<double>& waveform) const {
  return forward_waveform(at::tensor(waveform, at::kDouble).to(at::kFloat));
}

std::vector<double> waveform_samples(const at::Tensor& waveform) {
  const at::Tensor samples = waveform.reshape({-1}).to(at::kDouble).contiguous();
  return std::vector<double>(samples.data_ptr<double>(),
                             samples.data_ptr<double>() + samples.numel());
}

}  // namespace brainalign::neural
