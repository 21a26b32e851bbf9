// libFuzzer target for pickles: io::read_pickle and the readers built on it (joblib vectors, dicts
// of NumPy arrays, pandas DataFrames, HEAR label lists).
#include <cstddef>
#include <cstdint>

#include "entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  brainalign::fuzz::pickle_entry({data, size});
  return 0;
}
