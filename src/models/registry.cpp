#include "brainalign/models/registry.h"

#include "brainalign/error.h"
#include "frontend_models.h"

namespace brainalign {

const std::vector<ModelInfo>& registered_models() {
  static const std::vector<ModelInfo> models = {
      {"spectemp", "spectrotemporal modulation filters (Tuckute et al. 2023 baseline): avgpool",
       false},
      {"cochleagram", "ERB cochleagram of the spectemp model: cochleagram", false},
      {"mel", "torchaudio mel spectrogram, 16 kHz, 128 bands: melspec, melspec_db", false},
      {"mfcc", "torchaudio MFCC, 16 kHz, 40 coefficients: mfcc", false},
  };
  return models;
}

std::unique_ptr<Model> make_model(const std::string& name,
                                  const std::optional<std::filesystem::path>& weights) {
  const ModelInfo* info = nullptr;
  for (const auto& model : registered_models()) {
    if (model.name == name) info = &model;
  }
  if (info == nullptr) {
    std::string known;
    for (const auto& model : registered_models()) known += (known.empty() ? "" : ", ") + model.name;
    throw InputError("unknown model '" + name + "' (known: " + known + ")");
  }
  if (weights && !info->takes_weights) {
    throw InputError("model '" + name + "' has no weights to load; --weights " + weights->string() +
                     " cannot be used with it");
  }
  if (name == "spectemp") return make_spectemp_model();
  if (name == "cochleagram") return make_cochleagram_model();
  if (name == "mel") return make_mel_model();
  return make_mfcc_model();
}

}  // namespace brainalign
