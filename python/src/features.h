// Feature sets between Python (a dict of layer name -> (stimuli, features) array, in layer
// order) and the library.
#pragma once

#include "bindings.h"
#include "brainalign/features/feature_set.h"

namespace brainalign::python {

// stimuli: None (rows in the dataset's order) or one name per row.
features::FeatureSet to_feature_set(py::handle layers, py::handle stimuli,
                                    const std::string& source);
py::dict layers_to_dict(features::FeatureSet& features);  // moves the layers' matrices out

}  // namespace brainalign::python
