#include "brainalign/neural/model_families.h"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/models/registry.h"
#include "neural/families/model_family_loaders.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

struct FamilyDefinition {
  std::string prefix;
  std::string kind;  // what a file of the family is, with its article, for messages
  std::string description;
  bool (*recognises)(const fs::path&);
  std::unique_ptr<models::Model> (*load)(const fs::path&);
};

// In the order auto:PATH tries them.
const std::vector<FamilyDefinition>& definitions() {
  static const std::vector<FamilyDefinition> list = {
      {"hf", "a Hugging Face model folder",
       "Hugging Face folder (config.json + model.safetensors): wav2vec2, hubert, wavlm, "
       "data2vec-audio [cnn.1..K, embedding, encoder.1..N], whisper, ast, speech_to_text "
       "[embedding, encoder.1..N], encodec [encoder.layers.0..M]",
       recognises_hf_folder, load_hf_model},
      {"beats", "a BEATs checkpoint",
       "BEATs .pt checkpoint {'cfg', 'model'}, 16 kHz: embedding, encoder.1..N",
       recognises_beats_checkpoint, load_beats_model},
      {"dasheng", "a Dasheng checkpoint",
       "Dasheng .pt checkpoint {'model', 'config'}, 16 kHz: embedding, encoder.1..N",
       recognises_dasheng_checkpoint, load_dasheng_model},
      {"encodecmae", "an EnCodecMAE checkpoint",
       "EnCodecMAE .pt checkpoint {'imports', 'config', 'state_dict'}, 24 kHz: embedding, "
       "encoder.1..N",
       recognises_encodecmae_checkpoint, load_encodecmae_model},
      {"torchscript", "a TorchScript archive",
       "TorchScript archive (torch.jit.save): forward(waveform (1, samples)) -> tensor, "
       "tuple/list or dict of tensors [dict keys, else layer.0..]; rate from FILE.json "
       "{\"sample_rate\": ...}, the module's sample_rate attribute, else 16 kHz",
       recognises_torchscript_archive, load_torchscript_model},
  };
  return list;
}

// Loads `path` as a model of `family`, first checking that it exists and, when it is
// recognisably another family's, saying which.
std::unique_ptr<models::Model> load_as(const FamilyDefinition& family, const fs::path& path) {
  if (!fs::exists(path)) {
    throw IoError(family.prefix + ":" + path.string() + ": " + path.string() + " does not exist");
  }
  if (!family.recognises(path)) {
    for (const auto& other : definitions()) {
      if (&other != &family && other.recognises(path)) {
        throw InputError(path.string() + " is " + other.kind + ", not " + family.kind +
                         ": name it " + other.prefix + ":" + path.string() +
                         " or auto:" + path.string());
      }
    }
  }
  return family.load(path);  // its own errors name the file and what is wrong with it
}

}  // namespace

void register_model_families() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& family : definitions()) {
      models::register_model_family(
          {family.prefix, family.description, family.recognises,
           [&family](const fs::path& path) { return load_as(family, path); }});
    }
  });
}

}  // namespace brainalign::neural
