// C = alpha * A * B + beta * C through BLAS directly: Eigen's product clears C before
// accumulating, which costs a full pass over large outputs.
#pragma once

#include "brainalign/base/matrix.h"

namespace brainalign::align::detail {

void gemm(const ColMatrix& A, const ColMatrix& B, ColMatrix& C, double alpha = 1.0,
          double beta = 0.0);

}  // namespace brainalign::align::detail
