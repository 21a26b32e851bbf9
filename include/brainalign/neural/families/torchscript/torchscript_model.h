// Models saved with torch.jit.save (TorchScript archives), run by libtorch's TorchScript
// interpreter: any network whose forward takes a waveform (1, samples) float32 tensor and
// returns its layers.
//
// - Output: a tensor, a tuple or list of tensors, or a dict str -> tensor. Each tensor is a
//   layer, named by its dict key, else "layer.0", "layer.1", ... in order.
// - Shapes: the first dimension after an optional batch dimension of 1 is time. (1, T, F),
//   (T, F) and (1, T, C, F) give T frames of F (C x F) features; (1, F) and (F,) one frame.
//   A batch other than 1, a 0-d tensor or a non-floating tensor is an InputError naming the
//   archive and the layer.
// - Sample rate: the sidecar FILE.json ({"sample_rate": 22050}) when it exists, else the
//   module's `sample_rate` attribute (int or float) when it has one, else 16 kHz.
// - Archives must load in the libtorch brainalign is built against: one saved by PyTorch 2.x
//   whose graph calls aten::scaled_dot_product_attention does not load in libtorch 1.13.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"

namespace brainalign::neural {

class TorchScriptModel final : public AudioModel {
 public:
  static constexpr double kDefaultSampleRate = 16000.0;

  // Loads the archive and runs it once on 1 s of a quiet tone to learn its layers. Throws
  // IoError when the file cannot be read and InputError, naming the archive, when libtorch
  // cannot load it, the sidecar is malformed or the probe run fails.
  static TorchScriptModel load(const std::filesystem::path& archive);

  const std::filesystem::path& path() const;
  std::string architecture() const override { return "TorchScript"; }
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  // The sidecar JSON this archive would use: FILE.json beside FILE.pt.
  static std::filesystem::path sidecar_path(const std::filesystem::path& archive);

  // Every layer for a mono waveform at sample_rate(), as (frames, features...) float32 on the
  // CPU with the batch dimension removed. Safe to call from several threads at once. Throws
  // InputError naming the archive when the network fails or its outputs change names.
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;
  // The same from a float tensor.
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace brainalign::neural
