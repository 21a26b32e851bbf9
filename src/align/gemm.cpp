#include "gemm.h"

#include <stdexcept>

// dgemm_ is declared by Eigen's BLAS bindings (EIGEN_USE_BLAS).

namespace brainalign::align::detail {

void gemm(const ColMatrix& A, const ColMatrix& B, ColMatrix& C, double alpha, double beta) {
  if (A.cols() != B.rows()) throw std::logic_error("gemm: inner dimensions differ");
  if (beta == 0.0) C.resize(A.rows(), B.cols());
  if (C.rows() != A.rows() || C.cols() != B.cols()) throw std::logic_error("gemm: output shape");
  const int m = static_cast<int>(A.rows()), n = static_cast<int>(B.cols()),
            k = static_cast<int>(A.cols());
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0) {
      C.setZero();
    } else {
      C *= beta;
    }
    return;
  }
  const int lda = std::max(1, m), ldb = std::max(1, k), ldc = std::max(1, m);
  dgemm_("N", "N", &m, &n, &k, &alpha, A.data(), &lda, B.data(), &ldb, &beta, C.data(), &ldc);
}

}  // namespace brainalign::align::detail
