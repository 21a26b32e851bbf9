// vggish:FILE: torchvggish's state_dict (vggish-10086976.pth) as a registry model, with the
// layers of Tuckute et al. (2023) and Pepino et al. (2025).
#include <algorithm>

#include "brainalign/neural/families/vggish/vggish.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool vggish_keys(const std::unordered_set<std::string>& keys) {
  return has_keys(
      keys, {"features.0.weight", "features.13.bias", "embeddings.0.weight", "embeddings.4.bias"});
}

bool recognises_vggish_checkpoint(const fs::path& path) {
  if (vggish_keys(checkpoint_keys(path))) return true;
  const std::vector<std::string> legacy = legacy_state_dict_keys(path);
  return vggish_keys(std::unordered_set<std::string>(legacy.begin(), legacy.end()));
}

// The registry model with the studies' VGGish layers, which the shared table of transformer
// layers (models/published_layers.cpp) does not describe.
class VggishRegistryModel final : public models::Model {
 public:
  explicit VggishRegistryModel(std::unique_ptr<models::Model> inner) : inner_(std::move(inner)) {}

  std::string name() const override { return inner_->name(); }
  double sample_rate() const override { return inner_->sample_rate(); }
  std::vector<std::string> layer_names() const override { return inner_->layer_names(); }
  std::string weights_id() const override { return inner_->weights_id(); }
  dsp::Audio prepare(dsp::Audio audio) const override { return inner_->prepare(std::move(audio)); }
  std::vector<models::LayerActivations> forward(const dsp::Audio& audio) const override {
    return inner_->forward(audio);
  }
  std::size_t forward_memory_bytes(std::size_t samples) const override {
    return inner_->forward_memory_bytes(samples);
  }

 protected:
  std::vector<std::string> study_layers(const std::string& study) const override {
    if (study == "tuckute2023") return VggishModel::tuckute2023_layers();
    if (study == "pepino2025") return VggishModel::pepino2025_layers();
    return {};
  }

 private:
  std::unique_ptr<models::Model> inner_;
};

std::unique_ptr<models::Model> load_vggish_model(const fs::path& checkpoint) {
  require_file(checkpoint, "VGGish");
  RegistryModelSpec spec = checkpoint_spec("vggish", checkpoint);
  spec.study_family.clear();  // the layers come from VggishRegistryModel
  return std::make_unique<VggishRegistryModel>(make_registry_model(
      std::make_shared<const VggishModel>(VggishModel::load(checkpoint)), std::move(spec)));
}

}  // namespace

FamilyDefinition vggish_family() {
  return {"vggish", "a VGGish checkpoint",
          "torchvggish state_dict (vggish-10086976.pth), 16 kHz log-mel examples of 0.96 s: "
          "Conv2d_1..6, ReLU_1..9, MaxPool2d_1..4, Linear_1..3",
          recognises_vggish_checkpoint, load_vggish_model};
}

}  // namespace brainalign::neural
