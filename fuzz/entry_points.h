// What each fuzz target feeds its input to: the readers and loaders, reached as a user's file
// reaches them. The libFuzzer targets and the corpus replay test share these, so a machine
// without libFuzzer still runs every seed and regression input through the same code.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace brainalign::fuzz {

using Input = std::span<const std::uint8_t>;

// Each returns normally when the code under test accepts the input or rejects it with an
// InputError or IoError. Anything else escaping (another exception, a crash, a sanitizer
// report) is a bug.
void npy_entry(Input input);
void npz_entry(Input input);
void csv_entry(Input input);
void mat_entry(Input input);
void hdf5_entry(Input input);
void json_entry(Input input);
// The first byte picks the layout (see kFeatureSetLayouts); the rest is one file or, for a
// folder, parts joined by kPartSeparator.
void feature_set_entry(Input input);
// The first byte picks the layout (see kDatasetLayouts); the rest as for feature sets.
void dataset_entry(Input input);
// dsp::read_audio on the input as a sound file (any format libsndfile knows, by its content).
void audio_entry(Input input);
// load_study on the input as a study's TOML file.
void study_entry(Input input);
// read_hear_task on a task folder of parts (see kHearTaskFiles), with a 16000 Hz audio folder;
// then every split's targets and the protocol's folds.
void hear_task_entry(Input input);
// io::read_pickle with every object left opaque, then the input as a joblib vector, a dict of
// NumPy arrays, a pandas DataFrame and HEAR label lists.
void pickle_entry(Input input);
// io::index_tar on the input as an uncompressed tar archive, then a member looked up by path.
void tar_entry(Input input);

// Joins the files of a multi-file input (a folder layout).
inline constexpr std::string_view kPartSeparator = "\n--brainalign-part--\n";

// Feature-set layouts by first byte (modulo their number): .npz, .h5, folder of
// [layers.txt, stimuli.txt, 0.npy, 1.npy, ...] (an empty part writes no file).
inline constexpr int kFeatureSetLayouts = 3;
// Dataset layouts by first byte: components.mat; generic [responses.npy, voxels.csv,
// stimuli.txt]; 2023 release [voxel_features_array.npy, voxel_features_meta.npy,
// neural_stim_meta.npy, df_roi_meta.csv, stim_info_v4.mat].
inline constexpr int kDatasetLayouts = 3;
// The files of a HEAR task input, in part order.
inline constexpr const char* kHearTaskFiles[] = {
    "task_metadata.json", "labelvocabulary.csv", "train.json",  "valid.json",  "test.json",
    "fold00.json",        "fold01.json",         "fold02.json", "fold03.json", "fold04.json"};

struct Target {
  const char* name;
  void (*entry)(Input);
  // Where the target's regression inputs are kept, under tests/.
  const char* regressions;
};

// Every torch-free target, by the name of its corpus folder and fuzzer (fuzz_<name>); those
// of the libtorch readers are in torch_entry_points.h.
const std::vector<Target>& targets();

}  // namespace brainalign::fuzz
