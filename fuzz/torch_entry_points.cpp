#include "torch_entry_points.h"

#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/neural/formats/config.h"
#include "brainalign/neural/formats/safetensors.h"
#include "brainalign/neural/formats/torch_checkpoint.h"
#include "harness.h"

namespace brainalign::fuzz {
namespace {

namespace fs = std::filesystem;

using harness::scratch_file;
using harness::tolerate_rejection;

// Visits every value reachable from `value`, at most `budget` of them, `depth` deep.
void walk(const neural::PickleValue& value, int depth, int& budget) {
  using Kind = neural::PickleValue::Kind;
  if (depth > 64 || --budget < 0) return;
  (void)value.repr();
  switch (value.kind()) {
    case Kind::kNone:
    case Kind::kObject:
      break;
    case Kind::kBool:
      (void)value.as_bool();
      break;
    case Kind::kInt:
      (void)value.as_int();
      (void)value.as_double();
      break;
    case Kind::kFloat:
      (void)value.as_double();
      break;
    case Kind::kString:
      (void)value.as_string();
      break;
    case Kind::kTensor:
      (void)value.as_tensor().sum();
      break;
    case Kind::kList:
    case Kind::kTuple:
      for (const auto& item : value.items()) walk(item, depth + 1, budget);
      break;
    case Kind::kDict:
      for (const auto& entry : value.entries()) {
        walk(entry.first, depth + 1, budget);
        walk(entry.second, depth + 1, budget);
        if (entry.first.kind() == Kind::kString) {
          tolerate_rejection([&] { (void)value.at(entry.first.as_string()); });
        }
      }
      (void)value.contains("model");
      break;
  }
  // A conversion to the wrong kind is a rejection.
  tolerate_rejection([&] { (void)value.as_string(); });
  tolerate_rejection([&] { (void)value.as_int(); });
  tolerate_rejection([&] { (void)value.items(); });
}

void walk_checkpoint(const neural::TorchCheckpoint& checkpoint) {
  int budget = 20000;
  walk(checkpoint.root(), 0, budget);
  tolerate_rejection([&] { (void)neural::tensor_dict(checkpoint.root()); });
}

}  // namespace

void safetensors_entry(Input input) {
  const fs::path path = scratch_file("safetensors", "model.safetensors", input);
  tolerate_rejection([&] {
    const neural::SafetensorsFile safetensors(path);
    (void)safetensors.metadata();
    for (const neural::SafetensorsEntry& entry : safetensors.entries()) {
      (void)safetensors.entry(entry.name);
      tolerate_rejection([&] { (void)safetensors.load_raw(entry.name); });
      tolerate_rejection([&] { (void)safetensors.load(entry.name); });
    }
    tolerate_rejection([&] { (void)safetensors.entry("missing.weight"); });
    (void)safetensors.load_all();
  });
}

void torch_checkpoint_entry(Input input) {
  tolerate_rejection([&] { walk_checkpoint(neural::parse_torch_checkpoint(input, "input.pt")); });
  const fs::path path = scratch_file("torch_checkpoint", "model.pt", input);
  tolerate_rejection([&] { walk_checkpoint(neural::read_torch_checkpoint(path)); });
  // As training checkpoints are read: other Python objects kept opaque.
  tolerate_rejection([&] {
    walk_checkpoint(neural::parse_torch_checkpoint(input, "input.ckpt", {.other_objects = true}));
  });
}

void model_config_entry(Input input) {
  const fs::path path = scratch_file("model_config", "config.json", input);
  tolerate_rejection([&] {
    const neural::ModelConfig config = neural::ModelConfig::read(path);
    std::vector<std::string> keys = {"missing_key"};
    for (const auto& item : config.json().items()) keys.push_back(item.key());
    for (const std::string& key : keys) {
      (void)config.has(key);
      tolerate_rejection([&] { (void)config.integer(key); });
      tolerate_rejection([&] { (void)config.integer(key, 1); });
      tolerate_rejection([&] { (void)config.number(key); });
      tolerate_rejection([&] { (void)config.number(key, 1.0); });
      tolerate_rejection([&] { (void)config.boolean(key); });
      tolerate_rejection([&] { (void)config.boolean(key, true); });
      tolerate_rejection([&] { (void)config.string(key); });
      tolerate_rejection([&] { (void)config.string(key, "x"); });
      tolerate_rejection([&] { (void)config.integers(key); });
    }
  });
}

const std::vector<Target>& torch_targets() {
  static const std::vector<Target> all = {
      {"safetensors", safetensors_entry, "neural/regressions/safetensors"},
      {"torch_checkpoint", torch_checkpoint_entry, "neural/regressions/torch_checkpoint"},
      {"model_config", model_config_entry, "neural/regressions/model_config"},
  };
  return all;
}

}  // namespace brainalign::fuzz
