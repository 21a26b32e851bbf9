// libFuzzer target for .npz archives: read_npz, then every member's conversions.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::npz_entry({data, size});
  return 0;
}
