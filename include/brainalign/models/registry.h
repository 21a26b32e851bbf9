// Models by name: the table the CLI's --model, studies and the Python bindings choose from.
//
// Two kinds of names:
// - a registered model: "spectemp", "cochleagram", "mel", "mfcc" (fixed front ends);
// - "<family>:PATH", a model of a family whose weights live in files ("hf:PATH",
//   "beats:PATH", ...), or "auto:PATH", the first family that recognises PATH. Families are
//   registered at start-up by the libraries that bring them (the libtorch models:
//   neural::register_model_families()), so the core library stays free of them.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/models/model.h"

namespace brainalign::models {

struct ModelInfo {
  std::string name;
  std::string description;
  bool takes_weights = false;
};

// Every registered model: spectemp, cochleagram, mel, mfcc.
const std::vector<ModelInfo>& registered_models();

struct ModelFamily {
  std::string prefix;       // "hf", "beats", ...: names a model as "<prefix>:PATH"
  std::string description;  // one line for --help
  // Whether PATH holds a model of this family (for "auto:PATH"); cheap, never throws.
  std::function<bool(const std::filesystem::path&)> recognises;
  // The model stored at PATH. Throws IoError / InputError naming the file and what is wrong.
  std::function<std::unique_ptr<Model>(const std::filesystem::path&)> load;
};

// Adds a family, replacing one with the same prefix. Call before models are made.
void register_model_family(ModelFamily family);
// The families registered so far, in registration order.
std::vector<ModelFamily> registered_model_families();

// The model `name` denotes, with `weights` loaded when given (registered models with weights
// only). InputError for an unknown name or prefix (listing what is known), weights given to a
// model that has none, or "auto:PATH" that no family recognises.
std::unique_ptr<Model> make_model(const std::string& name,
                                  const std::optional<std::filesystem::path>& weights = {});

// Checks, without loading anything, that `name` denotes a model this build can make: a
// registered model, or <family>:PATH or auto:PATH with a registered family and an existing PATH.
// Throws the InputError or IoError make_model would throw for the name.
void check_model_name(const std::string& name);

// One line per registered model and family, for help texts.
std::string describe_models();

}  // namespace brainalign::models