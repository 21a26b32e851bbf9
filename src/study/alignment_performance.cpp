#include "brainalign/study/alignment_performance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

#include "brainalign/base/statistics.h"
#include "brainalign/hear/metrics.h"

namespace brainalign::study {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// FNV-1a: a stable seed per cell, so each cell's resampling does not depend on the others.
std::uint64_t fnv1a(const std::string& s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

size_t uniform_index(std::mt19937_64& rng, size_t n) {
  return static_cast<size_t>(static_cast<double>(rng() >> 11) * 0x1.0p-53 * static_cast<double>(n));
}

// np.percentile with linear interpolation.
double percentile(std::vector<double> v, double q) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string metric_name(const WorkUnit& u) {
  std::string s = u.dataset + "/" + u.analysis + "/" + u.protocol;
  if (!u.roi.empty()) s += "/" + u.roi;
  return s;
}

}  // namespace

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i)
    if (std::isfinite(p[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> out(p.size(), kNaN);
  double running = 0;
  const size_t m = order.size();
  for (size_t k = 0; k < m; ++k) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - k) * p[order[k]]));
    out[order[k]] = running;
  }
  return out;
}

CorrelationCell correlate(const std::vector<double>& alignment,
                          const std::vector<double>& performance, int bootstrap, int permutations,
                          std::uint64_t seed) {
  std::vector<double> a, b;
  for (size_t i = 0; i < alignment.size(); ++i)
    if (std::isfinite(alignment[i]) && std::isfinite(performance[i])) {
      a.push_back(alignment[i]);
      b.push_back(performance[i]);
    }
  CorrelationCell c;
  c.n = static_cast<int>(a.size());
  const size_t n = a.size();
  c.r = n >= 2 ? pearson(a, b) : kNaN;
  c.p = n >= 3 && std::isfinite(c.r) ? pearson_p_value(c.r, n) : kNaN;
  c.rho = n >= 2 ? spearman(a, b) : kNaN;
  c.rho_p = n >= 3 && std::isfinite(c.rho) ? pearson_p_value(c.rho, n) : kNaN;
  c.ci_low = c.ci_high = c.permutation_p = kNaN;
  if (n < 3 || !std::isfinite(c.r)) return c;

  std::mt19937_64 rng(seed);
  std::vector<double> rs, ra(n), rb(n);
  for (int k = 0; k < bootstrap; ++k) {
    for (size_t i = 0; i < n; ++i) {
      const size_t j = uniform_index(rng, n);
      ra[i] = a[j];
      rb[i] = b[j];
    }
    const double r = pearson(ra, rb);
    if (std::isfinite(r)) rs.push_back(r);
  }
  c.ci_low = percentile(rs, 2.5);
  c.ci_high = percentile(rs, 97.5);

  if (permutations > 0) {
    std::vector<double> shuffled = b;
    int hits = 0;
    for (int k = 0; k < permutations; ++k) {
      for (size_t i = n - 1; i > 0; --i)
        std::swap(shuffled[i], shuffled[uniform_index(rng, i + 1)]);
      if (std::abs(pearson(a, shuffled)) >= std::abs(c.r) - 1e-12) ++hits;
    }
    c.permutation_p = (1.0 + hits) / (1.0 + permutations);
  }
  return c;
}

AlignmentPerformance alignment_vs_performance(const Study& study,
                                              const std::vector<TidyResult>& results,
                                              const std::vector<DownstreamScore>& downstream) {
  AlignmentPerformance out;
  for (const auto& t : study.tasks) out.tasks.push_back(t.name);
  if (out.tasks.empty()) return out;

  // The last checkpoint of each model.
  std::map<std::string, std::int64_t> last_step;
  std::map<std::string, std::string> last_label;
  for (const auto& m : study.models) {
    if (m.checkpoints.empty()) continue;  // a series not listed here: nothing stored
    last_step[m.name] = m.checkpoints.back().step;
    last_label[m.name] = m.checkpoints.back().label;
  }
  std::map<std::string, std::map<std::string, double>> alignment;  // metric -> model -> value
  for (const auto& r : results) {
    const auto it = last_label.find(r.unit.model);
    if (it == last_label.end() || it->second != r.unit.checkpoint) continue;
    if (r.row.level == "overall")
      alignment[metric_name(r.unit)][r.unit.model] = r.row.value;
    else if (r.row.level == "component")
      alignment[metric_name(r.unit) + ":" + r.row.target][r.unit.model] = r.row.value;
  }
  std::set<std::string> aligned;
  for (const auto& [metric, per_model] : alignment)
    for (const auto& [model, v] : per_model) aligned.insert(model);

  std::map<std::string, std::map<std::string, double>> scores;  // model -> task -> score
  for (const auto& d : downstream) scores[d.model][d.task] = d.score;
  // The overall score as the 2025 code computes it: each task z-scored over every model that
  // has it (aligned or not), then each model's mean over the z-scores it has.
  std::vector<std::string> scored;
  Matrix all_scores(static_cast<Eigen::Index>(scores.size()),
                    static_cast<Eigen::Index>(out.tasks.size()));
  for (const auto& [model, per_task] : scores) {
    const auto row = static_cast<Eigen::Index>(scored.size());
    scored.push_back(model);
    for (std::size_t t = 0; t < out.tasks.size(); ++t) {
      const auto it = per_task.find(out.tasks[t]);
      all_scores(row, static_cast<Eigen::Index>(t)) = it == per_task.end() ? kNaN : it->second;
    }
  }
  const Vector all_overall = hear::overall_scores(all_scores);
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    if (!aligned.count(scored[i]) || std::isnan(all_overall(row))) continue;
    out.models.push_back(scored[i]);
    out.overall.push_back(all_overall(row));
    std::vector<double> task_row;
    for (std::size_t t = 0; t < out.tasks.size(); ++t)
      task_row.push_back(all_scores(row, static_cast<Eigen::Index>(t)));
    out.task_scores.push_back(task_row);
  }
  if (out.models.size() < 2) return out;

  for (const auto& [metric, per_model] : alignment) {
    out.metrics.push_back(metric);
    std::vector<double> v;
    for (const auto& m : out.models) {
      const auto it = per_model.find(m);
      v.push_back(it == per_model.end() ? kNaN : it->second);
    }
    out.metric_values.push_back(v);
  }

  const auto& o = study.alignment_performance;
  std::ostringstream threshold;
  threshold << o.subset_threshold;
  const std::string subsets[] = {"all", "overall>" + threshold.str()};
  for (const auto& subset : subsets) {
    std::vector<bool> keep(out.models.size(), true);
    if (subset != "all")
      for (size_t i = 0; i < keep.size(); ++i) keep[i] = out.overall[i] > o.subset_threshold;
    const size_t first = out.cells.size();
    for (size_t k = 0; k < out.metrics.size(); ++k)
      for (size_t t = 0; t <= out.tasks.size(); ++t) {
        std::vector<double> a, b;
        for (size_t i = 0; i < out.models.size(); ++i) {
          if (!keep[i]) continue;
          a.push_back(out.metric_values[k][i]);
          b.push_back(t == 0 ? out.overall[i] : out.task_scores[i][t - 1]);
        }
        const std::string perf = t == 0 ? "overall" : out.tasks[t - 1];
        CorrelationCell c = correlate(
            a, b, o.bootstrap, o.permutations,
            fnv1a(subset + "|" + out.metrics[k] + "|" + perf, study.seed + 1469598103934665603ull));
        c.metric = out.metrics[k];
        c.performance = perf;
        c.subset = subset;
        out.cells.push_back(c);
      }
    std::vector<double> ps;
    for (size_t i = first; i < out.cells.size(); ++i) ps.push_back(out.cells[i].p);
    const std::vector<double> adjusted = holm_adjust(ps);
    for (size_t i = first; i < out.cells.size(); ++i) out.cells[i].holm_p = adjusted[i - first];
  }
  return out;
}

}  // namespace brainalign::study