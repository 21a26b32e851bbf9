// The entry point of the neural plugin, libbrainalign_neural.so (base/plugins.h): opening it
// registers the libtorch model families and probe training with the core's registries.
#include "brainalign/neural/model_families.h"
#include "brainalign/neural/probes/probe_training.h"

extern "C" void brainalign_neural_plugin_init() {
  brainalign::neural::register_model_families();
  brainalign::neural::register_probe_trainer();
}
