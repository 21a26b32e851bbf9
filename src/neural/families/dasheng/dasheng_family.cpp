// dasheng:FILE: Dasheng checkpoints as registry models.
#include "brainalign/neural/families/dasheng/dasheng.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool recognises_dasheng_checkpoint(const fs::path& path) {
  return has_keys(checkpoint_keys(path), {"model", "config", "time_pos_embed", "freq_pos_embed"});
}

std::unique_ptr<models::Model> load_dasheng_model(const fs::path& checkpoint) {
  require_file(checkpoint, "Dasheng");
  RegistryModelSpec spec = checkpoint_spec("dasheng", checkpoint);
  return make_registry_model(std::make_shared<const DashengModel>(DashengModel::load(checkpoint)),
                             std::move(spec));
}

// A state_dict's weights (the AudioSet fine-tuned release, a bare state_dict) in the
// architecture and config of a released checkpoint.
std::unique_ptr<models::Model> load_dasheng_weights(const fs::path& checkpoint,
                                                    const fs::path& weights) {
  RegistryModelSpec spec = checkpoint_weights_spec("dasheng", "Dasheng", checkpoint, weights);
  return make_registry_model(
      std::make_shared<const DashengModel>(DashengModel::load(checkpoint, weights)),
      std::move(spec));
}

}  // namespace

FamilyDefinition dasheng_family() {
  return {"dasheng",
          "a Dasheng checkpoint",
          "Dasheng .pt checkpoint {'model', 'config'}, 16 kHz: embedding, encoder.1..N; "
          "--weights: a state_dict in its architecture",
          recognises_dasheng_checkpoint,
          load_dasheng_model,
          load_dasheng_weights};
}

}  // namespace brainalign::neural
