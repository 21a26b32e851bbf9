#include "brainalign/neural/formats/tensor_store.h"

#include <ATen/ATen.h>

#include "brainalign/base/error.h"

namespace brainalign::neural {

std::string shape_text(at::IntArrayRef shape) {
  std::string text = "[";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text += ", ";
    text += shape[d] < 0 ? std::string("*") : std::to_string(shape[d]);
  }
  return text + "]";
}

TensorStore::TensorStore(const std::filesystem::path& safetensors, std::string configuration,
                         c10::Device device)
    : source_(safetensors.string()),
      configuration_(std::move(configuration)),
      device_(device),
      file_(std::make_shared<const SafetensorsFile>(safetensors)) {
  for (const SafetensorsEntry& entry : file_->entries()) order_.push_back(entry.name);
}

TensorStore::TensorStore(const PickleValue& state_dict, std::string source,
                         std::string configuration)
    : source_(std::move(source)),
      configuration_(std::move(configuration)),
      device_(c10::Device(c10::kCPU)) {
  for (auto& [name, tensor] : tensor_dict(state_dict)) {
    order_.push_back(name);
    tensors_[name] = std::move(tensor);
  }
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
  const std::string full = prefix_ + name;
  return file_ ? file_->contains(full) : tensors_.contains(full);
}

std::vector<std::int64_t> TensorStore::shape(const std::string& name) const {
  const std::string full = prefix_ + name;
  if (!contains(name)) throw InputError(source_ + ": tensor '" + full + "' is missing");
  return file_ ? file_->entry(full).shape : tensors_.at(full).sizes().vec();
}

int TensorStore::count(const std::string& prefix, const std::string& suffix) const {
  int n = 0;
  while (contains(prefix + std::to_string(n) + suffix)) ++n;
  return n;
}

at::Tensor TensorStore::get(const std::string& name, const std::vector<std::int64_t>& shape) const {
  const std::string full = prefix_ + name;
  if (!contains(name)) {
    throw InputError(source_ + ": tensor '" + full + "' is missing (expected shape " +
                     shape_text(shape) + " from " + configuration_ + ")");
  }
  const std::vector<std::int64_t> actual = this->shape(name);
  bool matches = actual.size() == shape.size();
  for (std::size_t d = 0; matches && d < shape.size(); ++d) {
    matches = shape[d] < 0 || actual[d] == shape[d];
  }
  if (!matches) {
    throw InputError(source_ + ": tensor '" + full + "' has shape " + shape_text(actual) +
                     ", expected " + shape_text(shape) + " from " + configuration_);
  }
  at::Tensor tensor;
  if (file_) {
    tensor = file_->load(full);  // float32 from any stored dtype the reader knows
  } else {
    const at::Tensor& stored = tensors_.at(full);
    if (!at::isFloatingType(stored.scalar_type())) {
      throw InputError(source_ + ": tensor '" + full + "' holds " +
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
