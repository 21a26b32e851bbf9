// Dasheng (RicherMans/Dasheng, the Dasheng class of dasheng/pretrained) loaded from its
// released .pt checkpoint ({'model': state_dict, 'config': kwargs}) and run natively.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/formats/torch_checkpoint.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

// The network's sizes: from the checkpoint's 'config' where it has them, otherwise from the
// tensor shapes (embed_dim, depth, mlp_ratio) and the class defaults (num_heads 8: the
// released dasheng_* configs name it).
struct DashengConfig {
  int embed_dim = 768;
  int depth = 12;
  int num_heads = 8;
  int mlp_hidden = 3072;
  int patch_size[2] = {64, 4};
  int patch_stride[2] = {64, 4};
  int target_length = 1008;  // frames per chunk: target_length / patch_stride[1] patches
  int n_fft = 512;
  int n_mels = 64;
  int hop_size = 160;
  int win_size = 512;
  double f_min = 0.0;
  double f_max = 8000.0;
  bool center = true;
  double top_db = 120.0;
};

class DashengModel final : public AudioModel {
 public:
  // As an AudioModel: "embedding" (the input of the first transformer layer), "encoder.1"
  // .. "encoder.N" (each layer's output), the scheme of the Hugging Face models, and "output"
  // (the final norm, what the model returns), from forward().
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  static constexpr double kSampleRate = 16000.0;

  // Throws IoError when the file cannot be read and InputError naming the tensor or config
  // key when the checkpoint is not a Dasheng model this port supports (cls-token pooling and
  // layer scale are not).
  static DashengModel load(const std::filesystem::path& checkpoint);
  static DashengModel from_checkpoint(const TorchCheckpoint& checkpoint);
  // The architecture and config of a released `checkpoint` with the weights of a state_dict
  // file (torch.save, zip or legacy format; `model.load_state_dict(torch.load(weights))`, as
  // the AudioSet fine-tuned release is loaded). Strict as torch's load_state_dict: a tensor of
  // the architecture that is missing, one it does not have, or one of another shape is an
  // InputError naming the tensor and the file. A classification head (`outputlayer.*`, which
  // the network does not run) is ignored in either file.
  static DashengModel load(const std::filesystem::path& checkpoint,
                           const std::filesystem::path& weights);

  const DashengConfig& config() const;

  // Runs a mono 16 kHz waveform. Returns, in order: "front_end" (1, n_mels, frames) dB mel,
  // "init_bn" (1, 1, n_mels, frames), "patch_embed" (1, dim, f, t), "blocks.input" (1, tokens,
  // dim), "blocks.<i>" for each block and "norm" (1, tokens, dim): Dasheng.forward's output.
  // Longer inputs are cut into chunks of target_length / patch_stride patches that run
  // separately; the token states are the chunks' states concatenated.
  std::vector<HiddenState> forward(const std::vector<double>& waveform) const;

 private:
  struct Weights;
  // `weights` (read from `weights_source`) replace the checkpoint's own when given.
  static DashengModel from_checkpoint(
      const TorchCheckpoint& checkpoint,
      const std::vector<std::pair<std::string, at::Tensor>>* weights,
      const std::string& weights_source);
  std::shared_ptr<const Weights> weights_;
};

}  // namespace brainalign::neural
