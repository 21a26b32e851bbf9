#include "neural/families/checkpoint_family.h"

#include "brainalign/base/error.h"
#include "neural/formats/torch_archive_probe.h"

namespace brainalign::neural {
namespace fs = std::filesystem;

std::unordered_set<std::string> checkpoint_keys(const fs::path& path) {
  TorchArchiveProbe probe = probe_torch_archive(path);
  return probe.is_zip && !probe.is_torchscript ? std::move(probe.keys)
                                               : std::unordered_set<std::string>();
}

bool has_keys(const std::unordered_set<std::string>& present,
              std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) {
    if (!present.contains(std::string(key))) return false;
  }
  return true;
}

LayerSources transformer_layers(const std::string& embedding, const std::string& layer_prefix,
                                int layers) {
  LayerSources out{{"embedding"}, {embedding}};
  for (int i = 0; i < layers; ++i) {
    out.names.push_back("encoder." + std::to_string(i + 1));
    out.sources.push_back(layer_prefix + std::to_string(i));
  }
  return out;
}

std::vector<at::Tensor> pick(const std::vector<HiddenState>& states,
                             const std::vector<std::string>& sources) {
  std::vector<at::Tensor> layers;
  layers.reserve(sources.size());
  for (const auto& source : sources) {
    const at::Tensor& value = neural::find_hidden_state(states, source).value;
    layers.push_back(value.dim() == 3 && value.size(0) == 1 ? value[0] : value);
  }
  return layers;
}

RegistryModelSpec checkpoint_spec(const std::string& prefix, const fs::path& checkpoint) {
  RegistryModelSpec spec;
  spec.name = registry_model_name(prefix, checkpoint);
  spec.weights_id = weights_digest({checkpoint});
  spec.study_family = prefix;
  return spec;
}

RegistryModelSpec checkpoint_weights_spec(const std::string& prefix, const std::string& family,
                                          const fs::path& checkpoint, const fs::path& weights) {
  require_file(checkpoint, family.c_str());
  require_file(weights, (family + " weights").c_str());
  RegistryModelSpec spec = checkpoint_spec(prefix, checkpoint);
  spec.weights_id = weights_digest({checkpoint, weights});
  return spec;
}

void require_file(const fs::path& checkpoint, const char* family) {
  if (!fs::is_regular_file(checkpoint)) {
    throw IoError(checkpoint.string() + ": no such " + family + " checkpoint file");
  }
}

}  // namespace brainalign::neural
