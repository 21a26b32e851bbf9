// beats:FILE: BEATs checkpoints as registry models.
#include "brainalign/neural/families/beats/beats.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool recognises_beats_checkpoint(const fs::path& path) {
  return has_keys(checkpoint_keys(path), {"cfg", "model", "encoder_embed_dim", "input_patch_size"});
}

std::unique_ptr<models::Model> load_beats_model(const fs::path& checkpoint) {
  require_file(checkpoint, "BEATs");
  RegistryModelSpec spec = checkpoint_spec("beats", checkpoint);
  return make_registry_model(std::make_shared<const BeatsModel>(BeatsModel::load(checkpoint)),
                             std::move(spec));
}

}  // namespace

FamilyDefinition beats_family() {
  return {"beats", "a BEATs checkpoint",
          "BEATs .pt checkpoint {'cfg', 'model'}, 16 kHz: embedding, encoder.1..N",
          recognises_beats_checkpoint, load_beats_model};
}

}  // namespace brainalign::neural
