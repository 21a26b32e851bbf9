#include "bindings.h"
#include "brainalign/base/error.h"

namespace brainalign::python {

void register_errors(py::module_& m) {
  // Subclasses of the built-in exceptions, so `except ValueError` / `except OSError` catch them.
  py::register_exception<InputError>(m, "InputError", PyExc_ValueError).doc() =
      "Something given (an array, a file, an option) is not what brainalign can use.";
  py::register_exception<IoError>(m, "IoError", PyExc_OSError).doc() =
      "Reading or writing a file failed for a reason outside its content.";
}

}  // namespace brainalign::python
