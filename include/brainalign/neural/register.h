// What the neural module brings to the core's registries, in one call: the libtorch model
// families (model_families.h) and probe training (probes/probe_training.h). Opening the neural
// plugin, libbrainalign_neural.so, runs it; a program that links brainalign::neural statically
// (the C++ API, the tests) calls it once before making models or training probes.
#pragma once

namespace brainalign::neural {

// Idempotent.
void register_all();

}  // namespace brainalign::neural
