// libFuzzer target for CSV tables: parse_csv with and without a header, then parse_double.
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::csv_entry({data, size});
  return 0;
}
