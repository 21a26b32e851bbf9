// libFuzzer target for torch.save checkpoints: the zip archive and the pickle interpreter.
#include <cstddef>
#include <cstdint>

#include "torch_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::torch_checkpoint_entry({data, size});
  return 0;
}
