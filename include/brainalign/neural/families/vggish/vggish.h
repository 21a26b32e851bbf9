// VGGish (Hershey et al. 2017) as torchvggish ports it (harritaylor/torchvggish, the VGG class
// of torchvggish/vggish.py), loaded from its released state_dict (vggish-10086976.pth: the
// tensors features.<i>.weight/bias of the convolutions and embeddings.<i>.weight/bias of the
// fully connected layers) and run natively, with its log-mel front end (dsp/vggish_logmel.h).
// Tuckute et al. (2023) ran it through gretatuckute/torchvggish, hooking every Conv2d, ReLU,
// MaxPool2d and Linear module; its layers here carry the names of that study's lists
// (aud_dnn/resources.py, source_layer_map): Conv2d_1..6, ReLU_1..9, MaxPool2d_1..4, Linear_1..3.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/hidden_state.h"

namespace brainalign::neural {

// The widths, read from the tensor shapes: the released model has convolutions of 64, 128,
// 256, 256, 512, 512 channels and fully connected layers of 4096, 4096, 128.
struct VggishConfig {
  std::vector<std::int64_t> conv_channels;  // 6
  std::vector<std::int64_t> fc_widths;      // 3
};

class VggishModel final : public AudioModel {
 public:
  static constexpr double kSampleRate = 16000.0;
  static constexpr std::int64_t kExampleFrames = 96;  // rows of one log-mel example
  static constexpr std::int64_t kMelBands = 64;

  // As an AudioModel: the layers in the order of the network, each as (rows, features...).
  // The convolutional layers (Conv2d_*, ReLU_1..6, MaxPool2d_*) give one row per example and
  // time step, examples in turn (so rows run forward in time), and features channels x mel
  // bands: the layout the 2023 extraction averaged (over time, then over examples). The fully
  // connected ones (Linear_*, ReLU_7..9) give one row per 0.96 s example.
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  // The 2023 study's 13 layers (aud_dnn/resources.py, d_layer_reindex['VGGish']) in its
  // order, and the 2025 study's (mrpep/braindnn src/specs.py, layer_map['braindnn_vggish']):
  // the same layers, the nine ReLUs first.
  static std::vector<std::string> tuckute2023_layers();
  static std::vector<std::string> pepino2025_layers();

  // Reads a torch.save state_dict (the zip format, or the legacy format of torch < 1.6).
  // Throws IoError when the file cannot be read and InputError naming the file and the tensor
  // for anything that is not a VGGish state_dict.
  static VggishModel load(const std::filesystem::path& checkpoint);
  // From the state_dict's tensors; `source` names them in messages. Tensors of the
  // postprocessor ("pproc.*", "pca_*") are ignored, any other extra tensor is refused.
  static VggishModel from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                     const std::string& source);

  const VggishConfig& config() const;

  // waveform_to_examples on a mono 16 kHz waveform: (examples, 1, 96, 64) float32.
  static at::Tensor examples(const std::vector<double>& waveform);

  // Runs the examples through the network. Returns every module's output named as the
  // reference names the module ("features.0" .. "features.13", "embeddings.0" ..
  // "embeddings.5"), as the module returns it: (examples, channels, time, mel) and (examples,
  // width).
  std::vector<HiddenState> forward(const at::Tensor& examples) const;

 private:
  struct Weights;
  std::shared_ptr<const Weights> weights_;
};

}  // namespace brainalign::neural
