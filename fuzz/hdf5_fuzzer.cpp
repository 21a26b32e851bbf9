// libFuzzer target for HDF5 files: every root dataset read as numbers and as strings.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::hdf5_entry({data, size});
  return 0;
}
