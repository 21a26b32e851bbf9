// libFuzzer target for JSON text through io::parse_json, as configuration files are read.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::json_entry({data, size});
  return 0;
}
