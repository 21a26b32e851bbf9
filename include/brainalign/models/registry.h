// Models by name: the table the CLI's --model chooses from.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/models/model.h"

namespace brainalign {

struct ModelInfo {
  std::string name;
  std::string description;
  bool takes_weights = false;
};

// Every registered model: spectemp, cochleagram, mel, mfcc.
const std::vector<ModelInfo>& registered_models();

// The model called `name`, with `weights` loaded when given. InputError for an unknown name
// (listing the known ones) or weights given to a model that has none.
std::unique_ptr<Model> make_model(const std::string& name,
                                  const std::optional<std::filesystem::path>& weights = {});

}  // namespace brainalign
