#include "brainalign/hear/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/base/statistics.h"

namespace brainalign::hear {
namespace {

void check_shapes(const Matrix& scores, const Matrix& targets, const char* metric) {
  if (scores.rows() != targets.rows() || scores.cols() != targets.cols() || scores.rows() == 0) {
    throw InputError(std::string(metric) + ": scores are " + std::to_string(scores.rows()) + " x " +
                     std::to_string(scores.cols()) + " but targets are " +
                     std::to_string(targets.rows()) + " x " + std::to_string(targets.cols()) +
                     " (clips x classes, at least one clip)");
  }
}

// Indices sorted by decreasing score; stable so equal scores keep clip order.
std::vector<Eigen::Index> by_decreasing_score(const Vector& scores) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(scores.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return scores(a) > scores(b); });
  return order;
}

}  // namespace

double top1_accuracy(const Matrix& scores, const Matrix& targets) {
  check_shapes(scores, targets, "top1_acc");
  Eigen::Index correct = 0;
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    Eigen::Index best = 0;
    scores.row(i).maxCoeff(&best);  // Eigen returns the first maximum, as numpy.argmax
    if (targets(i, best) > 0.5) ++correct;
  }
  return static_cast<double>(correct) / static_cast<double>(scores.rows());
}

double pitch_accuracy(const Matrix& scores, const Matrix& targets) {
  return top1_accuracy(scores, targets);
}

double average_precision(const Vector& scores, const Vector& targets) {
  const auto positives = static_cast<double>((targets.array() > 0.5).count());
  if (positives == 0) return 0.0;
  const auto order = by_decreasing_score(scores);
  double tp = 0, fp = 0, previous_recall = 0, ap = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (targets(order[k]) > 0.5) {
      tp += 1;
    } else {
      fp += 1;
    }
    const bool threshold_ends = k + 1 == order.size() || scores(order[k + 1]) != scores(order[k]);
    if (!threshold_ends) continue;
    const double recall = tp / positives;
    ap += (recall - previous_recall) * (tp / (tp + fp));
    previous_recall = recall;
  }
  return ap;
}

double mean_average_precision(const Matrix& scores, const Matrix& targets) {
  check_shapes(scores, targets, "mAP");
  double sum = 0;
  for (Eigen::Index c = 0; c < scores.cols(); ++c) {
    sum += average_precision(scores.col(c), targets.col(c));
  }
  return sum / static_cast<double>(scores.cols());
}

double roc_auc(const Vector& scores, const Vector& targets) {
  const auto positives = static_cast<double>((targets.array() > 0.5).count());
  const double negatives = static_cast<double>(targets.size()) - positives;
  if (positives == 0 || negatives == 0) {
    throw InputError("ROC AUC: only one class present in the targets (" +
                     std::string(positives == 0 ? "no positive" : "no negative") +
                     " clip); the area is not defined");
  }
  const auto order = by_decreasing_score(scores);
  double tp = 0, fp = 0, previous_tp = 0, previous_fp = 0, area = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (targets(order[k]) > 0.5) {
      tp += 1;
    } else {
      fp += 1;
    }
    const bool threshold_ends = k + 1 == order.size() || scores(order[k + 1]) != scores(order[k]);
    if (!threshold_ends) continue;
    area += (fp - previous_fp) * (tp + previous_tp) / 2;  // trapezoid
    previous_tp = tp;
    previous_fp = fp;
  }
  return area / (positives * negatives);
}

double roc_auc_macro(const Matrix& scores, const Matrix& targets) {
  check_shapes(scores, targets, "aucroc");
  double sum = 0;
  for (Eigen::Index c = 0; c < scores.cols(); ++c) {
    try {
      sum += roc_auc(scores.col(c), targets.col(c));
    } catch (const InputError& e) {
      throw InputError("class " + std::to_string(c) + ": " + e.what());
    }
  }
  return sum / static_cast<double>(scores.cols());
}

double normal_quantile(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0) return -std::numeric_limits<double>::infinity();
  if (p == 1) return std::numeric_limits<double>::infinity();
  // Acklam's rational approximation, then two Newton steps on erfc for full precision.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  for (int step = 0; step < 2; ++step) {
    const double error = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double density = std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
    x -= error / density;
  }
  return x;
}

double d_prime(const Matrix& scores, const Matrix& targets) {
  check_shapes(scores, targets, "d_prime");
  double sum = 0;
  for (Eigen::Index c = 0; c < scores.cols(); ++c) {
    try {
      sum += std::sqrt(2.0) * normal_quantile(roc_auc(scores.col(c), targets.col(c)));
    } catch (const InputError& e) {
      throw InputError("class " + std::to_string(c) + ": " + e.what());
    }
  }
  return sum / static_cast<double>(scores.cols());
}

bool is_known_metric(const std::string& name) {
  return name == "top1_acc" || name == "pitch_acc" || name == "mAP" || name == "d_prime" ||
         name == "aucroc";
}

double score_metric(const std::string& name, const Matrix& scores, const Matrix& targets) {
  if (name == "top1_acc") return top1_accuracy(scores, targets);
  if (name == "pitch_acc") return pitch_accuracy(scores, targets);
  if (name == "mAP") return mean_average_precision(scores, targets);
  if (name == "d_prime") return d_prime(scores, targets);
  if (name == "aucroc") return roc_auc_macro(scores, targets);
  throw InputError("unknown metric '" + name +
                   "' (known: top1_acc, pitch_acc, mAP, d_prime, aucroc)");
}

Vector overall_scores(const Matrix& task_scores) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const Eigen::Index models = task_scores.rows();
  Vector sum = Vector::Zero(models);
  Eigen::VectorXi count = Eigen::VectorXi::Zero(models);
  for (Eigen::Index t = 0; t < task_scores.cols(); ++t) {
    std::vector<Eigen::Index> present;
    std::vector<double> values;
    for (Eigen::Index m = 0; m < models; ++m)
      if (!std::isnan(task_scores(m, t))) {
        present.push_back(m);
        values.push_back(task_scores(m, t));
      }
    if (present.size() < 2) continue;  // pandas' std of one value is NaN: no z-scores
    const double centre = mean(values);
    const double sd = sample_std(values);
    // Zero spread (every model with the task scores the same, up to rounding): no z-scores, as
    // pandas' 0 / 0; rounding would otherwise turn them into +-inf or noise.
    if (!(sd > 1e-12 * std::max(1.0, std::abs(centre)))) continue;
    for (Eigen::Index m : present) {
      sum(m) += (task_scores(m, t) - centre) / sd;
      ++count(m);
    }
  }
  Vector overall(models);
  for (Eigen::Index m = 0; m < models; ++m)
    overall(m) = count(m) > 0 ? sum(m) / static_cast<double>(count(m)) : kNaN;
  return overall;
}

}  // namespace brainalign::hear
