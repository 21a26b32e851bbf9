// libFuzzer target for model folders' config.json: ModelConfig and every family's config.
#include <cstddef>
#include <cstdint>

#include "torch_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::model_config_entry({data, size});
  return 0;
}
