// One model family of the registry: how a path is recognised as the family's and loaded as a
// registry model. Each family's folder (hf/, beats/, ...) defines one; model_families.cpp
// installs them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "brainalign/models/model.h"

namespace brainalign::neural {

struct FamilyDefinition {
  std::string prefix;       // names a model as "<prefix>:PATH"
  std::string kind;         // what a file of the family is, with its article, for messages
  std::string description;  // one line for --help: what PATH holds, its rate and its layers
  bool (*recognises)(const std::filesystem::path&);  // cheap, never throws
  std::unique_ptr<models::Model> (*load)(const std::filesystem::path&);
  // The architecture at the first path with the weights of the second (a training
  // checkpoint); nullptr: the family takes no weights file.
  std::unique_ptr<models::Model> (*load_weights)(const std::filesystem::path&,
                                                 const std::filesystem::path&) = nullptr;
};

}  // namespace brainalign::neural
