// hf:FOLDER: the Hugging Face model folders of load_audio_model as registry models.
#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "brainalign/base/error.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "brainalign/neural/formats/tensor_store.h"
#include "neural/families/family.h"
#include "neural/families/registry_model.h"

namespace brainalign::neural {
namespace fs = std::filesystem;

namespace {

// config.json's "model_type" (load_audio_model has checked it).
std::string config_model_type(const fs::path& config) {
  std::ifstream in(config);
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  return json.is_object() && json.contains("model_type") && json["model_type"].is_string()
             ? json["model_type"].get<std::string>()
             : std::string();
}

bool recognises_hf_folder(const fs::path& path) {
  try {
    std::error_code error;
    if (!fs::is_directory(path, error) || model_weight_files(path).empty()) return false;
    std::ifstream in(path / "config.json");
    if (!in) return false;
    const nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
    if (!config.is_object() || !config.contains("model_type") ||
        !config["model_type"].is_string()) {
      return false;
    }
    const auto& types = supported_model_types();
    return std::find(types.begin(), types.end(), config["model_type"].get<std::string>()) !=
           types.end();
  } catch (...) {
    return false;
  }
}

std::unique_ptr<models::Model> load_hf_model(const fs::path& folder) {
  if (!fs::is_directory(folder)) {
    throw InputError(folder.string() +
                     " is not a folder (hf: takes a Hugging Face model folder with config.json "
                     "and its weights)");
  }
  if (!fs::exists(folder / "config.json")) {
    throw IoError((folder / "config.json").string() +
                  " does not exist (a Hugging Face model folder has config.json and its "
                  "weights)");
  }
  std::vector<fs::path> files = model_weight_files(folder);
  if (files.empty()) {
    throw IoError((folder / "model.safetensors").string() +
                  " does not exist, nor pytorch_model.bin, nor a sharded checkpoint's "
                  "model.safetensors.index.json or pytorch_model.bin.index.json");
  }
  files.push_back(folder / "config.json");
  files.push_back(folder / "preprocessor_config.json");
  RegistryModelSpec spec;
  spec.name = registry_model_name("hf", folder);
  spec.study_family = config_model_type(folder / "config.json");
  spec.weights_id = weights_digest(files);
  return make_registry_model(load_audio_model(folder), std::move(spec));
}

}  // namespace

FamilyDefinition hf_family() {
  return {"hf", "a Hugging Face model folder",
          "Hugging Face folder (config.json + model.safetensors or pytorch_model.bin, whole or "
          "sharded): wav2vec2, hubert, wavlm, "
          "data2vec-audio [cnn.1..K, embedding, encoder.1..N], whisper, ast, speech_to_text "
          "[embedding, encoder.1..N], encodec [encoder.layers.0..M]",
          recognises_hf_folder, load_hf_model};
}

}  // namespace brainalign::neural
