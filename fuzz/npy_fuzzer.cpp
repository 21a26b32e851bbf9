// libFuzzer target for .npy arrays: parse_npy and read_npy, then every conversion.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::npy_entry({data, size});
  return 0;
}
