// The ridge solver's pieces for brainalign.Ridge / brainalign.RidgeCV (python/brainalign/
// ridge.py), which add scikit-learn's estimator conventions on top.
#include "brainalign/align/ridge.h"

#include <pybind11/stl.h>

#include <cmath>

#include "bindings.h"
#include "brainalign/base/error.h"

namespace brainalign::python {
namespace {

struct Problem {
  Matrix X;
  ColMatrix Y;
};

Problem read_problem(py::handle X, py::handle Y) {
  Problem p{to_matrix(X, "X"), to_col_matrix(Y, "Y")};
  require_finite(p.X, "X");
  require_finite(p.Y, "Y");
  if (p.X.rows() != p.Y.rows())
    throw InputError("X has " + std::to_string(p.X.rows()) + " samples but Y has " +
                     std::to_string(p.Y.rows()));
  if (p.X.rows() < 2) throw InputError("X: ridge needs at least two samples");
  return p;
}

std::vector<double> penalties(py::handle alphas) {
  std::vector<double> out = to_doubles(alphas, "alphas");
  if (out.empty()) throw InputError("alphas: no penalty given");
  for (double a : out)
    if (!(a > 0) || !std::isfinite(a))
      throw InputError("alphas: penalties must be positive and finite");
  return out;
}

py::tuple fit(py::handle X, py::handle Y, py::handle alpha_per_target) {
  const Problem p = read_problem(X, Y);
  const std::vector<double> alphas = penalties(alpha_per_target);
  align::RidgeCoefficients c;
  {
    py::gil_scoped_release release;
    c = align::ridge_coefficients(p.X, p.Y, alphas);
  }
  return py::make_tuple(to_array(std::move(c.weights)), to_array(Vector(c.intercepts.transpose())));
}

py::tuple loo(py::handle X, py::handle Y, py::handle alpha_grid) {
  const Problem p = read_problem(X, Y);
  const std::vector<double> alphas = penalties(alpha_grid);
  align::LooSelection selection;
  {
    py::gil_scoped_release release;
    const align::RidgeSpectrum spectrum = align::decompose_ridge(p.X);
    selection =
        align::select_penalty_loo(spectrum, p.Y.rowwise() - p.Y.colwise().mean(), alphas, true);
  }
  return py::make_tuple(selection.best, to_array(std::move(selection.mse)));
}

py::array path_predictions(py::handle X, py::handle Y, py::handle train_rows, py::handle test_rows,
                           py::handle alpha_grid) {
  const Problem p = read_problem(X, Y);
  const std::vector<double> alphas = penalties(alpha_grid);
  const std::vector<int> train = to_ints(train_rows, "train");
  const std::vector<int> test = to_ints(test_rows, "test");
  for (int r : train)
    if (r < 0 || r >= p.X.rows())
      throw InputError("train: row " + std::to_string(r) + " out of range");
  for (int r : test)
    if (r < 0 || r >= p.X.rows())
      throw InputError("test: row " + std::to_string(r) + " out of range");
  const auto A = static_cast<py::ssize_t>(alphas.size());
  const auto m = static_cast<Eigen::Index>(test.size());
  const Eigen::Index T = p.Y.cols();
  py::array_t<double> out({A, static_cast<py::ssize_t>(m), static_cast<py::ssize_t>(T)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;
    const align::RidgeSpectrum s = align::decompose_ridge(p.X, train, test);
    ColMatrix Y_train(static_cast<Eigen::Index>(train.size()), T);
    for (size_t i = 0; i < train.size(); ++i)
      Y_train.row(static_cast<Eigen::Index>(i)) = p.Y.row(train[i]);
    const Eigen::RowVectorXd mean = Y_train.colwise().mean();
    const ColMatrix Z = s.basis.transpose() * (Y_train.rowwise() - mean);
    for (py::ssize_t a = 0; a < A; ++a) {
      Eigen::Map<Matrix> prediction(data + a * m * T, m, T);
      prediction = s.test_factor *
                   (align::ridge_shrinkage(s, alphas[static_cast<size_t>(a)]).asDiagonal() * Z);
      prediction.rowwise() += mean;
    }
  }
  return out;
}

}  // namespace

void register_ridge(py::module_& m) {
  m.def("_ridge_fit", &fit, py::arg("X"), py::arg("Y"), py::arg("alpha_per_target"),
        "(coef (features x targets), intercept (targets)) of a ridge fit per target.");
  m.def("_ridge_loo", &loo, py::arg("X"), py::arg("Y"), py::arg("alphas"),
        "(best alpha index per target, mean squared leave-one-out error (alphas x targets)).");
  m.def("_ridge_path_predictions", &path_predictions, py::arg("X"), py::arg("Y"), py::arg("train"),
        py::arg("test"), py::arg("alphas"),
        "Predictions (alphas x test rows x targets) of fits on the train rows, one "
        "decomposition for every penalty.");
}

}  // namespace brainalign::python
