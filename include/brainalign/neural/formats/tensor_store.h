// A checkpoint's tensors as the networks take them, whatever file they come from (a
// safetensors file, read tensor by tensor, or the state_dict of a torch.save checkpoint): looked
// up by name (under an optional prefix), checked against the shape the model's configuration
// implies, handed out as contiguous float32 on the model's device, and every tensor accounted
// for.
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
#include <vector>

#include "brainalign/neural/formats/safetensors.h"
#include "brainalign/neural/formats/torch_checkpoint.h"

namespace brainalign::neural {

class TensorStore {
 public:
  // The tensors of a safetensors file, read on demand. `configuration` names what the shapes
  // come from in messages (the config.json).
  TensorStore(const std::filesystem::path& safetensors, std::string configuration,
              c10::Device device = c10::Device(c10::kCPU));
  // The string-keyed tensors of a state_dict; InputError naming the key of a non-tensor.
  TensorStore(const PickleValue& state_dict, std::string source,
              std::string configuration = "the configuration");

  // The file the tensors come from, for messages.
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
  std::string source_;
  std::string configuration_;
  c10::Device device_;
  std::string prefix_;
  std::shared_ptr<const SafetensorsFile> file_;          // a safetensors file, or
  std::unordered_map<std::string, at::Tensor> tensors_;  // a state_dict's tensors
  std::vector<std::string> order_;                       // every name, in file order
  mutable std::unordered_set<std::string> used_;
};

// "[a, b, c]", -1 as "*".
std::string shape_text(at::IntArrayRef shape);

}  // namespace brainalign::neural
