#include <cmath>
#include <limits>

#include "bindings.h"
#include "brainalign/base/error.h"

namespace brainalign::python {

InputArray as_input_array(py::handle object, const std::string& what, py::ssize_t ndim) {
  InputArray array = InputArray::ensure(object);
  if (!array) {
    PyErr_Clear();
    throw InputError(what + ": expected an array of numbers, got " +
                     std::string(py::str(py::type::of(object).attr("__name__"))));
  }
  if (array.ndim() != ndim)
    throw InputError(what + ": expected a " + std::to_string(ndim) + "-D array, got " +
                     std::to_string(array.ndim()) + "-D");
  return array;
}

namespace {

Eigen::Map<const Matrix> map_matrix(const InputArray& array) {
  return {array.data(), static_cast<Eigen::Index>(array.shape(0)),
          static_cast<Eigen::Index>(array.shape(1))};
}

}  // namespace

Matrix to_matrix(py::handle object, const std::string& what) {
  return map_matrix(as_input_array(object, what, 2));
}

ColMatrix to_col_matrix(py::handle object, const std::string& what) {
  return map_matrix(as_input_array(object, what, 2));
}

Vector to_vector(py::handle object, const std::string& what) {
  const InputArray array = as_input_array(object, what, 1);
  return Eigen::Map<const Vector>(array.data(), static_cast<Eigen::Index>(array.shape(0)));
}

std::vector<double> to_doubles(py::handle object, const std::string& what) {
  const InputArray array = as_input_array(object, what, 1);
  return {array.data(), array.data() + array.shape(0)};
}

std::vector<int> to_ints(py::handle object, const std::string& what) {
  const InputArray array = as_input_array(object, what, 1);
  std::vector<int> out;
  out.reserve(static_cast<size_t>(array.shape(0)));
  for (py::ssize_t i = 0; i < array.shape(0); ++i) {
    const double v = array.data()[i];
    if (!(std::abs(v) < std::numeric_limits<int>::max()) || v != std::floor(v))
      throw InputError(what + ": entry " + std::to_string(i) + " is not an integer");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

std::vector<std::string> to_strings(py::handle object, const std::string& what) {
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InputError(what + ": expected a sequence of strings");
  std::vector<std::string> out;
  for (py::handle item : object) {
    if (!py::isinstance<py::str>(item))
      throw InputError(what + ": entry " + std::to_string(out.size()) + " is not a string");
    out.push_back(item.cast<std::string>());
  }
  return out;
}

void require_finite(const Eigen::Ref<const Matrix>& values, const std::string& what) {
  for (Eigen::Index i = 0; i < values.rows(); ++i)
    for (Eigen::Index j = 0; j < values.cols(); ++j)
      if (!std::isfinite(values(i, j)))
        throw InputError(what + ": non-finite value at row " + std::to_string(i) + ", column " +
                         std::to_string(j));
}

bool is_path(py::handle object) {
  return py::isinstance<py::str>(object) ||
         py::isinstance(object, py::module_::import("os").attr("PathLike"));
}

std::string path_string(py::handle object) {
  return py::str(py::module_::import("os").attr("fspath")(object)).cast<std::string>();
}

namespace {

template <typename Owned>
py::array owning_array(Owned values, std::vector<py::ssize_t> shape,
                       std::vector<py::ssize_t> strides) {
  auto* owned = new Owned(std::move(values));
  py::capsule base(owned, [](void* p) { delete static_cast<Owned*>(p); });
  return py::array_t<double>(std::move(shape), std::move(strides), owned->data(), base);
}

constexpr py::ssize_t kDouble = sizeof(double);

}  // namespace

py::array to_array(Matrix values) {
  const py::ssize_t rows = values.rows(), cols = values.cols();
  return owning_array(std::move(values), {rows, cols}, {cols * kDouble, kDouble});
}

py::array to_array(ColMatrix values) {
  const py::ssize_t rows = values.rows(), cols = values.cols();
  return owning_array(std::move(values), {rows, cols}, {kDouble, rows * kDouble});
}

py::array to_array(Vector values) {
  const py::ssize_t n = values.size();
  return owning_array(std::move(values), {n}, {kDouble});
}

}  // namespace brainalign::python
