#include "brainalign/protocols/score.h"

#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <optional>

#include "bindings.h"
#include "brainalign/base/error.h"
#include "features.h"

namespace brainalign::python {
namespace {

py::object json_to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(json_to_python(v));
      return out;
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it)
        out[py::str(it.key())] = json_to_python(it.value());
      return out;
    }
    default:
      return py::none();
  }
}

// A table as a dict of columns, each a list of the strings the CSV holds.
py::dict table_columns(const protocols::ScoreTable& table) {
  py::dict out;
  for (size_t c = 0; c < table.header.size(); ++c) {
    py::list column;
    for (const auto& row : table.rows) column.append(row[c]);
    out[py::str(table.header[c])] = column;
  }
  return out;
}

// (n_splits, n_stimuli) of booleans or 0/1 (true: train), or of 'train'/'test' strings.
void set_splits(py::handle splits, const data::BrainDataset& dataset, protocols::ScoreOptions& o) {
  const py::array array = py::array::ensure(splits);
  if (!array || array.ndim() != 2)
    throw InputError("splits: expected a (splits, stimuli) array, or a CSV path");
  if (array.shape(1) != static_cast<py::ssize_t>(dataset.stimuli.size()))
    throw InputError("splits: " + std::to_string(array.shape(1)) + " columns for " +
                     std::to_string(dataset.stimuli.size()) + " dataset stimuli");
  const char kind = array.dtype().kind();
  const bool labels = kind == 'U' || kind == 'O';
  const InputArray numbers = labels ? InputArray() : as_input_array(array, "splits", 2);
  const py::list rows = labels ? py::list(array.attr("tolist")()) : py::list();
  std::vector<std::vector<int>> train(static_cast<size_t>(array.shape(0)));
  std::vector<std::vector<int>> test(train.size());
  for (py::ssize_t k = 0; k < array.shape(0); ++k) {
    for (py::ssize_t s = 0; s < array.shape(1); ++s) {
      const std::string where = "splits: split " + std::to_string(k) + ", stimulus '" +
                                dataset.stimuli[static_cast<size_t>(s)] + "': ";
      bool is_train = false;
      if (labels) {
        const std::string label =
            py::str(rows[static_cast<size_t>(k)].cast<py::list>()[static_cast<size_t>(s)]);
        if (label != "train" && label != "test")
          throw InputError(where + "'" + label + "' is neither 'train' nor 'test'");
        is_train = label == "train";
      } else {
        const double v = *numbers.data(k, s);
        if (v != 0.0 && v != 1.0) throw InputError(where + "expected 0/1 or a boolean");
        is_train = v == 1.0;
      }
      (is_train ? train : test)[static_cast<size_t>(k)].push_back(static_cast<int>(s));
    }
  }
  o.train_splits = std::move(train);
  o.test_splits = std::move(test);
}

// A Dataset argument, or the dataset a name or path names (loaded into `loaded`).
const data::BrainDataset& dataset_of(py::object dataset_arg,
                                     std::optional<data::BrainDataset>& loaded) {
  if (is_path(dataset_arg)) {
    const std::string where = path_string(dataset_arg);
    py::gil_scoped_release release;
    loaded = data::load_dataset(where);
    return *loaded;
  }
  if (!py::isinstance<data::BrainDataset>(dataset_arg))
    throw InputError("dataset: expected a brainalign.Dataset, a dataset name or a path");
  return dataset_arg.cast<const data::BrainDataset&>();
}

py::dict ceiling_binding(py::object dataset_arg, const std::string& protocol,
                         std::optional<std::string> roi, const std::string& voxel_selection) {
  std::optional<data::BrainDataset> loaded;
  const data::BrainDataset& dataset = dataset_of(dataset_arg, loaded);
  const protocols::Protocol p = protocols::parse_protocol(protocol);
  const protocols::VoxelSelection v = protocols::parse_voxel_selection(voxel_selection);
  protocols::NoiseCeilingResult result;
  {
    py::gil_scoped_release release;
    result = protocols::rsa_ceiling(dataset, roi.value_or(""), p, v);
  }
  return json_to_python(protocols::to_json(result));
}

py::dict score_binding(py::object features, py::object dataset_arg, const std::string& analysis,
                       const std::string& protocol, py::object stimuli, py::object folds,
                       py::object splits, std::optional<std::string> roi,
                       std::optional<std::string> rsa_method, const std::string& voxel_selection,
                       std::optional<int> threads, bool detail) {
  protocols::ScoreOptions o;
  o.analysis = protocols::parse_analysis(analysis);
  o.protocol = protocols::parse_protocol(protocol);
  if (rsa_method) o.rsa_method = protocols::parse_rsa_method(*rsa_method);
  o.voxel_selection = protocols::parse_voxel_selection(voxel_selection);
  o.roi = roi.value_or("");
  o.threads = threads.value_or(0);
  o.detail = detail;

  std::optional<data::BrainDataset> loaded;
  const data::BrainDataset& dataset = dataset_of(dataset_arg, loaded);

  features::FeatureSet fs;
  if (is_path(features)) {
    if (!stimuli.is_none()) throw InputError("stimuli: a feature set file names its own stimuli");
    const std::string where = path_string(features);
    py::gil_scoped_release release;
    fs = features::load_feature_set(where);
  } else {
    fs = to_feature_set(features, stimuli, "features");
  }

  if (is_path(folds)) {
    o.folds_csv = path_string(folds);
  } else if (!folds.is_none()) {
    o.folds = to_ints(folds, "folds");
  }
  if (is_path(splits)) {
    o.splits_csv = path_string(splits);
  } else if (!splits.is_none()) {
    set_splits(splits, dataset, o);
  }

  protocols::ScoreResult result;
  {
    py::gil_scoped_release release;
    result = protocols::score(fs, dataset, o);
  }

  py::dict out(json_to_python(protocols::to_json(result.summary)));
  Vector scores(static_cast<Eigen::Index>(result.targets.size()));
  py::list ids;
  for (size_t r = 0; r < result.targets.size(); ++r) {
    ids.append(result.targets[r].id);
    scores(static_cast<Eigen::Index>(r)) = result.targets[r].score;
  }
  out["voxel_ids"] = ids;
  out["voxel_scores"] = to_array(std::move(scores));
  out["voxels"] = table_columns(protocols::targets_table(result.targets));
  if (detail) out["detail"] = table_columns(result.detail);
  return out;
}

}  // namespace

void register_score(py::module_& m) {
  m.def("score", &score_binding, py::arg("features"), py::arg("dataset"), py::arg("analysis"),
        py::arg("protocol") = "pepino2025", py::arg("stimuli") = py::none(),
        py::arg("folds") = py::none(), py::arg("splits") = py::none(), py::arg("roi") = py::none(),
        py::arg("rsa_method") = py::none(), py::arg("voxel_selection") = "published",
        py::arg("threads") = py::none(), py::arg("detail") = false,
        R"(Scores one model's feature set against one dataset, as `brainalign score`.

features: dict of layer name -> (stimuli, features) array in layer order, or a feature-set
path. dataset: a Dataset, or a name or path as on the command line. analysis: voxelwise,
components or rsa. protocol: pepino2025 or tuckute2023. stimuli: the feature rows' names
(default: the dataset's stimuli in order). folds: a fold per dataset stimulus, or a
`stimulus,fold` CSV. splits: a (splits, stimuli) array, True/1/'train' meaning train, or a
`stimulus,split0,...` CSV. roi: one ROI's voxels only. rsa_method: xval or layerwise
(default: what the protocol's paper reports, layerwise for pepino2025). voxel_selection
(pepino2025): published (every voxel, as the 2025 code) or cleaned (the voxels measured in
every scan, NaN voxels left out of every RDM).
threads: worker threads (default: every core). detail: also return the detail table.

Returns what summary.json holds, plus voxel_ids, voxel_scores (an array), voxels (the
voxels.csv columns) and, with detail, detail (the detail.csv columns).)");
  m.def("ceiling", &ceiling_binding, py::arg("dataset"), py::arg("protocol") = "pepino2025",
        py::arg("roi") = py::none(), py::arg("voxel_selection") = "published",
        R"(The RSA noise ceiling of a dataset, as `brainalign ceiling`.

dataset: a Dataset, or a name or path as on the command line. protocol: pepino2025 (each
subject's RDM against the mean RDM of the others) or tuckute2023 (the same per split on the
test sounds, median over splits). roi: one ROI's voxels; for pepino2025 with the published
voxel selection the 2025 code ignores it and so does this (roi_applied is then False).
voxel_selection (pepino2025): published (each subject's RDM from all its voxels; a subject
with a NaN voxel is dropped) or cleaned (voxels measured in every scan, NaN voxels left out,
the ROI applied).

Returns what summary.json holds: per_subject, value, sem, and n_subjects_dropped (pepino2025).)");
}

}  // namespace brainalign::python
