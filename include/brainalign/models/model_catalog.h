// Published checkpoints by name: the models of Pepino et al. (2025) and Tuckute et al. (2023),
// each with its pinned source files (the facts, not the weights), the SHA-256 where one is
// published (else recorded at the first download), the size where known, the licence, the
// sample rate and the registry name it runs as. `brainalign fetch NAME` downloads one into
// models_root(); make_model(NAME) (every --model, studies, Python) fetches it on first use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"

namespace brainalign::models {

struct PublishedModel {
  std::string name;         // "beats:iter3", "hf:facebook/wav2vec2-base-960h", "spectemp"
  std::string description;  // one line
  // The registry name it runs as, "{dir}" standing for its folder under models_root()
  // ("beats:{dir}/BEATs_iter3.pt", "hf:{dir}", "spectemp"); with an `architecture`, the
  // weights file it loads into that model ("{dir}/dasheng_audioset_mAP497.pt"). Empty:
  // brainalign has no native route for it yet (`notes` says why).
  std::string runs_as;
  // The catalogued model whose architecture and config its files fill, when they hold weights
  // only (a bare state_dict): "dasheng:base". It runs as make_model(architecture, weights =
  // runs_as), under its own name; fetching it fetches the architecture's files too.
  std::string architecture;
  std::vector<std::string> studies;  // "pepino2025", "tuckute2023"
  std::string study_name;            // what the studies' code calls it
  int sample_rate = 0;               // Hz
  std::string licence;
  std::vector<io::RemoteFile> files;  // paths relative to the model's folder
  std::string notes;                  // what is uncertain about the source, or why no route
  // Its folder in the 2023 release's published activations (model_actv/<folder>: "sepformer",
  // "Kell2018word"), empty when the release has none; `permuted`: the random-weight control.
  // Where runs_as is "tuckute2023-activations:..." the model runs from them (the 165 natural
  // sounds only), and fetching it fetches them.
  std::string activations;
  bool permuted = false;

  bool runs() const { return !runs_as.empty(); }
  // Whether its route is its published activations (runs_as names kActivationsFamily).
  bool runs_from_activations() const;
  // Bytes of its files (and of its architecture's), when every size is known; -1 otherwise.
  std::int64_t size() const;
};

// The model family of the published activations: "tuckute2023-activations:FOLDER".
inline constexpr const char* kActivationsFamily = "tuckute2023-activations";

// Where published activations come from: the data registry's tuckute2023-activations, which
// this module does not use. Installed by features::register_published_activations() (the
// command line and the Python module do it at start-up).
struct ActivationsSource {
  // The folder of a release model's activations (<data root>/model_actv/<folder>); no download.
  std::function<std::filesystem::path(const std::string& folder)> locate;
  // Makes the archive present (resumable, verified, with the options' size confirmation).
  std::function<void(const io::FetchOptions&)> fetch;
};
void set_activations_source(ActivationsSource source);

// Every catalogued model, in the order of the 2025 study's figures (then the 2023 study's).
const std::vector<PublishedModel>& published_models();
// The catalogued model `name`, or nullptr.
const PublishedModel* find_published_model(const std::string& name);

// Where catalogued models are kept: $BRAINALIGN_MODELS, else <per-user cache>/models.
std::filesystem::path models_root();
// models_root()/<name with ':' as '/'>: "beats:iter3" -> <root>/beats/iter3; for a model that
// runs from published activations, their folder (model_actv/<folder>, once a source is set).
std::filesystem::path model_folder(const PublishedModel& model);
// Whether every file of the model is under its folder (for a model that runs from published
// activations: whether they are there), and its architecture's files under theirs.
bool is_fetched(const PublishedModel& model);
// Bytes still to download for the model's files and its architecture's; -1 when the size of a
// missing file is not known.
std::int64_t missing_bytes(const PublishedModel& model);
// The registry name the model runs as, with its folder filled in (no download).
std::string runnable_name(const PublishedModel& model);

// Downloads the model's missing files into model_folder() (resumable, verified, atomic;
// $BRAINALIGN_MIRROR serves <mirror>/models/<folder>/<file>), after those of its architecture
// when it has one, and returns the folder; for a
// model that runs from published activations, the activations archive instead (through the
// ActivationsSource), returning their folder. InputError for an unknown name (listing the
// catalogue), a model without public files, or published activations without a source.
std::filesystem::path fetch_published_model(const std::string& name,
                                            const io::FetchOptions& options = {});

}  // namespace brainalign::models
