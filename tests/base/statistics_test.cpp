#include "brainalign/base/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "brainalign/base/error.h"
#include "common/python_oracle.h"

namespace brainalign {
namespace {

using testing::close_relative;
using testing::json_double;
using testing::json_doubles;

constexpr double kTolerance = 1e-12;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Values on a coarse grid, so that ties are frequent, plus a correlated partner.
std::pair<std::vector<double>, std::vector<double>> tied_pair(std::mt19937& rng, int n,
                                                              double grid) {
  std::normal_distribution<double> normal;
  std::vector<double> a(static_cast<std::size_t>(n));
  std::vector<double> b(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = std::round(normal(rng) / grid) * grid;
    b[i] = std::round((0.5 * a[i] + normal(rng)) / grid) * grid;
  }
  return {a, b};
}

TEST(Statistics, MatchesScipyOnRandomDataWithTies) {
  std::mt19937 rng(7);
  nlohmann::json request;
  std::vector<std::pair<std::vector<double>, std::vector<double>>> cases;
  for (int n : {3, 4, 5, 10, 33, 82, 165, 1000}) {
    for (double grid : {0.5, 0.1, 1e-9}) cases.push_back(tied_pair(rng, n, grid));
  }
  for (const auto& [a, b] : cases) request["cases"].push_back({{"a", a}, {"b", b}});
  request["nan_median"] = nlohmann::json::array();
  request["p_values"] = nlohmann::json::array();
  const nlohmann::json expected = testing::run_python_oracle("base/statistics_oracle.py", request);

  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& [a, b] = cases[c];
    const auto& e = expected["cases"][c];
    SCOPED_TRACE("case " + std::to_string(c) + ", n = " + std::to_string(a.size()));
    EXPECT_TRUE(close_relative(pearson(a, b), json_double(e["pearson"]), kTolerance));
    // From scipy's r: small p-values amplify the last-bit differences of r by about n.
    EXPECT_TRUE(close_relative(pearson_p_value(json_double(e["pearson"]), a.size()),
                               json_double(e["p_value"]), kTolerance));
    EXPECT_TRUE(close_relative(spearman(a, b), json_double(e["spearman"]), kTolerance));
    EXPECT_EQ(rank_average(a), json_doubles(e["rank_a"]));
    EXPECT_EQ(rank_average(b), json_doubles(e["rank_b"]));
    EXPECT_TRUE(close_relative(median(a), json_double(e["median"]), kTolerance));
    EXPECT_TRUE(close_relative(mean(a), json_double(e["mean"]), kTolerance, 1.0));
    EXPECT_TRUE(close_relative(population_std(a), json_double(e["population_std"]), kTolerance));
    EXPECT_TRUE(close_relative(sample_std(a), json_double(e["sample_std"]), kTolerance));
  }
}

TEST(Statistics, PearsonPValueMatchesScipyAcrossRAndN) {
  std::vector<std::pair<double, int>> grid;
  for (int n : {3, 4, 5, 8, 13, 33, 83, 165, 500, 2000}) {
    for (double r : {0.0, 1e-6, 0.01, 0.1, 0.3, -0.5, 0.7, 0.9, -0.99, 0.999999}) {
      grid.emplace_back(r, n);
    }
  }
  nlohmann::json request;
  request["cases"] = nlohmann::json::array();
  request["nan_median"] = nlohmann::json::array();
  request["p_values"] = grid;
  const nlohmann::json expected = testing::run_python_oracle("base/statistics_oracle.py", request);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const auto [r, n] = grid[i];
    const double p = pearson_p_value(r, static_cast<std::size_t>(n));
    EXPECT_TRUE(close_relative(p, json_double(expected["p_values"][i]), kTolerance))
        << "r = " << r << ", n = " << n << ": " << p << " vs " << expected["p_values"][i];
  }
}

TEST(Statistics, NanMedianMatchesNumpy) {
  const std::vector<std::vector<double>> inputs = {
      {1.0, kNaN, 3.0}, {kNaN, kNaN}, {4.0, 1.0, kNaN, 2.0, 3.0}, {2.5}, {5.0, -1.0}};
  nlohmann::json request;
  request["cases"] = nlohmann::json::array();
  request["p_values"] = nlohmann::json::array();
  for (const auto& v : inputs) {
    nlohmann::json row = nlohmann::json::array();
    for (double x : v) row.push_back(std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x));
    request["nan_median"].push_back(row);
  }
  const nlohmann::json expected = testing::run_python_oracle("base/statistics_oracle.py", request);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(
        close_relative(nan_median(inputs[i]), json_double(expected["nan_median"][i]), kTolerance));
  }
}

TEST(Statistics, DegenerateInputs) {
  const std::vector<double> constant = {2.0, 2.0, 2.0};
  const std::vector<double> ramp = {1.0, 2.0, 3.0};
  EXPECT_TRUE(std::isnan(pearson(constant, ramp)));
  EXPECT_TRUE(std::isnan(spearman(constant, ramp)));
  EXPECT_EQ(clipped_r2(ramp, constant), 0.0);
  EXPECT_DOUBLE_EQ(clipped_r2(ramp, ramp), 1.0);
  const std::vector<double> reversed = {3.0, 2.0, 1.0};
  EXPECT_EQ(clipped_r2(ramp, reversed), 0.0);
  EXPECT_TRUE(std::isnan(median(std::vector<double>{1.0, kNaN})));
  EXPECT_TRUE(std::isnan(nan_median(std::vector<double>{kNaN})));
  EXPECT_DOUBLE_EQ(pearson_p_value(1.0, 10), 0.0);
  EXPECT_NEAR(pearson_p_value(0.0, 10), 1.0, 1e-14);
  EXPECT_THROW(pearson(ramp, std::vector<double>{1.0}), InputError);
}

// An exactly constant input: np.corrcoef gives NaN (whenever numpy's mean of the constant is
// exact, as for these values at n = 83) and np.nanmedian skips it. A running mean of 0.3 or
// 0.01 over 83 values is not exact, so a correlation built on it returned rounding noise
// (about 1e-17 against a variable input, +-1 against another constant) instead.
TEST(Statistics, PearsonOfAnExactlyConstantInputIsNaNAsNumpyCorrcoef) {
  constexpr int n = 83;
  std::mt19937 rng(11);
  std::normal_distribution<double> normal;
  std::vector<double> variable(n), other(n), partner(n);
  for (int i = 0; i < n; ++i) {
    variable[static_cast<std::size_t>(i)] = normal(rng);
    other[static_cast<std::size_t>(i)] = normal(rng);
    partner[static_cast<std::size_t>(i)] = variable[static_cast<std::size_t>(i)] + normal(rng);
  }
  const std::vector<double> c03(n, 0.3), c001(n, 0.01);
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> pairs = {
      {c03, variable}, {variable, c001}, {c03, c001}, {variable, partner}, {other, partner}};
  nlohmann::json request;
  request["cases"] = nlohmann::json::array();
  request["nan_median"] = nlohmann::json::array();
  request["p_values"] = nlohmann::json::array();
  for (const auto& [a, b] : pairs) request["corrcoef"].push_back({{"a", a}, {"b", b}});
  const nlohmann::json expected = testing::run_python_oracle("base/statistics_oracle.py", request);
  std::vector<double> ours;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const double e = json_double(expected["corrcoef"][i]);
    if (i < 3) {
      ASSERT_TRUE(std::isnan(e)) << "numpy no longer gives NaN for case " << i;
    }
    ours.push_back(pearson(pairs[i].first, pairs[i].second));
    EXPECT_TRUE(close_relative(ours.back(), e, kTolerance)) << "case " << i << ": " << ours.back();
  }
  EXPECT_TRUE(
      close_relative(nan_median(ours), json_double(expected["corrcoef_nanmedian"]), kTolerance));
  // A constant prediction scores 0, as the published np.std(prediction) == 0 branch.
  EXPECT_EQ(clipped_r2(variable, c03), 0.0);
}

TEST(Statistics, SemOverSubjects) {
  const std::vector<double> values = {0.2, 0.4, 0.3, 0.5};
  EXPECT_NEAR(sem_over_subjects(values), population_std(values) / std::sqrt(3.0), 1e-15);
  Vector v(4);
  v << 0.2, 0.4, 0.3, 0.5;
  EXPECT_DOUBLE_EQ(sem_over_subjects(v), sem_over_subjects(values));
  EXPECT_TRUE(std::isnan(sem_over_subjects(std::vector<double>{1.0})));
}

}  // namespace
}  // namespace brainalign
