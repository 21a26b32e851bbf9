// The neural module's registrations, and the entry point of the neural plugin,
// libbrainalign_neural.so (base/plugins.h), which runs them when opened.
#include "brainalign/neural/model_families.h"
#include "brainalign/neural/probes/probe_training.h"
#include "brainalign/neural/register.h"

namespace brainalign::neural {

void register_all() {
  register_model_families();
  register_probe_trainer();
}

}  // namespace brainalign::neural

extern "C" void brainalign_neural_plugin_init() { brainalign::neural::register_all(); }
