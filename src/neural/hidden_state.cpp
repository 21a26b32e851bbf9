#include "brainalign/neural/hidden_state.h"

#include "brainalign/base/error.h"

namespace brainalign::neural {

const HiddenState& find_hidden_state(const std::vector<HiddenState>& states,
                                     const std::string& name) {
  std::string names;
  for (const HiddenState& state : states) {
    if (state.name == name) return state;
    names += (names.empty() ? "" : ", ") + state.name;
  }
  throw InputError("no hidden state '" + name + "'; the model has " + names);
}

}  // namespace brainalign::neural
