// libFuzzer target for feature sets: load_feature_set (.npz, .h5, folder), then align_to_stimuli.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::feature_set_entry({data, size});
  return 0;
}
