#include "brainalign/neural/formats/tensor_store.h"

#include <ATen/ATen.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "brainalign/base/error.h"

namespace brainalign::neural {
namespace fs = std::filesystem;

namespace {

bool starts_with_any(const std::string& name, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view prefix : prefixes) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

void require_same_tensors(const std::vector<std::pair<std::string, at::Tensor>>& architecture,
                          const std::string& architecture_source,
                          const std::vector<std::pair<std::string, at::Tensor>>& weights,
                          const std::string& weights_source,
                          std::initializer_list<std::string_view> ignored_prefixes) {
  std::map<std::string, std::vector<std::int64_t>> expected;
  for (const auto& [name, tensor] : architecture) {
    if (!starts_with_any(name, ignored_prefixes)) expected[name] = tensor.sizes().vec();
  }
  std::set<std::string> present;
  for (const auto& [name, tensor] : weights) {
    if (starts_with_any(name, ignored_prefixes)) continue;
    const auto found = expected.find(name);
    if (found == expected.end()) {
      throw InputError(weights_source + ": state_dict entry '" + name + "' is not a tensor of " +
                       architecture_source +
                       "'s architecture (unexpected key, as torch's strict load_state_dict "
                       "says); is it a checkpoint of another model?");
    }
    if (found->second != tensor.sizes().vec()) {
      throw InputError(weights_source + ": state_dict entry '" + name + "' has shape " +
                       shape_text(tensor.sizes().vec()) + " where " + architecture_source +
                       "'s architecture has " + shape_text(found->second));
    }
    present.insert(name);
  }
  if (present.size() == expected.size()) return;
  for (const auto& [name, shape] : expected) {
    if (present.count(name) == 0) {
      throw InputError(weights_source + ": state_dict misses '" + name + "' of " +
                       architecture_source + "'s architecture (" +
                       std::to_string(expected.size() - present.size()) + " tensors missing)");
    }
  }
}

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text += ", ";
    text += shape[d] < 0 ? std::string("*") : std::to_string(shape[d]);
  }
  return text + "]";
}

namespace {

// The shard files an index's weight_map names, in order of first appearance.
std::vector<fs::path> index_shards(const fs::path& index) {
  std::ifstream in(index);
  if (!in) throw IoError(index.string() + ": cannot open");
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (!json.is_object() || !json.contains("weight_map") || !json["weight_map"].is_object()) {
    throw InputError(index.string() + ": 'weight_map' is missing or not an object of files");
  }
  std::vector<fs::path> shards;
  std::set<std::string> seen;
  for (const auto& [name, file] : json["weight_map"].items()) {
    if (!file.is_string()) {
      throw InputError(index.string() + ": 'weight_map' entry '" + name + "' is not a file name");
    }
    const std::string shard = file.get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard.starts_with(".")) {
      throw InputError(index.string() + ": 'weight_map' entry '" + name + "' names '" + shard +
                       "', not a file beside the index");
    }
    if (seen.insert(shard).second) shards.push_back(index.parent_path() / shard);
  }
  return shards;
}

bool is_safetensors(const fs::path& file) { return file.extension() == ".safetensors"; }

}  // namespace

std::vector<fs::path> model_weight_files(const fs::path& folder) {
  std::error_code error;
  for (const char* single : {"model.safetensors", "model.safetensors.index.json",
                             "pytorch_model.bin", "pytorch_model.bin.index.json"}) {
    const fs::path file = folder / single;
    if (!fs::is_regular_file(file, error)) continue;
    if (file.extension() != ".json") return {file};
    std::vector<fs::path> files = {file};
    for (const fs::path& shard : index_shards(file)) files.push_back(shard);
    return files;
  }
  return {};
}

TensorStore::TensorStore(std::string source, std::string configuration, c10::Device device)
    : source_(std::move(source)), configuration_(std::move(configuration)), device_(device) {}

TensorStore::TensorStore(const fs::path& safetensors, std::string configuration, c10::Device device)
    : TensorStore(safetensors.string(), std::move(configuration), device) {
  Shard shard{source_, std::make_shared<const SafetensorsFile>(safetensors), {}};
  std::vector<std::string> names;
  for (const SafetensorsEntry& entry : shard.file->entries()) names.push_back(entry.name);
  add_shard(std::move(shard), names);
}

TensorStore::TensorStore(const PickleValue& state_dict, std::string source,
                         std::string configuration)
    : TensorStore(std::move(source), std::move(configuration), c10::Device(c10::kCPU)) {
  Shard shard{source_, nullptr, {}};
  std::vector<std::string> names;
  for (auto& [name, tensor] : tensor_dict(state_dict)) {
    names.push_back(name);
    shard.tensors[name] = std::move(tensor);
  }
  add_shard(std::move(shard), names);
}

TensorStore::TensorStore(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                         std::string source, std::string configuration)
    : TensorStore(std::move(source), std::move(configuration), c10::Device(c10::kCPU)) {
  Shard shard{source_, nullptr, {}};
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors) {
    names.push_back(name);
    shard.tensors[name] = tensor;
  }
  add_shard(std::move(shard), names);
}

TensorStore TensorStore::from_model_folder(const fs::path& folder, std::string configuration,
                                           c10::Device device) {
  const std::vector<fs::path> files = model_weight_files(folder);
  if (files.empty()) {
    throw IoError((folder / "model.safetensors").string() +
                  " does not exist, nor pytorch_model.bin, nor a sharded checkpoint's "
                  "model.safetensors.index.json or pytorch_model.bin.index.json");
  }
  // Messages name the single file, or the index of a sharded checkpoint.
  TensorStore store(files[0].string(), std::move(configuration), device);
  // An index (files[0]) is followed by its shards; a single file is the checkpoint itself.
  const bool sharded = files[0].extension() == ".json";
  for (std::size_t i = sharded ? 1 : 0; i < files.size(); ++i) {
    const fs::path& file = files[i];
    if (!fs::is_regular_file(file)) {
      throw IoError(file.string() + " does not exist (named by " + files[0].string() + ")");
    }
    Shard shard{file.string(), nullptr, {}};
    std::vector<std::string> names;
    if (is_safetensors(file)) {
      shard.file = std::make_shared<const SafetensorsFile>(file);
      for (const SafetensorsEntry& entry : shard.file->entries()) names.push_back(entry.name);
    } else {
      const TorchCheckpoint checkpoint = read_torch_checkpoint(file);
      for (auto& [name, tensor] : tensor_dict(checkpoint.root())) {
        names.push_back(name);
        shard.tensors[name] = std::move(tensor);
      }
    }
    store.add_shard(std::move(shard), names);
  }
  return store;
}

void TensorStore::add_shard(Shard shard, const std::vector<std::string>& names) {
  const std::size_t index = shards_.size();
  for (const std::string& name : names) {
    const auto [it, inserted] = shard_index_.emplace(name, index);
    if (!inserted) {
      throw InputError(shard.source + ": tensor '" + name + "' is also in " +
                       shards_[it->second].source);
    }
    order_.push_back(name);
  }
  shards_.push_back(std::move(shard));
}

const TensorStore::Shard* TensorStore::shard_of(const std::string& full_name) const {
  const auto it = shard_index_.find(full_name);
  return it == shard_index_.end() ? nullptr : &shards_[it->second];
}

void TensorStore::use_prefix_of(const std::string& probe,
                                const std::vector<std::string>& prefixes) {
  prefix_.clear();
  for (const auto& prefix : prefixes) {
    if (contains(prefix + probe)) {
      prefix_ = prefix;
      return;
    }
  }
}

bool TensorStore::contains(const std::string& name) const {
  return shard_of(prefix_ + name) != nullptr;
}

std::vector<std::int64_t> TensorStore::shape(const std::string& name) const {
  const std::string full = prefix_ + name;
  const Shard* shard = shard_of(full);
  if (shard == nullptr) throw InputError(source_ + ": tensor '" + full + "' is missing");
  return shard->file ? shard->file->entry(full).shape : shard->tensors.at(full).sizes().vec();
}

int TensorStore::count(const std::string& prefix, const std::string& suffix) const {
  int n = 0;
  while (contains(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

at::Tensor TensorStore::get(const std::string& name, const std::vector<std::int64_t>& shape) const {
  const std::string full = prefix_ + name;
  const Shard* shard = shard_of(full);
  if (shard == nullptr) {
    throw InputError(source_ + ": tensor '" + full + "' is missing (expected shape " +
                     shape_text(shape) + " from " + configuration_ + ")");
  }
  const std::vector<std::int64_t> actual = this->shape(name);
  bool matches = actual.size() == shape.size();
  for (std::size_t d = 0; matches && d < shape.size(); ++d) {
    matches = shape[d] < 0 || actual[d] == shape[d];
  }
  if (!matches) {
    throw InputError(shard->source + ": tensor '" + full + "' has shape " + shape_text(actual) +
                     ", expected " + shape_text(shape) + " from " + configuration_);
  }
  at::Tensor tensor;
  if (shard->file) {
    tensor = shard->file->load(full);  // float32 from any stored dtype the reader knows
  } else {
    const at::Tensor& stored = shard->tensors.at(full);
    if (!at::isFloatingType(stored.scalar_type())) {
      throw InputError(shard->source + ": tensor '" + full + "' holds " +
                       std::string(c10::toString(stored.scalar_type())) + ", not floats");
    }
    tensor = stored.to(at::kFloat).contiguous();
  }
  used_.insert(full);
  return tensor.to(device_);
}

void TensorStore::expect_all_used(std::initializer_list<std::string_view> ignored_prefixes) const {
  for (const std::string& name : order_) {
    if (used_.contains(name) || !name.starts_with(prefix_)) continue;
    const std::string_view inside = std::string_view(name).substr(prefix_.size());
    bool ignored = false;
    for (std::string_view prefix : ignored_prefixes)
      ignored = ignored || inside.starts_with(prefix);
    if (!ignored) {
      throw InputError(source_ + ": tensor '" + name + "' is not part of the architecture " +
                       configuration_ + " describes");
    }
  }
}

}  // namespace brainalign::neural
