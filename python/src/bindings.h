// What the files of the Python extension share: the registration of each concept on the
// module, and the conversions between NumPy arrays and the library's matrices.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "brainalign/base/matrix.h"
#include "brainalign/models/model.h"

namespace brainalign::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_dataset(py::module_& m);
void register_synthetic(py::module_& m);
void register_features(py::module_& m);
void register_score(py::module_& m);
void register_rsa(py::module_& m);
void register_ridge(py::module_& m);
void register_extract(py::module_& m);
void register_study(py::module_& m);
void register_downstream(py::module_& m);

// A model argument: a name (loaded with make_model) or a brainalign.Model.
std::shared_ptr<const models::Model> model_argument(py::handle model);

// A float64 C-contiguous view of an array-like: the caller's buffer itself when it already has
// that layout, a converted copy otherwise.
using InputArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

// `what` names the argument in error messages (InputError, raised as brainalign.InputError).
InputArray as_input_array(py::handle object, const std::string& what, py::ssize_t ndim);
Matrix to_matrix(py::handle object, const std::string& what);
ColMatrix to_col_matrix(py::handle object, const std::string& what);
Vector to_vector(py::handle object, const std::string& what);
std::vector<double> to_doubles(py::handle object, const std::string& what);
std::vector<int> to_ints(py::handle object, const std::string& what);
std::vector<std::string> to_strings(py::handle object, const std::string& what);
// InputError naming the first non-finite entry of a matrix.
void require_finite(const Eigen::Ref<const Matrix>& values, const std::string& what);

// True for str and os.PathLike; path_string gives os.fspath of it.
bool is_path(py::handle object);
std::string path_string(py::handle object);

// NumPy arrays that own a moved-in matrix (no copy on the way out).
py::array to_array(Matrix values);
py::array to_array(ColMatrix values);
py::array to_array(Vector values);

}  // namespace brainalign::python
