#include "brainalign/align/rsa.h"

#include <pybind11/stl.h>

#include "bindings.h"
#include "brainalign/align/rdm.h"
#include "brainalign/base/error.h"

namespace brainalign::python {
namespace {

Matrix finite_matrix(py::handle object, const std::string& what) {
  Matrix m = to_matrix(object, what);
  require_finite(m, what);
  return m;
}

Matrix square_matrix(py::handle object, const std::string& what) {
  Matrix m = to_matrix(object, what);
  if (m.rows() != m.cols())
    throw InputError(what + ": an RDM is square, got " + std::to_string(m.rows()) + " x " +
                     std::to_string(m.cols()));
  return m;
}

std::vector<Matrix> square_matrices(py::handle objects, const std::string& what) {
  if (!py::isinstance<py::list>(objects) && !py::isinstance<py::tuple>(objects))
    throw InputError(what + ": expected a list of RDMs");
  std::vector<Matrix> out;
  for (py::handle o : objects)
    out.push_back(square_matrix(o, what + "[" + std::to_string(out.size()) + "]"));
  if (out.empty()) throw InputError(what + ": the list is empty");
  for (const auto& m : out)
    if (m.rows() != out.front().rows()) throw InputError(what + ": the RDMs differ in size");
  return out;
}

py::dict crossvalidated_dict(align::CrossValidatedRsa r) {
  py::dict out;
  out["score"] = r.score;
  out["chosen_layers"] = r.chosen_layers;
  out["assembled_rdm"] = to_array(std::move(r.assembled_rdm));
  return out;
}

}  // namespace

void register_rsa(py::module_& m) {
  m.def(
      "rdm",
      [](py::handle responses) {
        const Matrix z = finite_matrix(responses, "responses");
        Matrix out;
        {
          py::gil_scoped_release release;
          out = align::rdm(z);
        }
        return to_array(std::move(out));
      },
      py::arg("responses"),
      R"(RDM of pepino2025 for a (stimuli, features) array: each column z-scored across stimuli,
then 1 - the Pearson correlation between rows. Returns a (stimuli, stimuli) array.)");

  m.def(
      "compare_rdms",
      [](py::handle a, py::handle b, py::handle mask) {
        const Matrix ma = square_matrix(a, "a");
        const Matrix mb = square_matrix(b, "b");
        if (ma.rows() != mb.rows()) throw InputError("compare_rdms: the RDMs differ in size");
        if (mask.is_none()) {
          py::gil_scoped_release release;
          return align::compare_rdms(ma, mb);
        }
        const auto cells =
            py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(mask);
        if (!cells || cells.ndim() != 2 || cells.shape(0) != ma.rows() ||
            cells.shape(1) != ma.cols())
          throw InputError("mask: expected a boolean array of the RDMs' shape");
        const align::CellMask cell_mask =
            Eigen::Map<const align::CellMask>(cells.data(), ma.rows(), ma.cols());
        py::gil_scoped_release release;
        return align::compare_rdms(ma, mb, cell_mask);
      },
      py::arg("a"), py::arg("b"), py::arg("mask") = py::none(),
      "Spearman correlation of the strict upper triangles of two RDMs (only the cells where "
      "mask is true, if given).");

  m.def(
      "rsa_crossvalidated",
      [](py::handle brain_rdm, py::handle layer_rdms, py::handle folds) -> py::object {
        const auto layers = square_matrices(layer_rdms, "layer_rdms");
        const auto fold = to_ints(folds, "folds");
        if (py::isinstance<py::list>(brain_rdm) || py::isinstance<py::tuple>(brain_rdm)) {
          const auto brains = square_matrices(brain_rdm, "brain_rdm");
          std::vector<align::CrossValidatedRsa> results;
          {
            py::gil_scoped_release release;
            results = align::rsa_crossvalidated(brains, layers, fold);
          }
          py::list out;
          for (auto& r : results) out.append(crossvalidated_dict(std::move(r)));
          return out;
        }
        const Matrix brain = square_matrix(brain_rdm, "brain_rdm");
        align::CrossValidatedRsa r;
        {
          py::gil_scoped_release release;
          r = align::rsa_crossvalidated(brain, layers, fold);
        }
        return crossvalidated_dict(std::move(r));
      },
      py::arg("brain_rdm"), py::arg("layer_rdms"), py::arg("folds"),
      R"(Cross-validated layer selection (pepino2025 "rdm_xval").

brain_rdm: one RDM, or a list (one per subject: a list of results comes back). layer_rdms:
list of RDMs in layer order. folds: a fold label per stimulus. Returns a dict: score,
chosen_layers (per fold pair), assembled_rdm.)");

  m.def(
      "rsa_layerwise",
      [](py::handle brain_rdms, py::handle layer_rdms) {
        const auto brains = square_matrices(brain_rdms, "brain_rdms");
        const auto layers = square_matrices(layer_rdms, "layer_rdms");
        align::LayerwiseRsa r;
        {
          py::gil_scoped_release release;
          r = align::rsa_layerwise(brains, layers);
        }
        py::dict out;
        out["per_subject"] = to_array(std::move(r.per_subject));
        out["layer_mean"] = to_array(std::move(r.layer_mean));
        out["layer_std"] = to_array(std::move(r.layer_std));
        out["best_layer"] = r.best_layer;
        out["best_mean"] = r.best_mean;
        out["best_std"] = r.best_std;
        out["best_sem"] = r.best_sem;
        return out;
      },
      py::arg("brain_rdms"), py::arg("layer_rdms"),
      R"(Spearman(brain RDM, layer RDM) for every subject and layer (pepino2025 "rdm_layerwise").

Returns a dict: per_subject (subjects x layers), layer_mean, layer_std, best_layer,
best_mean, best_std, best_sem.)");

  m.def(
      "rsa_noise_ceiling",
      [](py::handle subject_rdms) {
        const auto subjects = square_matrices(subject_rdms, "subject_rdms");
        align::NoiseCeiling c;
        {
          py::gil_scoped_release release;
          c = align::rsa_noise_ceiling(subjects);
        }
        py::dict out;
        out["kept_subjects"] = c.kept_subjects;
        out["per_subject"] = to_array(std::move(c.per_subject));
        out["mean"] = c.summary.mean;
        out["sem"] = c.summary.error;
        return out;
      },
      py::arg("subject_rdms"),
      R"(Leave-one-subject-out RSA noise ceiling: each kept subject's RDM against the mean RDM of
the others. Returns a dict: kept_subjects, per_subject, mean, sem.)");
}

}  // namespace brainalign::python
