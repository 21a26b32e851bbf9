#include "brainalign/study/savitzky_golay.h"

#include <Eigen/Dense>
#include <cmath>
#include <string>

#include "brainalign/base/error.h"

namespace brainalign::study {
namespace {

// Weights w such that sum_j w_j y_j is the least-squares polynomial of `order` through the
// points (j, y_j), j = 0..window-1, evaluated at t.
Eigen::VectorXd fit_weights(int window, int order, double t) {
  const double centre = (window - 1) / 2.0;  // centred abscissae keep the system well posed
  Eigen::MatrixXd A(window, order + 1);
  for (int j = 0; j < window; ++j)
    for (int k = 0; k <= order; ++k) A(j, k) = std::pow(j - centre, k);
  Eigen::VectorXd at(order + 1);
  for (int k = 0; k <= order; ++k) at(k) = std::pow(t - centre, k);
  // w^T = at^T (A^T A)^-1 A^T
  const Eigen::MatrixXd pinv = A.completeOrthogonalDecomposition().pseudoInverse();
  return pinv.transpose() * at;
}

double apply(const Eigen::VectorXd& w, std::span<const double> v, size_t start) {
  double s = 0;
  for (Eigen::Index j = 0; j < w.size(); ++j) s += w(j) * v[start + static_cast<size_t>(j)];
  return s;
}

}  // namespace

std::vector<double> savgol_filter(std::span<const double> values, int window, int order) {
  if (window < 1 || order < 0 || order >= window)
    throw InputError("savgol_filter: the order (" + std::to_string(order) +
                     ") must be below the window (" + std::to_string(window) + ")");
  const size_t n = values.size(), w = static_cast<size_t>(window);
  if (n < w)
    throw InputError("savgol_filter: " + std::to_string(n) + " points, fewer than the window (" +
                     std::to_string(window) + ")");
  const size_t half = w / 2;
  std::vector<double> out(n);
  const Eigen::VectorXd centre = fit_weights(window, order, (window - 1) / 2.0);
  // Output i comes from the window starting at i - (w - 1) / 2 (ending at i + w / 2).
  for (size_t i = half; i < n - half; ++i) out[i] = apply(centre, values, i - (w - 1) / 2);
  for (size_t i = 0; i < half; ++i) {
    out[i] = apply(fit_weights(window, order, static_cast<double>(i)), values, 0);
    const size_t k = w - half + i;
    out[n - half + i] = apply(fit_weights(window, order, static_cast<double>(k)), values, n - w);
  }
  return out;
}

}  // namespace brainalign::study