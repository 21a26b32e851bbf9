// The neural audio models behind one interface: build a model from a Hugging Face model folder
// (config.json + model.safetensors), list its layers, and run it on a waveform. This is the
// point where the model registry plugs the native models in.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/blocks.h"

namespace brainalign::neural {

class AudioModel {
 public:
  virtual ~AudioModel() = default;

  // The transformers class the model reproduces ("Wav2Vec2Model", "WhisperEncoder", ...).
  virtual std::string architecture() const = 0;
  // The rate forward_waveform() expects, in Hz.
  virtual double sample_rate() const = 0;
  // Names of the layers forward_waveform() returns, in its order.
  virtual std::vector<std::string> layer_names() const = 0;
  // Activations of every layer for one mono waveform at sample_rate() (samples,), each as a
  // (frames, features) float32 tensor on the CPU. Runs without autograd.
  virtual std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const = 0;
};

// The config.json model_type values load_audio_model builds.
const std::vector<std::string>& supported_model_types();

// Builds the model a folder's config.json describes ("model_type": wav2vec2, hubert, wavlm,
// data2vec-audio, whisper, audio-spectrogram-transformer, speech_to_text, encodec). Throws
// InputError for an unsupported model type or a checkpoint that does not match its config.
std::unique_ptr<AudioModel> load_audio_model(const std::filesystem::path& folder,
                                             const LoadOptions& options = {});

}  // namespace brainalign::neural
