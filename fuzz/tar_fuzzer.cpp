// libFuzzer target for uncompressed tar archives through io::index_tar, as the headers of a
// remote archive are read to fetch one of its members.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::tar_entry({data, size});
  return 0;
}
