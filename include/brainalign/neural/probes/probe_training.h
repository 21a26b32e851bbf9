// Probe training with libtorch: each probe on one torch thread with its own generator, as
// hear/probe.h describes.
#pragma once

namespace brainalign::neural {

// Makes libtorch training hear's ProbeTrainer (hear::register_probe_trainer). Idempotent.
void register_probe_trainer();

}  // namespace brainalign::neural
