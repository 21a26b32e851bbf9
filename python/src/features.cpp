#include "features.h"

#include <pybind11/stl.h>

#include "brainalign/base/error.h"

namespace brainalign::python {

features::FeatureSet to_feature_set(py::handle layers, py::handle stimuli,
                                    const std::string& source) {
  if (!py::hasattr(layers, "items"))
    throw InputError(source + ": expected a dict of layer name -> (stimuli, features) array");
  features::FeatureSet fs;
  fs.source = source;
  if (!stimuli.is_none()) fs.stimuli = to_strings(stimuli, source + ", stimuli");
  for (py::handle item : layers.attr("items")()) {
    const auto pair = item.cast<py::tuple>();
    if (!py::isinstance<py::str>(pair[0]))
      throw InputError(source + ": layer names must be strings");
    const std::string name = pair[0].cast<std::string>();
    fs.layers.push_back({name, to_matrix(pair[1], source + ", layer '" + name + "'")});
  }
  if (fs.layers.empty()) throw InputError(source + ": holds no layer");
  return fs;
}

py::dict layers_to_dict(features::FeatureSet& features) {
  py::dict out;
  for (auto& layer : features.layers) out[py::str(layer.name)] = to_array(std::move(layer.values));
  return out;
}

void register_features(py::module_& m) {
  m.def(
      "load_features",
      [](py::object path) {
        const std::string where = path_string(path);
        features::FeatureSet fs;
        {
          py::gil_scoped_release release;
          fs = features::load_feature_set(where);
        }
        py::dict layers = layers_to_dict(fs);
        return py::make_tuple(layers, fs.stimuli);
      },
      py::arg("path"),
      R"(Reads a feature set (.npz, .h5, or a folder of <layer>.npy).

Returns (layers, stimuli): a dict of layer name -> (stimuli, features) array in layer order,
and the row names (empty when the file names none).)");
  m.def(
      "save_features",
      [](py::object path, py::object layers, py::object stimuli) {
        const std::string where = path_string(path);
        // The library writes NPZ only; another suffix would not read back as what it names.
        if (!where.ends_with(".npz"))
          throw InputError(where + ": feature sets are written as .npz");
        const features::FeatureSet fs = to_feature_set(layers, stimuli, where);
        py::gil_scoped_release release;
        features::save_feature_set(where, fs);
      },
      py::arg("path"), py::arg("layers"), py::arg("stimuli") = py::none(),
      "Writes a feature set (format version 1) as an .npz archive, rows named by stimuli.");
}

}  // namespace brainalign::python
