#include <pybind11/stl.h>

#include "bindings.h"
#include "brainalign/base/error.h"
#include "brainalign/data/brain_dataset.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/models/model_catalog.h"

namespace brainalign::python {
namespace {

// (R, S, V), a list of R (S, V) arrays, or one (S, V) array (a single repetition).
std::vector<ColMatrix> repetitions_from(py::handle responses) {
  std::vector<ColMatrix> out;
  if (py::isinstance<py::list>(responses) || py::isinstance<py::tuple>(responses)) {
    for (py::handle r : responses)
      out.push_back(to_col_matrix(r, "responses[" + std::to_string(out.size()) + "]"));
    return out;
  }
  const InputArray array = InputArray::ensure(responses);
  if (array && array.ndim() == 3) {
    const auto S = static_cast<Eigen::Index>(array.shape(1));
    const auto V = static_cast<Eigen::Index>(array.shape(2));
    for (py::ssize_t r = 0; r < array.shape(0); ++r)
      out.emplace_back(Eigen::Map<const Matrix>(array.data(r, 0, 0), S, V));
    return out;
  }
  PyErr_Clear();
  out.push_back(to_col_matrix(responses, "responses"));
  return out;
}

data::BrainDataset make_dataset(py::handle responses, py::handle stimuli, py::handle voxel_ids,
                                py::handle subjects, py::handle rois, const std::string& name,
                                bool components) {
  data::BrainDataset d;
  d.name = name;
  d.source = "dataset '" + name + "'";
  d.stimuli = to_strings(stimuli, "stimuli");
  d.repetitions = repetitions_from(responses);
  d.components = components;
  const auto ids = to_strings(voxel_ids, "voxel_ids");
  const auto subject_of =
      subjects.is_none() ? std::vector<std::string>(ids.size()) : to_strings(subjects, "subjects");
  const auto roi_of =
      rois.is_none() ? std::vector<std::string>(ids.size()) : to_strings(rois, "rois");
  if (subject_of.size() != ids.size() || roi_of.size() != ids.size())
    throw InputError(d.source + ": voxel_ids, subjects and rois differ in length");
  for (size_t t = 0; t < ids.size(); ++t) d.targets.push_back({ids[t], subject_of[t], roi_of[t]});
  if (d.repetitions.empty()) throw InputError(d.source + ": responses hold no repetition");
  for (size_t r = 0; r < d.repetitions.size(); ++r) {
    const ColMatrix& m = d.repetitions[r];
    if (m.rows() != d.n_stimuli() || m.cols() != d.n_targets())
      throw InputError(d.source + ": repetition " + std::to_string(r) + " is " +
                       std::to_string(m.rows()) + " x " + std::to_string(m.cols()) + ", expected " +
                       std::to_string(d.n_stimuli()) + " stimuli x " +
                       std::to_string(d.n_targets()) + " voxels");
  }
  return d;
}

py::array responses_of(const data::BrainDataset& d) {
  const auto R = static_cast<py::ssize_t>(d.repetitions.size());
  py::array_t<double> out(
      {R, static_cast<py::ssize_t>(d.n_stimuli()), static_cast<py::ssize_t>(d.n_targets())});
  for (py::ssize_t r = 0; r < R; ++r) {
    Eigen::Map<Matrix> slice(out.mutable_data(r, 0, 0), d.n_stimuli(), d.n_targets());
    slice = d.repetitions[static_cast<size_t>(r)];
  }
  return out;
}

template <typename Field>
std::vector<std::string> target_field(const data::BrainDataset& d, Field field) {
  std::vector<std::string> out;
  for (const auto& t : d.targets) out.push_back(t.*field);
  return out;
}

}  // namespace

void register_dataset(py::module_& m) {
  py::class_<data::BrainDataset>(m, "Dataset", R"(Brain responses to a set of stimuli.

Voxels of listeners with repetitions, or the six NH2015 components. Build one from arrays,
or read one with `load_dataset`.)")
      .def(py::init(&make_dataset), py::arg("responses"), py::arg("stimuli"), py::arg("voxel_ids"),
           py::arg("subjects") = py::none(), py::arg("rois") = py::none(),
           py::arg("name") = "python", py::arg("components") = false,
           R"(responses: (repetitions, stimuli, voxels) array, a list of (stimuli, voxels) arrays,
or one (stimuli, voxels) array; NaN marks a missing response. stimuli: row names.
voxel_ids, subjects, rois: one entry per voxel (column).)")
      .def_readonly("name", &data::BrainDataset::name)
      .def_readonly("source", &data::BrainDataset::source, "Where it was read from")
      .def_readonly("stimuli", &data::BrainDataset::stimuli, "Stimulus names in row order")
      .def_readonly("components", &data::BrainDataset::components,
                    "True when the targets are NH2015 components")
      .def_property_readonly("responses", &responses_of,
                             "(repetitions, stimuli, voxels) array (a copy)")
      .def_property_readonly(
          "voxel_ids",
          [](const data::BrainDataset& d) { return target_field(d, &data::Target::id); })
      .def_property_readonly(
          "voxel_subjects",
          [](const data::BrainDataset& d) { return target_field(d, &data::Target::subject); },
          "Subject of each voxel")
      .def_property_readonly(
          "voxel_rois",
          [](const data::BrainDataset& d) { return target_field(d, &data::Target::roi); },
          "ROI label of each voxel (empty when unknown)")
      .def_property_readonly("subjects", &data::BrainDataset::subjects,
                             "Subjects in order of first appearance")
      .def_property_readonly(
          "folds",
          [](const data::BrainDataset& d) -> py::object {
            if (d.folds.empty()) return py::none();
            return py::cast(d.folds);
          },
          "The dataset's own fold per stimulus (a synthetic dataset carries its folds, which "
          "score() uses when given none); None when it has none")
      .def_property_readonly("n_stimuli", &data::BrainDataset::n_stimuli)
      .def_property_readonly("n_voxels", &data::BrainDataset::n_targets)
      .def_property_readonly("n_repetitions",
                             [](const data::BrainDataset& d) { return d.repetitions.size(); })
      .def(
          "mean_response", [](const data::BrainDataset& d) { return to_array(d.mean_response()); },
          "(stimuli, voxels) mean over repetitions; NaN where any repetition is NaN")
      .def("select_roi", &data::BrainDataset::select_roi, py::arg("roi"),
           "The voxels of one ROI (Primary, Anterior, Lateral, Posterior)")
      .def(
          "save",
          [](const data::BrainDataset& d, py::object folder) {
            const std::string path = path_string(folder);
            py::gil_scoped_release release;
            data::save_generic_dataset(path, d);
          },
          py::arg("folder"),
          "Writes the generic layout: responses.npy, voxels.csv, stimuli.txt (and folds.csv when "
          "the dataset carries folds)")
      .def("__repr__", [](const data::BrainDataset& d) {
        return "<brainalign.Dataset '" + d.name + "': " + std::to_string(d.n_stimuli()) +
               " stimuli x " + std::to_string(d.n_targets()) +
               (d.components ? " components" : " voxels") + " x " +
               std::to_string(d.repetitions.size()) + " repetitions>";
      });

  m.def(
      "load_dataset",
      [](py::object name_or_path) {
        const std::string where = path_string(name_or_path);
        py::gil_scoped_release release;
        return data::load_dataset(where);
      },
      py::arg("name_or_path"),
      R"(Loads a dataset by name (nh2015comp, nh2015, b2021, under $BRAINALIGN_DATA) or path
(a components.mat, a release folder, or a generic folder), as `brainalign score --dataset`.)");
  m.def(
      "data_root", [] { return data::data_root().string(); },
      "Folder holding the public data: $BRAINALIGN_DATA, else the per-user cache");
  m.def(
      "public_datasets",
      [] {
        py::list out;
        for (const auto& d : data::public_datasets())
          out.append(py::dict(py::arg("name") = d.name, py::arg("description") = d.description));
        return out;
      },
      "The public data sets `fetch` knows, as `brainalign fetch --list`.");
  m.def(
      "fetch",
      [](const std::string& name, const std::string& mirror) {
        data::FetchOptions options;
        options.mirror = mirror;
        py::gil_scoped_release release;
        if (models::find_published_model(name) != nullptr)
          return models::fetch_published_model(name, options).string();
        return data::fetch_dataset(name, options).string();
      },
      py::arg("name"), py::arg("mirror") = "",
      R"(Downloads a public data set into data_root(), or a published model (a name of
published_models()) into its folder under the models root, unless it is there (verified by
SHA-256, resumable), as `brainalign fetch NAME`; returns the data root or the model's folder.
mirror: a base URL serving the per-user cache's layout instead of the pinned sources (default:
$BRAINALIGN_MIRROR).)");
}

}  // namespace brainalign::python
