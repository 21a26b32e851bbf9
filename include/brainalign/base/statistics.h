// Descriptive statistics and correlations shared by the alignment protocols, each matching the
// numpy / scipy.stats function named in its comment.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "brainalign/base/matrix.h"

namespace brainalign {

inline std::span<const double> as_span(const Vector& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// np.mean; NaN for an empty input.
double mean(std::span<const double> values);
// np.std (ddof = 0); NaN for an empty input.
double population_std(std::span<const double> values);
// np.std(ddof = 1); NaN for fewer than 2 values.
double sample_std(std::span<const double> values);

// Pearson correlation, two-pass in double; NaN when either input is exactly constant (every
// value equal) or has zero variance, so that np.nanmedian-style consumers skip it.
double pearson(std::span<const double> a, std::span<const double> b);
// Two-sided p-value of a Pearson r over n pairs (t distribution, n - 2 degrees of freedom), as
// scipy.stats.pearsonr.
double pearson_p_value(double r, std::size_t n);
// scipy.stats.rankdata(method="average"): ranks from 1, ties share their average rank.
std::vector<double> rank_average(std::span<const double> values);
// scipy.stats.spearmanr: Pearson correlation of the average ranks; NaN if an input has a NaN.
double spearman(std::span<const double> a, std::span<const double> b);
// Score of a prediction: 0 if yhat is exactly constant, else max(pearson(y, yhat), 0)^2.
double clipped_r2(std::span<const double> y, std::span<const double> yhat);

// np.median: NaN if any value is NaN or the input is empty.
double median(std::span<const double> values);
// np.nanmedian: the median of the non-NaN values; NaN if there are none.
double nan_median(std::span<const double> values);
// Error bar over subjects: population std / sqrt(n - 1); NaN for fewer than 2 values.
double sem_over_subjects(std::span<const double> values);

inline double mean(const Vector& v) { return mean(as_span(v)); }
inline double population_std(const Vector& v) { return population_std(as_span(v)); }
inline double sample_std(const Vector& v) { return sample_std(as_span(v)); }
inline double pearson(const Vector& a, const Vector& b) { return pearson(as_span(a), as_span(b)); }
inline std::vector<double> rank_average(const Vector& v) { return rank_average(as_span(v)); }
inline double spearman(const Vector& a, const Vector& b) {
  return spearman(as_span(a), as_span(b));
}
inline double clipped_r2(const Vector& y, const Vector& yhat) {
  return clipped_r2(as_span(y), as_span(yhat));
}
inline double median(const Vector& v) { return median(as_span(v)); }
inline double nan_median(const Vector& v) { return nan_median(as_span(v)); }
inline double sem_over_subjects(const Vector& v) { return sem_over_subjects(as_span(v)); }

}  // namespace brainalign
