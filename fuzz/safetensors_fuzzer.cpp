// libFuzzer target for safetensors checkpoints: SafetensorsFile and every tensor it loads.
#include <cstddef>
#include <cstdint>

#include "torch_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::safetensors_entry({data, size});
  return 0;
}
