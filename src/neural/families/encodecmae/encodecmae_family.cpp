// encodecmae:FILE: EnCodecMAE checkpoints as registry models.
#include <algorithm>

#include "brainalign/neural/families/encodecmae/encodecmae.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool recognises_encodecmae_checkpoint(const fs::path& path) {
  const std::unordered_set<std::string> keys = checkpoint_keys(path);
  // State_dict names of the visible encoder: "visible_encoder.encoder_layers.0. ...".
  return has_keys(keys, {"imports", "config", "state_dict"}) &&
         std::any_of(keys.begin(), keys.end(),
                     [](const std::string& key) { return key.starts_with("visible_encoder."); });
}

std::unique_ptr<models::Model> load_encodecmae_model(const fs::path& checkpoint) {
  require_file(checkpoint, "EnCodecMAE");
  RegistryModelSpec spec = checkpoint_spec("encodecmae", checkpoint);
  // The reference pipeline loads audio with librosa at 24 kHz: libsoxr's HQ recipe.
  spec.resample_quality = dsp::ResampleQuality::kHigh;
  return make_registry_model(
      std::make_shared<const EncodecMaeModel>(EncodecMaeModel::load(checkpoint)), std::move(spec));
}

// A pretraining checkpoint's weights in the architecture of a released checkpoint, as the 2025
// study's pretraining-dynamics analysis loads them (load_state_dict of the .ckpt's state_dict).
std::unique_ptr<models::Model> load_encodecmae_weights(const fs::path& checkpoint,
                                                       const fs::path& weights) {
  RegistryModelSpec spec = checkpoint_weights_spec("encodecmae", "EnCodecMAE", checkpoint, weights);
  spec.resample_quality = dsp::ResampleQuality::kHigh;
  return make_registry_model(
      std::make_shared<const EncodecMaeModel>(EncodecMaeModel::load(checkpoint, weights)),
      std::move(spec));
}

}  // namespace

FamilyDefinition encodecmae_family() {
  return {"encodecmae",
          "an EnCodecMAE checkpoint",
          "EnCodecMAE .pt checkpoint {'imports', 'config', 'state_dict'}, "
          "24 kHz: embedding, encoder.1..N; --weights: a pretraining .ckpt in its architecture",
          recognises_encodecmae_checkpoint,
          load_encodecmae_model,
          load_encodecmae_weights};
}

}  // namespace brainalign::neural
