// The published activations of Tuckute, Feather, Boebinger & McDermott (2023): every model of
// the study, trained and permuted ("randnetw"), run over the 165 natural sounds, as the release
// archive model_actv.tar holds them (the data set `tuckute2023-activations`). Read without
// Python into feature sets, and served as models by name: the models no port covers (SepFormer,
// MetricGAN+, DeepSpeech2, the DCASE 2020 baseline, ZeroSpeech 2020, VGGish, AST as the study
// ran it, the cochleagram CNN9 and ResNet-50 networks of every task and seed) are scored from
// them. Layout and provenance: docs/data.md, "The 2023 models' published activations".
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "brainalign/features/feature_set.h"
#include "brainalign/models/model.h"

namespace brainalign::features {

// One model folder of the release (model_actv/<folder>/).
struct ReleaseModel {
  std::string folder;  // "Kell2018word", "sepformer", ...
  // true: natsound_activations[_randnetw].h5, one dataset per layer with the 165 sounds as
  // rows (the in-house networks and spectemp); false: <sound>_activations[_randnetw].pkl,
  // one pickled dict per sound (the external models).
  bool hdf5 = false;
  bool has_permuted = true;  // spectemp has no permuted control
  // The layers the 2023 study compared with the brain, in its order (resources.py,
  // d_layer_reindex), named as the study names them; and where each is stored: the HDF5
  // dataset or the pickle's key (resources.py, source_layer_map).
  std::vector<std::string> layers;
  std::vector<std::string> keys;
  // The 2025 study's layers of the same model (mrpep/braindnn, src/specs.py), in its order and
  // named as `layers` names them; empty when that study did not use the model.
  std::vector<std::string> pepino2025_layers;
};

// Every model folder the 2023 code reads (resources.py: the keys of d_layer_reindex).
const std::vector<ReleaseModel>& release_models();
// The release model of `folder`; InputError listing them for another name.
const ReleaseModel& find_release_model(const std::string& folder);

// <data root>/model_actv: where `brainalign fetch tuckute2023-activations` unpacks them.
std::filesystem::path published_activations_root();

// The published activations of one model folder (model_actv/<folder>, named as the release
// names it, or a copy under any name when `model` is given), `permuted` for the random-weight
// control: the 165 sounds as rows, named by stimulus (in the NH2015 release's order for the
// HDF5 files, whose rows follow it; in that order too for the pickles), one layer per
// published layer in the study's order. Both formats already hold one time-averaged vector
// per sound and layer (the extraction code pooled them), so the values are taken as they are.
// InputError naming the file and what was expected for a missing file, layer or sound, a
// malformed pickle or HDF5 file, or rows of different widths.
FeatureSet read_published_activations(const std::filesystem::path& folder, bool permuted = false,
                                      const std::string& model = "");

// A model that runs from published activations: forward() on one of the 165 sounds (the very
// file, as `natsound165` holds it: matched by content, since forward() sees no file name)
// returns that sound's published vector of every layer, one frame each; any other audio is
// an InputError saying that the activations exist only for the 165 natural sounds.
// `sounds`: the folder of the 165 sound files to match against (empty: the natsound165 data
// set, fetched when missing). `name`: the model's name (the catalogue's).
std::unique_ptr<models::Model> make_published_activations_model(
    const std::string& name, const std::filesystem::path& folder, bool permuted,
    const std::string& release_folder, const std::filesystem::path& sounds = {});

// Installs the route by name: the model family "tuckute2023-activations:FOLDER" (a release
// folder name, with "_randnetw" for the permuted control, or a path to such a folder) and the
// catalogue's source of published activations (models::set_activations_source), so that a
// catalogued model whose route is its published activations runs by its name, the archive
// fetched at the first use. Call at start-up (the command line and the Python module do).
void register_published_activations();

}  // namespace brainalign::features
