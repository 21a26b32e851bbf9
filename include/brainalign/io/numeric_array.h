// A numeric array read from a file: values as doubles in C (row-major) order with its shape.
#pragma once

#include <cstddef>
#include <vector>

namespace brainalign::io {

struct NumericArray {
  // Logical shape; empty for a scalar. The product of the extents equals values.size().
  std::vector<std::size_t> shape;
  // Row-major (C order): the last index varies fastest.
  std::vector<double> values;
};

}  // namespace brainalign::io
