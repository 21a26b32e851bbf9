#include "brainalign/data/data_registry.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/io/archive.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/pickled_array.h"
#include "natsound165_manifest.h"

namespace brainalign::data {
namespace fs = std::filesystem;
namespace {

// snormanhaignere/natsound165-neuron2015 at its 2022-07-18 commit.
constexpr const char* kNatsoundSource =
    "https://raw.githubusercontent.com/snormanhaignere/natsound165-neuron2015/"
    "b41b99ff620d7997dbf278fc770f58566707726a/";
// mrpep/braindnn (the 2025 study's code) at the commit that added the fold assignment.
constexpr const char* kFoldsSource =
    "https://raw.githubusercontent.com/mrpep/braindnn/"
    "2e481372019e8b9ac25081f6e0e040b352586844/lists/stratified-fold-assignment.pkl";
constexpr const char* kFoldsSha256 =
    "34f7c1ed96e9c508986441e745988734212fe53e49654cc2bf115e8e9e5e698b";
// The 2023 study's data release; its checksum is not published.
constexpr const char* kRelease2023Source =
    "https://mcdermottlab.mit.edu//tuckute_feather_2023/data.tar";
// The 2023 study's model activations for the 165 sounds (setup_utils/download_files.py of
// gretatuckute/auditory_brain_dnn, "~2.7GB"); its checksum and exact size are not published.
constexpr const char* kActivations2023Source =
    "https://mcdermottlab.mit.edu//tuckute_feather_2023/model_actv.tar";
// The HEAR 2021 tasks preprocessed at 48 kHz, the record the 2025 study's download script pins;
// no checksums are published with them.
constexpr const char* kHearSource = "https://zenodo.org/records/6332517/files/";

struct HearTaskSource {
  const char* name;       // hear:<name>
  const char* hear_name;  // the task folder hear-preprocess writes
  const char* description;
};
constexpr HearTaskSource kHearTasks[] = {
    {"esc50", "esc50-v2.0.0-full", "ESC-50 environmental sounds, 5 folds (CC BY-NC 3.0)"},
    {"fsd50k", "fsd50k-v1.0-full",
     "FSD50K sound events, multilabel (CC BY 4.0; clips CC0, CC BY, CC BY-NC or Sampling+)"},
    {"nsynth_pitch", "nsynth_pitch-v2.2.3-50h", "NSynth pitch, 50 h (CC BY 4.0)"},
    {"speech_commands", "speech_commands-v0.0.2-full", "Speech Commands v0.02 (CC BY 4.0)"},
    {"crema_d", "tfds_crema_d-1.0.0-full", "CREMA-D emotions, 5 folds (ODbL 1.0)"},
    {"gtzan_genre", "tfds_gtzan-1.0.0-full", "GTZAN music genres, 10 folds (no licence stated)"},
};

std::vector<PublicDataset> make_registry() {
  std::vector<PublicDataset> registry;

  PublicDataset sounds;
  sounds.name = "natsound165";
  sounds.description =
      "The 165 natural sounds, their category labels and the six NH2015 components "
      "(Norman-Haignere, Kanwisher & McDermott 2015)";
  const std::string base = kNatsoundSource;
  for (const auto& sound : natsound165::kSounds) {
    const std::string file = std::string(sound.name) + ".wav";
    sounds.files.push_back({"natsound165/wav/" + file, base + "sounds/wav/" + file,
                            std::string(sound.sha256), natsound165::kSoundBytes});
  }
  sounds.files.push_back({"natsound165/category_labels.csv", base + "sounds/category_labels.csv",
                          "747c213ec40ede8ccac7af2ba2d0ecc9d6dfbccbe5befeb6888beb5201b35fbc",
                          4983});
  sounds.files.push_back({"natsound165/components.mat", base + "data/components.mat",
                          "a34f9a4c648de56d075f249a0f09f67281cde024d0ca184347436e540ab0a66e",
                          519820});
  for (const auto& file : sounds.files) sounds.provides.push_back(file.path);
  registry.push_back(std::move(sounds));

  PublicDataset folds;
  folds.name = "natsound165-folds";
  folds.description =
      "The 5-fold assignment of the 165 sounds used by Pepino et al. (2025), as "
      "natsound165/folds_5x33.csv";
  folds.files.push_back(
      {"natsound165/stratified-fold-assignment.pkl", kFoldsSource, kFoldsSha256, 1545});
  folds.provides = {"natsound165/folds_5x33.csv"};
  folds.derive = [](const fs::path& root) {
    write_natsound165_folds(root / "natsound165/stratified-fold-assignment.pkl",
                            root / "natsound165/folds_5x33.csv");
  };
  registry.push_back(std::move(folds));

  PublicDataset release;
  release.name = "tuckute2023";
  release.description =
      "The data release of Tuckute, Feather, Boebinger & McDermott (2023): NH2015 and B2021 "
      "voxels under neural/ (several GB)";
  release.files.push_back({"downloads/tuckute2023/data.tar", kRelease2023Source, ""});
  release.provides = {"neural/NH2015", "neural/B2021"};
  release.unpack = true;
  release.strip_components = 1;  // the archive's entries start with data/
  registry.push_back(std::move(release));

  PublicDataset activations;
  activations.name = "tuckute2023-activations";
  activations.description =
      "The published activations of every model of Tuckute et al. (2023), trained and "
      "permuted, for the 165 sounds, under model_actv/ (about 2.7 GB)";
  activations.files.push_back(
      {"downloads/tuckute2023-activations/model_actv.tar", kActivations2023Source, ""});
  // The archive's entries start with model_actv/ (the release unpacks it next to data/).
  activations.provides = {"model_actv/Kell2018word/natsound_activations.h5",
                          "model_actv/sepformer"};
  activations.unpack = true;
  registry.push_back(std::move(activations));

  for (const auto& task : kHearTasks) {
    PublicDataset hear;
    hear.name = std::string("hear:") + task.name;
    hear.description = std::string("HEAR task ") + task.hear_name + ", 48 kHz: " + task.description;
    const std::string archive = std::string("hear2021-") + task.hear_name + "-48000.tar.gz";
    hear.files.push_back({"downloads/hear/" + archive, kHearSource + archive, "", -1});
    hear.folder = std::string("hear/") + task.hear_name;
    hear.provides = {hear.folder + "/task_metadata.json"};
    hear.unpack = true;
    hear.unpack_into = std::string("downloads/hear/") + task.hear_name + ".unpacked";
    hear.derive = [hear_name = std::string(task.hear_name), staging = hear.unpack_into,
                   folder = hear.folder](const fs::path& root) {
      move_hear_task(root / staging, hear_name, root / folder);
    };
    registry.push_back(std::move(hear));
  }
  return registry;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

const std::vector<PublicDataset>& public_datasets() {
  static const std::vector<PublicDataset> registry = make_registry();
  return registry;
}

const PublicDataset& find_public_dataset(const std::string& name) {
  for (const auto& dataset : public_datasets()) {
    if (dataset.name == name) return dataset;
  }
  std::vector<std::string> names;
  for (const auto& dataset : public_datasets()) names.push_back(dataset.name);
  throw InputError("unknown data set '" + name + "' (known: " + join(names, ", ") + ")");
}

std::vector<std::string> missing_paths(const PublicDataset& dataset, const fs::path& root) {
  std::vector<std::string> missing;
  for (const auto& path : dataset.provides) {
    if (!fs::exists(root / path)) missing.push_back(path);
  }
  return missing;
}

fs::path fetch_dataset(const std::string& name, const FetchOptions& options) {
  const PublicDataset& dataset = find_public_dataset(name);
  const fs::path root = data_root();
  const auto missing = missing_paths(dataset, root);
  if (missing.empty()) return root;
  if (const char* local = std::getenv("BRAINALIGN_DATA"); local != nullptr && *local != '\0') {
    throw InputError("data set '" + name + "' is incomplete in BRAINALIGN_DATA=" + local +
                     ": missing " + join(missing, ", ") +
                     " (unset BRAINALIGN_DATA to download it into the per-user cache)");
  }
  io::fetch_remote_files(dataset.files, root, "fetch " + name, "", options);
  if (dataset.unpack) {
    for (const auto& file : dataset.files) {
      io::unpack_archive(root / file.path, root / dataset.unpack_into, dataset.strip_components);
      fs::remove(root / file.path);
    }
  }
  if (dataset.derive) dataset.derive(root);
  const auto still_missing = missing_paths(dataset, root);
  if (!still_missing.empty()) {
    throw InputError("data set '" + name + "' was downloaded but lacks " +
                     join(still_missing, ", "));
  }
  return root;
}

void move_hear_task(const fs::path& staging, const std::string& hear_name,
                    const fs::path& destination) {
  std::optional<fs::path> found;
  if (fs::exists(staging))
    for (const auto& entry : fs::recursive_directory_iterator(staging))
      if (entry.path().filename() == "task_metadata.json" &&
          entry.path().parent_path().filename() == hear_name) {
        found = entry.path().parent_path();
        break;
      }
  if (!found)
    throw InputError(staging.string() + ": the archive holds no folder " + hear_name +
                     " with a task_metadata.json");
  fs::create_directories(destination.parent_path());
  fs::remove_all(destination);
  fs::rename(*found, destination);
  fs::remove_all(staging);
}

std::string public_dataset_providing(const std::string& name) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key == "nh2015comp") return "natsound165";
  if (key == "nh2015" || key == "b2021") return "tuckute2023";
  for (const auto& dataset : public_datasets())
    if (dataset.name == name) return name;
  return "";
}

fs::path hear_task_folder(const std::string& name, const FetchOptions& options) {
  if (!name.starts_with("hear:")) return name;
  const PublicDataset& dataset = find_public_dataset(name);
  return fetch_dataset(name, options) / dataset.folder;
}

std::vector<std::string> natsound165_stimuli() {
  std::vector<std::string> names;
  for (const auto& sound : natsound165::kSounds) names.emplace_back(sound.name);
  return names;
}

void write_natsound165_folds(const fs::path& pickled_folds, const fs::path& csv) {
  const std::vector<double> folds = io::read_joblib_vector(pickled_folds);
  const auto names = natsound165_stimuli();
  if (folds.size() != names.size()) {
    throw InputError(pickled_folds.string() + ": expected " + std::to_string(names.size()) +
                     " folds, found " + std::to_string(folds.size()));
  }
  std::string text = "stimulus,fold\n";
  for (std::size_t i = 0; i < folds.size(); ++i) {
    if (!(folds[i] >= 0.0) || folds[i] != std::floor(folds[i])) {
      throw InputError(pickled_folds.string() + ": fold of '" + names[i] +
                       "' is not a non-negative integer");
    }
    text += names[i] + "," + std::to_string(static_cast<long>(folds[i])) + "\n";
  }
  io::write_file_atomically(csv, text);
}

}  // namespace brainalign::data