// The 2023 in-house cochleagram networks of Tuckute et al. (2023) (jenellefeather/cochdnn),
// loaded from their released training checkpoints and run natively: the 9-layer CNN of Kell
// et al. (2018) (robustness/audio_models/kell2018.py, kell2018_multi_task.py) and the
// cochleagram ResNet-50 (resnet.py, resnet_multi_task.py), on the cochleagram_1 front end
// (dsp/cochleagram.h) of the waveform preprocessed as the 2023 measurement did
// (dsp::spectemp_waveform: 2 s, 20 kHz, RMS 0.1, clamped to [-1, 1]). The architecture is
// recognised from the tensors; the task heads are ignored. The layers carry the names both
// studies hooked: relu0 .. relufc (Kell2018), conv1_relu1 .. avgpool (ResNet-50).
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

enum class CochdnnArchitecture { kKell2018, kResNet50 };

// The widths, read from the tensor shapes. Kell2018: convolutions of 96, 256, 512, 1024, 512
// channels and a fully connected layer of 4096 in the release. ResNet-50: the stem's 64
// channels and the blocks per stage (3, 4, 6, 3).
struct CochdnnConfig {
  CochdnnArchitecture architecture = CochdnnArchitecture::kKell2018;
  std::vector<std::int64_t> conv_channels;  // Kell2018: 5
  std::int64_t fc_width = 0;                // Kell2018
  std::int64_t stem_width = 0;              // ResNet-50
  std::vector<std::int64_t> blocks;         // ResNet-50: 4
};

class CochdnnModel final : public AudioModel {
 public:
  static constexpr double kSampleRate = 20000.0;
  static constexpr std::int64_t kSamples = 40000;  // the front end's fixed 2 s
  static constexpr std::int64_t kChannels = 211;   // cochleagram_1
  static constexpr std::int64_t kFrames = 390;

  // As an AudioModel: the hooked layers in the order of the network. A 4-d output (batch,
  // channels, frequency, time) is returned as (time, channels, frequency), so that its mean
  // over rows, flattened, is the 2023 read-out (np.mean over time, then ravel); relufc as
  // (1, width). The waveform must be 40000 samples at 20 kHz, already preprocessed.
  std::string architecture() const override;
  double sample_rate() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<at::Tensor> forward_waveform(const at::Tensor& waveform) const override;
  std::vector<at::Tensor> forward_samples(const std::vector<double>& waveform) const override;

  // The layers both studies hooked (aud_dnn/resources.py; mrpep/braindnn src/specs.py).
  static std::vector<std::string> kell2018_layers();
  static std::vector<std::string> resnet50_layers();

  // Reads a checkpoint as robustness/train.py saves it: torch.save's legacy format (torch
  // 1.5) of {'model': state_dict, 'optimizer': ..., 'schedule': ..., 'epoch': ...}, the
  // network's tensors under module.model.1.* (and module.attacker.model.1.*); a bare
  // state_dict is taken too. IoError when the file cannot be read, InputError naming the file
  // for anything else.
  static CochdnnModel load(const std::filesystem::path& checkpoint);
  // From a state_dict; `source` names it in messages. The network's tensors are found by their
  // prefix (module.model.1., model.1., or none); other tensors outside it (the attacker's copy,
  // the input normaliser) and the classification heads are ignored.
  static CochdnnModel from_state_dict(const std::map<std::string, at::Tensor>& tensors,
                                      const std::string& source);
  // Whether the keys look like a cochdnn network's (either architecture). Never throws.
  static bool recognises_keys(const std::vector<std::string>& keys) noexcept;

  const CochdnnConfig& config() const;

  // cochleagram_1 of a 40000-sample waveform: (1, 1, 211, 390) float32.
  static at::Tensor cochleagram(const std::vector<double>& waveform);

  // The network on cochleagrams (batch, 1, 211, 390): the hooked layers named as the
  // reference's all_outputs names them, as the network returns them.
  std::vector<HiddenState> forward(const at::Tensor& cochleagram) const;

 private:
  struct Weights;
  std::shared_ptr<const Weights> weights_;
};

}  // namespace brainalign::neural
