#include "entry_points.h"

#include <filesystem>

#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/dsp/audio.h"
#include "brainalign/features/feature_set.h"
#include "brainalign/hear/hear_embeddings.h"
#include "brainalign/hear/hear_task.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/hdf5.h"
#include "brainalign/io/json.h"
#include "brainalign/io/mat.h"
#include "brainalign/io/npy.h"
#include "brainalign/io/npz.h"
#include "brainalign/io/pandas_table.h"
#include "brainalign/io/pickle.h"
#include "brainalign/io/pickled_array.h"
#include "brainalign/io/tar_index.h"
#include "brainalign/study/study_file.h"
#include "harness.h"

// libmatio and libhdf5 size malloc and calloc requests from what a file declares and handle a
// NULL result; under ASan such a request must fail as it does in a release build instead of
// aborting. Oversized operator new requests (brainalign's own) still abort.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

// libhdf5 keeps freed blocks on its own free lists until it shuts down at exit, where they are
// released; libFuzzer's leak check after each input would report them as leaks.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }

namespace brainalign::fuzz {
namespace {

namespace fs = std::filesystem;
using harness::as_text;
using harness::scratch;
using harness::scratch_file;
using harness::tolerate_rejection;
using harness::write_file;

std::vector<std::string_view> split_parts(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = text.find(kPartSeparator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + kPartSeparator.size());
  }
}

// Writes the parts as the named files, skipping empty parts and names beyond the parts.
void write_parts(const fs::path& folder, std::string_view text,
                 const std::vector<std::string>& names) {
  const auto parts = split_parts(text);
  for (std::size_t i = 0; i < parts.size() && i < names.size(); ++i) {
    if (!parts[i].empty()) write_file(folder / names[i], parts[i]);
  }
}

void convert_npy(const io::NpyArray& array) {
  tolerate_rejection([&] { (void)array.to_doubles(); });
  tolerate_rejection([&] { (void)array.to_strings(); });
  for (const io::NpyField& field : array.fields()) {
    tolerate_rejection([&] { (void)array.field_doubles(field.name); });
    tolerate_rejection([&] { (void)array.field_strings(field.name); });
  }
}

}  // namespace

void npy_entry(Input input) {
  tolerate_rejection([&] { convert_npy(io::parse_npy(input, "input.npy")); });
  const fs::path file = scratch_file("npy", "input.npy", input);
  tolerate_rejection([&] { convert_npy(io::read_npy(file)); });
}

void npz_entry(Input input) {
  const fs::path file = scratch_file("npz", "input.npz", input);
  tolerate_rejection([&] {
    for (const auto& member : io::read_npz(file)) convert_npy(member.second);
  });
}

void csv_entry(Input input) {
  for (const bool has_header : {true, false}) {
    tolerate_rejection([&] {
      const io::CsvTable table = io::parse_csv(as_text(input), "input.csv", has_header);
      tolerate_rejection([&] { (void)table.column("stimulus"); });
      for (const auto& row : table.rows) {
        for (const auto& field : row) tolerate_rejection([&] { io::parse_double(field, "f"); });
      }
    });
  }
}

void mat_entry(Input input) {
  const fs::path file = scratch_file("mat", "input.mat", input);
  tolerate_rejection([&] {
    const io::MatFile mat(file);
    for (const std::string& name : mat.variable_names()) {
      tolerate_rejection([&] { (void)mat.has(name); });
      tolerate_rejection([&] { (void)mat.read_numeric(name); });
      tolerate_rejection([&] { (void)mat.read_strings(name); });
      tolerate_rejection([&] { (void)mat.read_struct_field_numeric(name, "stim_names"); });
      tolerate_rejection([&] { (void)mat.read_struct_field_strings(name, "stim_names"); });
    }
  });
}

void hdf5_entry(Input input) {
  const fs::path file = scratch_file("hdf5", "input.h5", input);
  tolerate_rejection([&] {
    for (const std::string& name : io::hdf5_dataset_names(file)) {
      tolerate_rejection([&] { (void)io::read_hdf5_numeric(file, name); });
      tolerate_rejection([&] { (void)io::read_hdf5_strings(file, name); });
    }
  });
}

void json_entry(Input input) {
  tolerate_rejection([&] { (void)io::parse_json(as_text(input), "input.json"); });
}

void feature_set_entry(Input input) {
  if (input.empty()) return;
  const int layout = input[0] % kFeatureSetLayouts;
  const std::string_view rest = as_text(input.subspan(1));
  const fs::path folder = scratch().fresh("feature_set");
  fs::path path;
  if (layout == 0) {
    path = folder / "features.npz";
    write_file(path, rest);
  } else if (layout == 1) {
    path = folder / "features.h5";
    write_file(path, rest);
  } else {
    path = folder / "features";
    fs::create_directories(path);
    write_parts(path, rest, {"layers.txt", "stimuli.txt", "0.npy", "1.npy", "2.npy", "3.npy"});
  }
  tolerate_rejection([&] {
    const features::FeatureSet features = features::load_feature_set(path);
    std::vector<std::string> stimuli = features.stimuli;
    if (stimuli.empty()) {
      for (Eigen::Index i = 0; i < features.layers.front().values.rows(); ++i) {
        stimuli.push_back("stim" + std::to_string(i));
      }
    }
    (void)features::align_to_stimuli(features, stimuli);
  });
}

void dataset_entry(Input input) {
  if (input.empty()) return;
  const int layout = input[0] % kDatasetLayouts;
  const std::string_view rest = as_text(input.subspan(1));
  const fs::path folder = scratch().fresh("dataset");
  fs::path path;
  if (layout == 0) {
    path = folder / "components.mat";
    write_file(path, rest);
  } else if (layout == 1) {
    path = folder / "generic";
    fs::create_directories(path);
    write_parts(path, rest, {"responses.npy", "voxels.csv", "stimuli.txt"});
  } else {
    path = folder / "release";
    fs::create_directories(path);
    write_parts(path, rest,
                {"voxel_features_array.npy", "voxel_features_meta.npy", "neural_stim_meta.npy",
                 "df_roi_meta.csv", "stim_info_v4.mat"});
  }
  tolerate_rejection([&] {
    const data::BrainDataset dataset = data::load_dataset(path.string());
    (void)dataset.mean_response();
    (void)dataset.subjects();
    (void)dataset.finite_targets();
    tolerate_rejection([&] { (void)dataset.select_roi("Primary"); });
  });
}

void audio_entry(Input input) {
  // No extension: libsndfile tells the format from the content.
  const fs::path file = scratch_file("audio", "input", input);
  tolerate_rejection([&] { (void)dsp::read_audio(file); });
}

void study_entry(Input input) {
  // With the files the seeds name: checkpoint series, a feature set and downstream scores.
  const fs::path folder = scratch().fresh("study");
  fs::create_directories(folder / "ck");
  for (const char* name :
       {"ck/step_0.npz", "ck/step_1000.npz", "ck/step_2000.npz", "features.npz", "scores.csv"}) {
    write_file(folder / name, "x");
  }
  const fs::path file = folder / "study.toml";
  write_file(file, as_text(input));
  tolerate_rejection([&] {
    const study::Study study = study::load_study(file);
    for (const study::StudyModel& model : study.models) (void)study.model(model.name);
    for (const study::StudyDataset& dataset : study.datasets) (void)study.dataset(dataset.name);
    for (const study::StudyAnalysis& analysis : study.analyses) (void)study.analysis(analysis.name);
  });
}

void hear_task_entry(Input input) {
  const fs::path folder = scratch().fresh("hear_task");
  fs::create_directories(folder / "16000");
  write_parts(folder, as_text(input),
              std::vector<std::string>(std::begin(kHearTaskFiles), std::end(kHearTaskFiles)));
  tolerate_rejection([&] {
    const hear::HearTask task = hear::read_hear_task(folder);
    (void)task.primary_metric();
    for (const hear::HearSplit& split : task.splits) {
      tolerate_rejection([&] { (void)hear::split_targets(task, split); });
    }
    tolerate_rejection([&] { (void)hear::protocol_folds(task); });
    tolerate_rejection([&] { (void)hear::task_sample_rate(task, 16000.0); });
  });
}

void pickle_entry(Input input) {
  tolerate_rejection([&] {
    io::PickleRules rules;
    rules.bytes = true;
    rules.sets = true;
    rules.opaque_objects = true;
    (void)io::pickle_dict_keys(io::read_pickle(input, "input.pkl", rules));
  });
  tolerate_rejection([&] { (void)io::parse_joblib_vector(input, "input.pkl"); });
  tolerate_rejection([&] { (void)io::parse_pickled_array_dict(input, "input.pkl"); });
  tolerate_rejection([&] { (void)io::parse_pandas_table(input, "input.pkl"); });
  tolerate_rejection([&] { (void)hear::unpickle_label_lists(input, "input.pkl"); });
}

void tar_entry(Input input) {
  tolerate_rejection([&] {
    const std::string_view bytes = as_text(input);
    const auto members = io::index_tar(
        [&](std::uint64_t offset, std::size_t length) {
          return std::string(bytes.substr(static_cast<std::size_t>(offset), length));
        },
        bytes.size(), "input.tar");
    (void)io::find_tar_member(members, "model/5_checkpoint.pt");
  });
}

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"npy", npy_entry, "io/regressions/npy"},
      {"npz", npz_entry, "io/regressions/npz"},
      {"csv", csv_entry, "io/regressions/csv"},
      {"mat", mat_entry, "io/regressions/mat"},
      {"hdf5", hdf5_entry, "io/regressions/hdf5"},
      {"json", json_entry, "io/regressions/json"},
      {"feature_set", feature_set_entry, "io/regressions/feature_set"},
      {"dataset", dataset_entry, "io/regressions/dataset"},
      {"audio", audio_entry, "io/regressions/audio"},
      {"study", study_entry, "io/regressions/study"},
      {"hear_task", hear_task_entry, "io/regressions/hear_task"},
      {"pickle", pickle_entry, "io/regressions/pickle"},
      {"tar", tar_entry, "io/regressions/tar"},
  };
  return all;
}

}  // namespace brainalign::fuzz
