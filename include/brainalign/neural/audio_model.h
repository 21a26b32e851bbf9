// The one interface of every native network, whatever its family (Hugging Face folders, BEATs,
// Dasheng, EnCodecMAE, TorchScript archives): its rate, its layers by registry name, and a
// forward pass returning them. The registry's Model wraps an AudioModel (make_registry_model);
// each port also keeps its own forward() returning every hidden state by the name of the
// reference module, which the parity tests compare.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace brainalign::neural {

class AudioModel {
 public:
  virtual ~AudioModel() = default;

  // The reference class the model reproduces ("Wav2Vec2Model", "WhisperEncoder", "BEATs", ...).
  virtual std::string architecture() const = 0;
  // The rate the forward passes expect, in Hz.
  virtual double sample_rate() const = 0;
  // Names of the layers the forward passes return, in their order.
  virtual std::vector<std::string> layer_names() const = 0;
  // Activations of every layer for one mono waveform at sample_rate() (samples,), each as a
  // (frames, features...) float32 tensor on the CPU. Runs without autograd.
  virtual std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const = 0;
  // The same from samples in double precision, as the registry hands them over. By default the
  // waveform becomes float32 first; ports whose front end reads doubles override it.
  virtual std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const;
};

// The samples of a 1-d floating tensor, in double precision.
std::vector<double> waveform_samples(const at::Tensor& waveform);

}  // namespace brainalign::neural
