// brainalign._brainalign: the library's calls for Python, re-exported by the package
// `brainalign`. Computation runs without the GIL.
#include "bindings.h"
#include "brainalign/features/published_activations.h"
#ifdef BRAINALIGN_WITH_TORCH
#include "brainalign/neural/model_families.h"
#endif

PYBIND11_MODULE(_brainalign, m) {
  namespace python = brainalign::python;
  m.doc() =
      "Native core of brainalign: scoring, datasets, feature sets, RDMs/RSA, ridge, models and "
      "extraction.";
  m.attr("__version__") = BRAINALIGN_VERSION;
  python::register_errors(m);
  python::register_dataset(m);
  python::register_synthetic(m);
  python::register_features(m);
  python::register_score(m);
  python::register_rsa(m);
  python::register_ridge(m);
  python::register_extract(m);
  python::register_study(m);
  // Catalogued models that run from the 2023 release's published activations.
  brainalign::features::register_published_activations();
#ifdef BRAINALIGN_WITH_TORCH
  python::register_downstream(m);
  brainalign::neural::register_model_families();
#endif
#ifdef BRAINALIGN_WITH_TORCH
  m.attr("has_torch") = true;
#else
  m.attr("has_torch") = false;
#endif
}
