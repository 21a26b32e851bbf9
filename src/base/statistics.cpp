#include "brainalign/base/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "brainalign/base/error.h"

namespace brainalign {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool has_nan(std::span<const double> values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

// Every value equal to the first (bitwise equal up to the sign of zero).
bool exactly_constant(std::span<const double> values) {
  return std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; });
}

void require_same_length(std::span<const double> a, std::span<const double> b, const char* what) {
  if (a.size() != b.size()) {
    throw InputError(std::string(what) + ": inputs differ in length (" + std::to_string(a.size()) +
                     " and " + std::to_string(b.size()) + ")");
  }
}

// Continued fraction of the incomplete beta function (modified Lentz), valid for
// x < (a + 1) / (a + b + 2).
double incomplete_beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-16;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < kEpsilon) break;
  }
  return h;
}

// Gamma(a + 1/2) / Gamma(a): directly for small a, else by its asymptotic series, which keeps
// full precision where lgamma differences would not.
double half_gamma_ratio(double a) {
  if (a < 20.0) return std::tgamma(a + 0.5) / std::tgamma(a);
  const double inv = 1.0 / a;
  const double inv2 = inv * inv;
  const double log_correction =
      inv * (-1.0 / 8.0 + inv2 * (1.0 / 192.0 + inv2 * (-1.0 / 640.0 + inv2 * 17.0 / 14336.0)));
  return std::sqrt(a) * std::exp(log_correction);
}

// Regularised incomplete beta I_x(a, a) for x <= 1/2, where the fraction converges directly.
// The prefactor x^a (1 - x)^a / B(a, a) uses Legendre's duplication formula for B(a, a).
double symmetric_incomplete_beta(double a, double x) {
  if (x <= 0.0) return 0.0;
  const double front =
      std::pow(4.0 * x * (1.0 - x), a) * half_gamma_ratio(a) / (2.0 * std::sqrt(std::numbers::pi));
  return front * incomplete_beta_fraction(a, a, x) / a;
}

}  // namespace

double mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double population_std(std::span<const double> values) {
  if (values.empty()) return kNaN;
  const double m = mean(values);
  double sum_squares = 0.0;
  for (double v : values) sum_squares += (v - m) * (v - m);
  return std::sqrt(sum_squares / static_cast<double>(values.size()));
}

double sample_std(std::span<const double> values) {
  if (values.size() < 2) return kNaN;
  const double m = mean(values);
  double sum_squares = 0.0;
  for (double v : values) sum_squares += (v - m) * (v - m);
  return std::sqrt(sum_squares / static_cast<double>(values.size() - 1));
}

double pearson(std::span<const double> a, std::span<const double> b) {
  require_same_length(a, b, "pearson");
  if (a.size() < 2) return kNaN;
  // A constant input has no variance: NaN, whatever rounding the mean below would leave.
  if (exactly_constant(a) || exactly_constant(b)) return kNaN;
  const double mean_a = mean(a);
  const double mean_b = mean(b);
  double sab = 0.0;
  double saa = 0.0;
  double sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double da = a[i] - mean_a;
    const double db = b[i] - mean_b;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa == 0.0 || sbb == 0.0) return kNaN;
  return std::clamp(sab / (std::sqrt(saa) * std::sqrt(sbb)), -1.0, 1.0);
}

double pearson_p_value(double r, std::size_t n) {
  if (std::isnan(r) || n < 2) return kNaN;
  if (n == 2) return 1.0;
  const double abs_r = std::min(std::abs(r), 1.0);
  // Under the null, (r + 1) / 2 follows Beta(n/2 - 1, n/2 - 1).
  const double shape = static_cast<double>(n) / 2.0 - 1.0;
  // (1 + |r|) / 2 rounded first, as scipy evaluates the upper tail at that point.
  const double lower_tail_point = 1.0 - (abs_r + 1.0) / 2.0;
  return std::min(1.0, 2.0 * symmetric_incomplete_beta(shape, lower_tail_point));
}

std::vector<double> rank_average(std::span<const double> values) {
  const std::size_t n = values.size();
  if (has_nan(values)) return std::vector<double>(n, kNaN);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(n);
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start + 1;
    while (end < n && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

double spearman(std::span<const double> a, std::span<const double> b) {
  require_same_length(a, b, "spearman");
  if (has_nan(a) || has_nan(b)) return kNaN;
  const std::vector<double> rank_a = rank_average(a);
  const std::vector<double> rank_b = rank_average(b);
  return pearson(rank_a, rank_b);
}

double clipped_r2(std::span<const double> y, std::span<const double> yhat) {
  require_same_length(y, yhat, "clipped_r2");
  if (!yhat.empty() && exactly_constant(yhat)) return 0.0;
  const double r = pearson(y, yhat);
  if (std::isnan(r)) return kNaN;
  const double clipped = std::max(r, 0.0);
  return clipped * clipped;
}

double median(std::span<const double> values) {
  if (values.empty() || has_nan(values)) return kNaN;
  std::vector<double> work(values.begin(), values.end());
  const std::size_t half = work.size() / 2;
  std::nth_element(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(half), work.end());
  const double upper = work[half];
  if (work.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(work.begin(), work.begin() + static_cast<std::ptrdiff_t>(half));
  return (lower + upper) / 2.0;
}

double nan_median(std::span<const double> values) {
  std::vector<double> finite;
  finite.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) finite.push_back(v);
  }
  return median(finite);
}

double sem_over_subjects(std::span<const double> values) {
  if (values.size() < 2) return kNaN;
  return population_std(values) / std::sqrt(static_cast<double>(values.size() - 1));
}

}  // namespace brainalign
