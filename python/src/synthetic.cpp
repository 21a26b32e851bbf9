#include "brainalign/synthetic/synthetic.h"

#include <pybind11/stl.h>

#include "bindings.h"
#include "features.h"

namespace brainalign::python {

void register_synthetic(py::module_& m) {
  m.def(
      "synthesize",
      [](int stimuli, int voxels, int subjects, int repetitions, int layers, int features,
         int latent, double min_reliability, double max_reliability, int folds,
         std::uint64_t seed) {
        synthetic::SyntheticSpec spec;
        spec.stimuli = stimuli;
        spec.voxels = voxels;
        spec.subjects = subjects;
        spec.repetitions = repetitions;
        spec.layers = layers;
        spec.features = features;
        spec.latent = latent;
        spec.min_reliability = min_reliability;
        spec.max_reliability = max_reliability;
        spec.folds = folds;
        spec.seed = seed;
        synthetic::SyntheticStudy study;
        {
          py::gil_scoped_release release;
          study = synthetic::make_synthetic_study(spec);
        }
        py::dict truth;
        truth["driving_layer"] = py::array(py::cast(study.driving_layer));
        truth["reliability"] = py::array(py::cast(study.reliability));
        truth["folds"] = py::array(py::cast(study.fold_of_stimulus));
        py::dict layer_dict = layers_to_dict(study.features);
        return py::make_tuple(std::move(study.dataset), layer_dict, truth);
      },
      py::arg("stimuli") = 165, py::arg("voxels") = 1000, py::arg("subjects") = 8,
      py::arg("repetitions") = 3, py::arg("layers") = 13, py::arg("features") = 768,
      py::arg("latent") = 24, py::arg("min_reliability") = 0.1, py::arg("max_reliability") = 0.9,
      py::arg("folds") = 5, py::arg("seed") = 0,
      R"(A synthetic study with planted ground truth, as `brainalign synth`.

Returns (dataset, layers, truth): a Dataset; a dict of layer name -> (stimuli, features)
array in the dataset's stimulus order; and a dict of arrays: driving_layer and reliability
(per voxel), folds (a balanced fold per stimulus).)");
}

}  // namespace brainalign::python
