// What the model ports return: every intermediate representation, named after the module of
// the reference implementation that produces it.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace brainalign::neural {

struct HiddenState {
  std::string name;  // the reference module, e.g. "encoder.layers.3"
  at::Tensor value;  // float32, batch dimension first
};

// The state called `name`; throws InputError listing the available names when absent.
const HiddenState& find_hidden_state(const std::vector<HiddenState>& states,
                                     const std::string& name);

}  // namespace brainalign::neural
