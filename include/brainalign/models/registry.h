// Models by name: the table the CLI's --model, studies and the Python bindings choose from.
//
// Three kinds of names:
// - a registered model: "spectemp", "cochleagram", "mel", "mfcc" (fixed front ends);
// - "<family>:PATH", a model of a family whose weights live in files ("hf:PATH",
//   "beats:PATH", ...), or "auto:PATH", the first family that recognises PATH. Families are
//   registered by the libraries that bring them, so the core library stays free of them: the
//   libtorch families by neural::register_model_families(), which the neural plugin runs when
//   it is opened (base/plugins.h); a name whose prefix no family has registered yet opens it;
// - a published checkpoint of the catalogue ("beats:iter3", "hf:facebook/wav2vec2-base-960h";
//   model_catalog.h), fetched on first use and run by its family. A path that exists under the
//   same spelling is taken as the path;
// - a checkpoint of a series, "<series>@<step>" ("encodecmae:mel256-ec-base-pretraining@12000";
//   model_series.h): its weights in the architecture of the series' model, both fetched on
//   first use.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"
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
  // The architecture stored at PATH with the weights of another file (a training checkpoint's
  // state_dict), for the families that can; unset: the family takes no weights file.
  std::function<std::unique_ptr<Model>(const std::filesystem::path& path,
                                       const std::filesystem::path& weights)>
      load_weights;
};

// Adds a family, replacing one with the same prefix. Call before models are made.
void register_model_family(ModelFamily family);
// Every family, in registration order, the neural plugin's included (opening it).
std::vector<ModelFamily> registered_model_families();

// The model `name` denotes, with `weights` loaded when given: into the architecture of a
// family's model ("encodecmae:mel256-ec-base" with a pretraining checkpoint; families with
// load_weights only) or a registered model with weights. A catalogued checkpoint is downloaded
// first when it is not there (`fetch`: progress, notes, mirror). InputError for an unknown name
// or prefix (listing what is known), weights given to a model that takes none, "auto:PATH"
// that no family recognises, or a catalogued model without a native route.
std::unique_ptr<Model> make_model(const std::string& name,
                                  const std::optional<std::filesystem::path>& weights = {},
                                  const io::FetchOptions& fetch = {});

// Checks, without loading or downloading anything, that `name` denotes a model this build can
// make: a registered model, <family>:PATH or auto:PATH with a registered family and an existing
// PATH, or a catalogued checkpoint with a native route whose family is registered.
// Throws the InputError or IoError make_model would throw for the name.
void check_model_name(const std::string& name);

// One line per registered model and family, for help texts.
std::string describe_models();

}  // namespace brainalign::models