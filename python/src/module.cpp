// brainalign._brainalign: the library's calls for Python, re-exported by the package
// `brainalign`. Computation runs without the GIL.
#include "bindings.h"
#include "brainalign/base/plugins.h"
#include "brainalign/features/published_activations.h"

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
  python::register_downstream(m);
  // The libtorch model families and probes come from the neural plugin, opened on first use.
  const auto plugin = brainalign::plugin_path("neural");
  m.attr("has_torch") = plugin.has_value() && std::filesystem::exists(*plugin);
}
