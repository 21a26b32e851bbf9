// A checkpoint's tensors as the networks take them, whatever files they come from (safetensors
// files, read tensor by tensor; the state_dict of a torch.save checkpoint; a Hugging Face model
// folder's weights, whole or sharded): looked up by name (under an optional prefix), checked
// against the shape the model's configuration implies, handed out as contiguous float32 on the
// model's device, and every tensor accounted for.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "brainalign/neural/formats/safetensors.h"
#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {

// The files holding a Hugging Face model folder's weights, in the order transformers looks for
// them: model.safetensors; model.safetensors.index.json and the shards its weight_map names;
// pytorch_model.bin (torch.save's zip format); pytorch_model.bin.index.json and its shards.
// Empty when the folder has none of them; InputError naming the index for a malformed one.
std::vector<std::filesystem::path> model_weight_files(const std::filesystem::path& folder);

class TensorStore {
 public:
  // The tensors of a safetensors file, read on demand. `configuration` names what the shapes
  // come from in messages (the config.json).
  TensorStore(const std::filesystem::path& safetensors, std::string configuration,
              c10::Device device = c10::Device(c10::kCPU));
  // The string-keyed tensors of a state_dict; InputError naming the key of a non-tensor.
  TensorStore(const PickleValue& state_dict, std::string source,
              std::string configuration = "the configuration");
  // Tensors already read (read_state_dict_file), in the order given.
  TensorStore(const std::vector<std::pair<std::string, at::Tensor>>& tensors, std::string source,
              std::string configuration = "the configuration");
  // The weights of a Hugging Face model folder (model_weight_files). IoError when it has none;
  // InputError when a shard misses a tensor its index names or two files hold the same one.
  static TensorStore from_model_folder(const std::filesystem::path& folder,
                                       std::string configuration, c10::Device device);

  // The file (or folder) the tensors come from, for messages.
  const std::string& source() const { return source_; }
  // What the expected shapes come from (the config.json), for messages.
  const std::string& configuration() const { return configuration_; }
  c10::Device device() const { return device_; }

  // Checkpoints of models with a head keep the base model under a prefix ("wav2vec2.",
  // "model.", "audio_spectrogram_transformer."): the first of `prefixes` under which `probe`
  // exists is put before every name from then on (none when no prefix matches).
  void use_prefix_of(const std::string& probe, const std::vector<std::string>& prefixes);
  const std::string& prefix() const { return prefix_; }

  bool contains(const std::string& name) const;
  // The shape of `name`; InputError when it is missing.
  std::vector<std::int64_t> shape(const std::string& name) const;
  // Number of consecutive `prefix<i>suffix` tensors present from i = 0.
  int count(const std::string& prefix, const std::string& suffix) const;

  // The tensor `name` as contiguous float32 on device(). Each extent of `shape` is checked
  // unless it is -1. Throws InputError naming the file, the tensor and the configuration when
  // it is missing, misshapen or not floating point.
  at::Tensor get(const std::string& name, const std::vector<std::int64_t>& shape) const;

  // Throws InputError naming the first tensor that no get() asked for and that starts with none
  // of `ignored_prefixes` (after the prefix).
  void expect_all_used(std::initializer_list<std::string_view> ignored_prefixes) const;

 private:
  // One file's tensors: a safetensors file read on demand, or tensors in memory.
  struct Shard {
    std::string source;
    std::shared_ptr<const SafetensorsFile> file;
    std::unordered_map<std::string, at::Tensor> tensors;
  };
  TensorStore(std::string source, std::string configuration, c10::Device device);
  void add_shard(Shard shard, const std::vector<std::string>& names);
  const Shard* shard_of(const std::string& full_name) const;

  std::string source_;
  std::string configuration_;
  c10::Device device_;
  std::string prefix_;
  std::vector<Shard> shards_;
  std::unordered_map<std::string, std::size_t> shard_index_;  // tensor name -> shard
  std::vector<std::string> order_;                            // every name, in file order
  mutable std::unordered_set<std::string> used_;
};

// "[a, b, c]", -1 as "*".
std::string shape_text(at::IntArrayRef shape);

// What torch's load_state_dict(strict=True) demands of the tensors `weights` (read from
// `weights_source`) in an architecture whose own state_dict is `architecture` (read from
// `architecture_source`): the same names, each of the same shape. Names starting with one of
// `ignored_prefixes` (a classification head the network does not run) are left out on both
// sides. InputError naming the weights file and the first unexpected or reshaped tensor, else
// the first missing one.
void require_same_tensors(const std::vector<std::pair<std::string, at::Tensor>>& architecture,
                          const std::string& architecture_source,
                          const std::vector<std::pair<std::string, at::Tensor>>& weights,
                          const std::string& weights_source,
                          std::initializer_list<std::string_view> ignored_prefixes = {});

}  // namespace brainalign::neural
