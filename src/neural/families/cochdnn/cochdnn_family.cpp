// cochdnn:FILE: a training checkpoint of the 2023 in-house cochleagram networks
// (jenellefeather/cochdnn's 5_checkpoint.pt files) as a registry model, with the
// layers Tuckute et al. (2023) and Pepino et al. (2025) hooked.
#include "brainalign/dsp/spectemp.h"
#include "brainalign/neural/families/cochdnn/cochdnn.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool recognises_cochdnn_checkpoint(const fs::path& path) {
  if (!is_legacy_torch_file(path)) return false;
  if (CochdnnModel::recognises_keys(legacy_state_dict_keys(path, "model"))) return true;
  return CochdnnModel::recognises_keys(legacy_state_dict_keys(path));
}

// The registry model: the 2023 measurement's preprocessing (the first 2 s at the native rate,
// resampled to 20 kHz, demeaned, RMS 0.1, clamped) before the network, and the studies' layers.
class CochdnnRegistryModel final : public models::Model {
 public:
  CochdnnRegistryModel(std::unique_ptr<models::Model> inner, std::vector<std::string> layers)
      : inner_(std::move(inner)), layers_(std::move(layers)) {}

  std::string name() const override { return inner_->name(); }
  double sample_rate() const override { return inner_->sample_rate(); }
  std::vector<std::string> layer_names() const override { return inner_->layer_names(); }
  std::string weights_id() const override { return inner_->weights_id(); }
  // dsp::spectemp_waveform() crops and resamples from the native rate, as the reference does.
  dsp::Audio prepare(dsp::Audio audio) const override { return audio; }
  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    return inner_->forward(dsp::Audio{dsp::spectemp_waveform(audio), CochdnnModel::kSampleRate});
  }
  // Every clip becomes 2 s; a ResNet-50's activations on it take about 60 MB, with work space.
  std::size_t forward_memory_bytes(std::size_t samples) const override {
    (void)samples;
    return std::size_t{256} << 20;
  }

 protected:
  std::vector<std::string> study_layers(const std::string& study) const override {
    if (study == "tuckute2023" || study == "pepino2025") return layers_;
    return {};
  }

 private:
  std::unique_ptr<models::Model> inner_;
  std::vector<std::string> layers_;
};

std::unique_ptr<models::Model> load_cochdnn_model(const fs::path& checkpoint) {
  require_file(checkpoint, "cochdnn");
  RegistryModelSpec spec = checkpoint_spec("cochdnn", checkpoint);
  spec.study_family.clear();  // the layers come from CochdnnRegistryModel
  auto network = std::make_shared<const CochdnnModel>(CochdnnModel::load(checkpoint));
  std::vector<std::string> layers = network->layer_names();
  return std::make_unique<CochdnnRegistryModel>(make_registry_model(network, std::move(spec)),
                                                std::move(layers));
}

}  // namespace

FamilyDefinition cochdnn_family() {
  return {"cochdnn", "a cochdnn checkpoint",
          "jenellefeather/cochdnn training checkpoint (5_checkpoint.pt), Kell2018 (CNN9) or "
          "ResNet-50 on the 20 kHz cochleagram_1 of the first 2 s: relu0..relufc or "
          "conv1_relu1..avgpool",
          recognises_cochdnn_checkpoint, load_cochdnn_model};
}

}  // namespace brainalign::neural
