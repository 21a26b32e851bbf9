// Published checkpoints by name: the models of Pepino et al. (2025) and Tuckute et al. (2023),
// each with its pinned source files (the facts, not the weights), the SHA-256 where one is
// published (else recorded at the first download), the size where known, the licence, the
// sample rate and the registry name it runs as. `brainalign fetch NAME` downloads one into
// models_root(); make_model(NAME) (every --model, studies, Python) fetches it on first use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "brainalign/io/remote_files.h"

namespace brainalign::models {

struct PublishedModel {
  std::string name;         // "beats:iter3", "hf:facebook/wav2vec2-base-960h", "spectemp"
  std::string description;  // one line
  // The registry name it runs as, "{dir}" standing for its folder under models_root()
  // ("beats:{dir}/BEATs_iter3.pt", "hf:{dir}", "spectemp"). Empty: brainalign has no native
  // route for it yet (`notes` says why).
  std::string runs_as;
  std::vector<std::string> studies;  // "pepino2025", "tuckute2023"
  std::string study_name;            // what the studies' code calls it
  int sample_rate = 0;               // Hz
  std::string licence;
  std::vector<io::RemoteFile> files;  // paths relative to the model's folder
  std::string notes;                  // what is uncertain about the source, or why no route

  bool runs() const { return !runs_as.empty(); }
  // Bytes of its files, when every size is known; -1 otherwise.
  std::int64_t size() const;
};

// Every catalogued model, in the order of the 2025 study's figures (then the 2023 study's).
const std::vector<PublishedModel>& published_models();
// The catalogued model `name`, or nullptr.
const PublishedModel* find_published_model(const std::string& name);

// Where catalogued models are kept: $BRAINALIGN_MODELS, else <per-user cache>/models.
std::filesystem::path models_root();
// models_root()/<name with ':' as '/'>: "beats:iter3" -> <root>/beats/iter3.
std::filesystem::path model_folder(const PublishedModel& model);
// Whether every file of the model is under its folder.
bool is_fetched(const PublishedModel& model);
// The registry name the model runs as, with its folder filled in (no download).
std::string runnable_name(const PublishedModel& model);

// Downloads the model's missing files into model_folder() (resumable, verified, atomic;
// $BRAINALIGN_MIRROR serves <mirror>/models/<folder>/<file>) and returns the folder.
// InputError for an unknown name (listing the catalogue) or a model without public files.
std::filesystem::path fetch_published_model(const std::string& name,
                                            const io::FetchOptions& options = {});

}  // namespace brainalign::models
