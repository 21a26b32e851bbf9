#include "brainalign/align/rdm.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/base/statistics.h"

namespace brainalign::align {
namespace {

void require_square_pair(const Matrix& a, const Matrix& b) {
  if (a.rows() != a.cols() || b.rows() != b.cols() || a.rows() != b.rows()) {
    throw InputError("compare RDMs: need two square matrices of one size, got " +
                     std::to_string(a.rows()) + " x " + std::to_string(a.cols()) + " and " +
                     std::to_string(b.rows()) + " x " + std::to_string(b.cols()));
  }
}

}  // namespace

Matrix row_correlation(const Matrix& x) {
  Matrix centred = x;
  centred.colwise() -= x.rowwise().mean();
  Matrix correlation = centred * centred.transpose();
  correlation *= 1.0 / static_cast<double>(x.cols() - 1);
  const Vector stddev = correlation.diagonal().cwiseSqrt();
  // Two divisions, rows then columns, as np.corrcoef; clipped to [-1, 1] likewise.
  for (Eigen::Index i = 0; i < correlation.rows(); ++i) {
    for (Eigen::Index j = 0; j < correlation.cols(); ++j) {
      const double value = correlation(i, j) / stddev(i) / stddev(j);
      correlation(i, j) = std::isnan(value) ? value : std::clamp(value, -1.0, 1.0);
    }
  }
  return correlation;
}

Matrix rdm(const Matrix& responses) {
  constexpr double kStdOffset = 1e-10;
  const auto n = static_cast<double>(responses.rows());
  const Eigen::RowVectorXd column_mean = responses.colwise().mean();
  Matrix z = responses.rowwise() - column_mean;
  const Eigen::RowVectorXd column_std = (z.colwise().squaredNorm() / n).cwiseSqrt();
  for (Eigen::Index c = 0; c < z.cols(); ++c) z.col(c) /= column_std(c) + kStdOffset;
  return Matrix::Ones(responses.rows(), responses.rows()) - row_correlation(z);
}

Vector upper_triangle(const Matrix& m) {
  const Eigen::Index n = m.rows();
  Vector cells(n > 1 ? n * (n - 1) / 2 : 0);
  Eigen::Index k = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = i + 1; j < m.cols(); ++j) cells(k++) = m(i, j);
  }
  return cells;
}

double compare_rdms(const Matrix& a, const Matrix& b) {
  require_square_pair(a, b);
  return spearman(upper_triangle(a), upper_triangle(b));
}

double compare_rdms(const Matrix& a, const Matrix& b, const CellMask& mask) {
  require_square_pair(a, b);
  if (mask.rows() != a.rows() || mask.cols() != a.cols()) {
    throw InputError("compare RDMs: the mask is " + std::to_string(mask.rows()) + " x " +
                     std::to_string(mask.cols()) + ", the RDMs " + std::to_string(a.rows()) +
                     " x " + std::to_string(a.cols()));
  }
  std::vector<double> cells_a;
  std::vector<double> cells_b;
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    for (Eigen::Index j = i + 1; j < a.cols(); ++j) {
      if (!mask(i, j)) continue;
      cells_a.push_back(a(i, j));
      cells_b.push_back(b(i, j));
    }
  }
  return spearman(cells_a, cells_b);
}

}  // namespace brainalign::align