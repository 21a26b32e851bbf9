// torchscript:FILE: TorchScript archives as registry models.
#include "brainalign/neural/families/torchscript/torchscript_model.h"
#include "neural/families/family.h"
#include "neural/families/registry_model.h"
#include "neural/formats/torch_archive_probe.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool recognises_torchscript_archive(const fs::path& path) {
  const TorchArchiveProbe probe = probe_torch_archive(path);
  return probe.is_zip && probe.is_torchscript;
}

std::unique_ptr<models::Model> load_torchscript_model(const fs::path& archive) {
  RegistryModelSpec spec;
  spec.name = registry_model_name("torchscript", archive);
  spec.weights_id = weights_digest({archive, TorchScriptModel::sidecar_path(archive)});
  return make_registry_model(
      std::make_shared<const TorchScriptModel>(TorchScriptModel::load(archive)), std::move(spec));
}

}  // namespace

FamilyDefinition torchscript_family() {
  return {"torchscript", "a TorchScript archive",
          "TorchScript archive (torch.jit.save): forward(waveform (1, samples)) -> tensor, "
          "tuple/list or dict of tensors [dict keys, else layer.0..]; rate from FILE.json "
          "{\"sample_rate\": ...}, the module's sample_rate attribute, else 16 kHz",
          recognises_torchscript_archive, load_torchscript_model};
}

}  // namespace brainalign::neural
