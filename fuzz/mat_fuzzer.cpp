// libFuzzer target for MATLAB .mat files: every variable read as numbers, strings and structs.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::mat_entry({data, size});
  return 0;
}
