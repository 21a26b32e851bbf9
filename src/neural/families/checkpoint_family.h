// What the families released as torch.save checkpoints (beats:, dasheng:, encodecmae:) share:
// telling their files apart by the keys of the saved dict, and exposing the input of the first
// transformer layer as "embedding" and each layer's output as "encoder.1" ... "encoder.N", the
// scheme of the Hugging Face models.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "brainalign/neural/hidden_state.h"
#include "neural/families/registry_model.h"

namespace brainalign::neural {

// The dict keys (nested ones and state_dict names included) of the object saved in a
// torch.save checkpoint; empty for anything else (TorchScript included).
std::unordered_set<std::string> checkpoint_keys(const std::filesystem::path& path);

// Whether every one of `keys` is in `present`.
bool has_keys(const std::unordered_set<std::string>& present,
              std::initializer_list<std::string_view> keys);

// The port's state called `source` for each registry layer.
struct LayerSources {
  std::vector<std::string> names;
  std::vector<std::string> sources;
};

// "embedding" from `embedding`, "encoder.i" from `layer_prefix` + (i - 1).
LayerSources transformer_layers(const std::string& embedding, const std::string& layer_prefix,
                                int layers);

// The states named by `sources`, batch dimension removed: (1, tokens, dim) -> (tokens, dim).
std::vector<at::Tensor> pick(const std::vector<HiddenState>& states,
                             const std::vector<std::string>& sources);

// What the registry knows of a checkpoint file of the family `prefix` (also the family
// published_layers() knows it by).
RegistryModelSpec checkpoint_spec(const std::string& prefix,
                                  const std::filesystem::path& checkpoint);

// The same for a checkpoint's architecture holding the weights of another file (a family's
// load_weights): IoError unless both are files; the weights id covers both.
RegistryModelSpec checkpoint_weights_spec(const std::string& prefix, const std::string& family,
                                          const std::filesystem::path& checkpoint,
                                          const std::filesystem::path& weights);

// IoError unless `checkpoint` is a file.
void require_file(const std::filesystem::path& checkpoint, const char* family);

}  // namespace brainalign::neural
