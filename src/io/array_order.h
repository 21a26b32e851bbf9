// Visiting array elements in C (row-major) order when they are stored in Fortran
// (column-major) order. Internal to the io module.
#pragma once

#include <cstddef>
#include <vector>

namespace brainalign::io::detail {

// Calls visit(storage_index) for each of the `count` elements in C order; storage is
// column-major when `column_major` is true and row-major otherwise.
template <class Visit>
void visit_in_c_order(const std::vector<std::size_t>& shape, bool column_major, std::size_t count,
                      Visit&& visit) {
  if (!column_major || shape.size() < 2) {
    for (std::size_t i = 0; i < count; ++i) visit(i);
    return;
  }
  const std::size_t rank = shape.size();
  std::vector<std::size_t> stride(rank, 1);
  for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * shape[k - 1];
  std::vector<std::size_t> index(rank, 0);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < count; ++i) {
    visit(offset);
    for (std::size_t k = rank; k-- > 0;) {
      offset += stride[k];
      if (++index[k] < shape[k]) break;
      offset -= stride[k] * shape[k];
      index[k] = 0;
    }
  }
}

}  // namespace brainalign::io::detail
