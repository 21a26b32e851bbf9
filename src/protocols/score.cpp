#include "brainalign/protocols/score.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

#include "brainalign/align/nested_ridge.h"
#include "brainalign/align/noise_corrected_ridge.h"
#include "brainalign/align/rdm.h"
#include "brainalign/align/rsa.h"
#include "brainalign/align/splits.h"
#include "brainalign/base/error.h"
#include "brainalign/base/statistics.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/json.h"

namespace brainalign::protocols {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

// Subjects' values -> per_subject, value (mean), sem (std / sqrt(n - 1)).
void summarise_subjects(ScoreSummary& summary, const std::vector<std::string>& subjects,
                        const std::vector<double>& values) {
  for (size_t i = 0; i < subjects.size(); ++i) summary.per_subject[subjects[i]] = values[i];
  summary.value = mean(values);
  summary.sem = values.size() > 1 ? sem_over_subjects(values) : nan();
}

// Components' values -> per_component, value (mean), sem over components.
void summarise_components(ScoreSummary& summary, const data::BrainDataset& components,
                          const Vector& values) {
  for (Eigen::Index t = 0; t < components.n_targets(); ++t)
    summary.per_component[components.targets[static_cast<size_t>(t)].id] = values(t);
  const std::vector<double> all(values.data(), values.data() + values.size());
  summary.value = mean(all);
  summary.sem = all.size() > 1 ? sem_over_subjects(all) : nan();
}

std::map<std::string, json> json_numbers(const std::map<std::string, double>& values) {
  std::map<std::string, json> out;
  for (const auto& [key, value] : values) out[key] = io::json_number(value);
  return out;
}

// Per subject: the median of its targets' values.
std::vector<double> subject_medians(const data::BrainDataset& d,
                                    const std::vector<std::string>& subjects,
                                    const Vector& values) {
  std::vector<double> out;
  for (const auto& s : subjects) {
    std::vector<double> v;
    for (Eigen::Index t = 0; t < d.n_targets(); ++t)
      if (d.targets[static_cast<size_t>(t)].subject == s) v.push_back(values(t));
    out.push_back(median(v));
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ";") + p;
  return out;
}

}  // namespace

Protocol parse_protocol(const std::string& name) {
  if (name == "pepino2025") return Protocol::Pepino2025;
  if (name == "tuckute2023") return Protocol::Tuckute2023;
  throw ArgumentError("protocol",
                      "'" + name + "' is not a protocol (expected pepino2025 or tuckute2023)");
}
Analysis parse_analysis(const std::string& name) {
  if (name == "voxelwise") return Analysis::Voxelwise;
  if (name == "components") return Analysis::Components;
  if (name == "rsa") return Analysis::Rsa;
  throw ArgumentError("analysis",
                      "'" + name + "' is not an analysis (expected voxelwise, components or rsa)");
}
VoxelSelection parse_voxel_selection(const std::string& name) {
  if (name == "published") return VoxelSelection::Published;
  if (name == "cleaned") return VoxelSelection::Cleaned;
  throw ArgumentError("voxel_selection",
                      "'" + name + "' is not a voxel selection (expected published or cleaned)");
}
RsaMethod parse_rsa_method(const std::string& name) {
  if (name == "xval") return RsaMethod::CrossValidated;
  if (name == "layerwise") return RsaMethod::Layerwise;
  throw ArgumentError("rsa_method",
                      "'" + name + "' is not an RSA method (expected xval or layerwise)");
}
std::string to_string(Protocol p) {
  return p == Protocol::Pepino2025 ? "pepino2025" : "tuckute2023";
}
std::string to_string(Analysis a) {
  return a == Analysis::Voxelwise ? "voxelwise"
                                  : (a == Analysis::Components ? "components" : "rsa");
}
std::string to_string(VoxelSelection v) {
  return v == VoxelSelection::Published ? "published" : "cleaned";
}
std::string to_string(RsaMethod m) { return m == RsaMethod::CrossValidated ? "xval" : "layerwise"; }
RsaMethod default_rsa_method(Protocol p) {
  return p == Protocol::Pepino2025 ? RsaMethod::Layerwise : RsaMethod::CrossValidated;
}

StimulusSplits read_splits(const fs::path& csv, const std::vector<std::string>& stimuli) {
  if (!fs::exists(csv)) throw InputError(csv.string() + ": split file not found");
  const io::CsvTable table = io::read_csv(csv);
  const size_t name_col = table.column("stimulus");
  std::vector<size_t> split_cols;
  for (size_t c = 0; c < table.header.size(); ++c)
    if (c != name_col) split_cols.push_back(c);
  if (split_cols.empty())
    throw InputError(csv.string() + ": no split columns (expected stimulus,split0,...)");
  std::unordered_map<std::string, size_t> row_of;
  for (size_t r = 0; r < table.rows.size(); ++r)
    row_of[data::stimulus_name(table.rows[r][name_col])] = r;
  StimulusSplits out;
  out.train.resize(split_cols.size());
  out.test.resize(split_cols.size());
  for (size_t i = 0; i < stimuli.size(); ++i) {
    const auto it = row_of.find(stimuli[i]);
    if (it == row_of.end())
      throw InputError(csv.string() + ": no split assignment for stimulus '" + stimuli[i] + "'");
    for (size_t k = 0; k < split_cols.size(); ++k) {
      const std::string& v = table.rows[it->second][split_cols[k]];
      if (v == "train") {
        out.train[k].push_back(static_cast<int>(i));
      } else if (v == "test") {
        out.test[k].push_back(static_cast<int>(i));
      } else if (!v.empty()) {
        throw InputError(csv.string() + ", stimulus '" + stimuli[i] + "', field '" +
                         table.header[split_cols[k]] + "': expected train or test, got '" + v +
                         "'");
      }
    }
  }
  for (size_t k = 0; k < split_cols.size(); ++k)
    if (out.train[k].size() < 3 || out.test[k].size() < 3)
      throw InputError(csv.string() + ", split '" + table.header[split_cols[k]] +
                       "': too few train or test stimuli");
  return out;
}

StimulusSplits default_splits(const data::BrainDataset& dataset) {
  const std::vector<int> order = data::published_order(dataset);
  const int S = static_cast<int>(dataset.stimuli.size());
  const auto generated = align::tuckute2023_splits(S, 10, (S + 1) / 2, S / 2, 0);
  StimulusSplits out;
  for (const auto& split : generated) {
    std::vector<int> tr, te;
    for (auto i : split.train) tr.push_back(order[static_cast<size_t>(i)]);
    for (auto i : split.test) te.push_back(order[static_cast<size_t>(i)]);
    std::sort(tr.begin(), tr.end());
    std::sort(te.begin(), te.end());
    out.train.push_back(std::move(tr));
    out.test.push_back(std::move(te));
  }
  return out;
}

namespace {

void remove_if_present(const fs::path& path) {
  std::error_code error;
  fs::remove(path, error);
  if (error) throw IoError("cannot remove " + path.string() + ": " + error.message());
}

fs::path default_folds_path() { return data::data_root() / "natsound165" / "folds_5x33.csv"; }

// The 2025 study's fold vector (folds_5x33.csv lists it by name in NH2015's release order),
// applied as the published code applies it: by position over the rows of a dataset in a
// release's order (B2021's sounds get the folds of NH2015's positions), else by name.
std::vector<int> published_folds(const data::BrainDataset& dataset) {
  const fs::path csv = default_folds_path();
  if (!dataset.release_order) return data::read_folds(csv, dataset.stimuli);
  const std::vector<int> vector = data::read_folds(csv, data::natsound165_stimuli());
  if (dataset.stimuli.size() != vector.size())
    throw InputError(dataset.source + ": " + std::to_string(dataset.stimuli.size()) +
                     " stimuli, but the published fold vector (" + csv.string() +
                     ") has a fold for each of " + std::to_string(vector.size()) +
                     " positions (give folds explicitly)");
  return vector;
}

std::vector<int> fold_assignment(const ScoreOptions& options, const data::BrainDataset& dataset) {
  // An explicit assignment, else the dataset's own (a synthetic dataset carries its folds),
  // else the published one of the 165 sounds.
  if (!options.folds) {
    if (options.folds_csv) return data::read_folds(*options.folds_csv, dataset.stimuli);
    if (!dataset.folds.empty()) return dataset.folds;
    return published_folds(dataset);
  }
  if (options.folds->size() != dataset.stimuli.size())
    throw InputError("folds: " + std::to_string(options.folds->size()) + " entries for " +
                     std::to_string(dataset.stimuli.size()) + " stimuli");
  return *options.folds;
}

StimulusSplits split_assignment(const ScoreOptions& options, const data::BrainDataset& dataset) {
  if (options.train_splits && options.test_splits) {
    if (options.train_splits->size() != options.test_splits->size() ||
        options.train_splits->empty())
      throw InputError("splits: train and test lists differ in number or are empty");
    for (const auto* list : {&*options.train_splits, &*options.test_splits})
      for (const auto& rows : *list)
        for (int r : rows)
          if (r < 0 || r >= dataset.n_stimuli())
            throw InputError("splits: row " + std::to_string(r) + " is not a stimulus row");
    return {*options.train_splits, *options.test_splits};
  }
  return options.splits_csv ? read_splits(*options.splits_csv, dataset.stimuli)
                            : default_splits(dataset);
}

// Each subject's repetition-mean responses (finite voxels only), stimuli x voxels.
std::vector<Matrix> subject_responses(const data::BrainDataset& d,
                                      const std::vector<std::string>& subjects) {
  const ColMatrix mean = d.mean_response();
  std::vector<Matrix> out;
  for (const auto& s : subjects) {
    std::vector<Eigen::Index> cols;
    for (Eigen::Index t = 0; t < d.n_targets(); ++t)
      if ((d.components || d.targets[static_cast<size_t>(t)].subject == s) &&
          mean.col(t).allFinite())
        cols.push_back(t);
    Matrix Z(mean.rows(), static_cast<Eigen::Index>(cols.size()));
    for (size_t i = 0; i < cols.size(); ++i)
      Z.col(static_cast<Eigen::Index>(i)) = mean.col(cols[i]);
    out.push_back(std::move(Z));
  }
  return out;
}

// Brain RDMs per subject (or one for components), from finite targets only.
std::pair<std::vector<std::string>, std::vector<Matrix>> brain_rdms(const data::BrainDataset& d) {
  std::vector<std::string> subjects =
      d.components ? std::vector<std::string>{"components"} : d.subjects();
  std::vector<Matrix> rdms;
  const std::vector<Matrix> responses = subject_responses(d, subjects);
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (responses[i].cols() < 2)
      throw InputError(d.source + ": subject '" + subjects[i] +
                       "' has fewer than two voxels without NaN");
    rdms.push_back(align::rdm(responses[i]));
  }
  return {subjects, rdms};
}

// Brain RDMs per subject from every one of its voxels, as the 2025 code's layerwise RSA and
// noise ceiling build them: a subject with a NaN voxel gets an RDM of NaN (numpy's z-scoring
// and np.corrcoef spread the NaN to every cell).
std::pair<std::vector<std::string>, std::vector<Matrix>> brain_rdms_every_voxel(
    const data::BrainDataset& d) {
  std::vector<std::string> subjects =
      d.components ? std::vector<std::string>{"components"} : d.subjects();
  const ColMatrix mean = d.mean_response();
  std::vector<Matrix> rdms;
  for (const auto& s : subjects) {
    std::vector<Eigen::Index> cols;
    for (Eigen::Index t = 0; t < d.n_targets(); ++t)
      if (d.components || d.targets[static_cast<size_t>(t)].subject == s) cols.push_back(t);
    Matrix Z(mean.rows(), static_cast<Eigen::Index>(cols.size()));
    for (size_t i = 0; i < cols.size(); ++i)
      Z.col(static_cast<Eigen::Index>(i)) = mean.col(cols[i]);
    if (!Z.allFinite()) {
      rdms.push_back(
          Matrix::Constant(Z.rows(), Z.rows(), std::numeric_limits<double>::quiet_NaN()));
    } else {
      if (Z.cols() < 2)
        throw InputError(d.source + ": subject '" + s + "' has fewer than two voxels");
      rdms.push_back(align::rdm(Z));
    }
  }
  return {subjects, rdms};
}

// The voxels a protocol analyses (see VoxelSelection): every voxel for pepino2025 as
// published, else those measured in every scan. Empty when that is the whole dataset.
std::optional<data::BrainDataset> analysed_voxels(const data::BrainDataset& d, Protocol protocol,
                                                  VoxelSelection selection) {
  if (protocol == Protocol::Pepino2025 && selection == VoxelSelection::Published) return {};
  const std::vector<int> keep = d.every_scan_targets();
  if (static_cast<Eigen::Index>(keep.size()) == d.n_targets()) return {};
  return d.subset(keep);
}

Matrix rows_in_order(const Matrix& m, const std::vector<int>& order) {
  Matrix out(static_cast<Eigen::Index>(order.size()), m.cols());
  for (size_t i = 0; i < order.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = m.row(order[i]);
  return out;
}

// The categories in the order in which the 2023 RSA groups its sounds (`sound_category_order`
// of the published code; the blocks of natsound165/category_labels.csv follow it too).
constexpr std::array<std::string_view, 11> kSoundCategoryOrder = {
    "Music",     "Song",      "EngSpeech", "ForSpeech",  "HumVoc",  "AniVoc",
    "HumNonVoc", "AniNonVoc", "Nature",    "Mechanical", "EnvSound"};

// The 2023 RSA sorts the sounds into category blocks (in kSoundCategoryOrder), keeping the
// published order (data::published_order) inside each block, and applies its split indices to
// that order; the categories come from natsound165/category_labels.csv when it names every
// stimulus, else the published order is used. Explicit splits refer to the dataset's own rows.
std::pair<std::vector<int>, std::vector<align::TrainTestSplit>> tuckute2023_rsa_layout(
    const data::BrainDataset& d, const ScoreOptions& options) {
  std::vector<int> order(static_cast<size_t>(d.n_stimuli()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::vector<align::TrainTestSplit> splits;
  if (options.splits_csv || (options.train_splits && options.test_splits)) {
    const StimulusSplits explicit_splits = split_assignment(options, d);
    for (size_t k = 0; k < explicit_splits.train.size(); ++k) {
      align::TrainTestSplit split;
      split.train.assign(explicit_splits.train[k].begin(), explicit_splits.train[k].end());
      split.test.assign(explicit_splits.test[k].begin(), explicit_splits.test[k].end());
      splits.push_back(std::move(split));
    }
    return {order, splits};
  }
  order = data::published_order(d);
  const fs::path categories = data::data_root() / "natsound165" / "category_labels.csv";
  if (fs::exists(categories)) {
    const io::CsvTable table = io::read_csv(categories, false);
    std::unordered_map<std::string, std::string> category_of;
    for (const auto& row : table.rows)
      if (row.size() >= 2) category_of[data::stimulus_name(row.at(0))] = row.at(1);
    const bool covered = std::all_of(d.stimuli.begin(), d.stimuli.end(), [&](const std::string& s) {
      return category_of.count(s) > 0;
    });
    if (covered) {
      std::vector<int> rank(order.size());
      for (size_t i = 0; i < d.stimuli.size(); ++i) {
        const std::string& category = category_of.at(d.stimuli[i]);
        const auto it = std::find(kSoundCategoryOrder.begin(), kSoundCategoryOrder.end(), category);
        if (it == kSoundCategoryOrder.end())
          throw InputError(categories.string() + ", stimulus '" + d.stimuli[i] + "': category '" +
                           category + "' is not one of the 2023 RSA's 11 categories");
        rank[i] = static_cast<int>(it - kSoundCategoryOrder.begin());
      }
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return rank[static_cast<size_t>(a)] < rank[static_cast<size_t>(b)];
      });
    }
  }
  const int S = static_cast<int>(d.n_stimuli());
  return {order, align::tuckute2023_splits(S, 10, (S + 1) / 2, S / 2, 0)};
}

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The targets the 2023 voxel-wise analysis scores, and where each of `selected`'s targets sits
// among them: `selected` itself without an ROI (no dataset returned); with one, every finite
// target of `full`, since the published analysis draws its random masks over all voxels and
// filters by ROI afterwards.
std::pair<std::optional<data::BrainDataset>, std::vector<Eigen::Index>> tuckute2023_scored_targets(
    const data::BrainDataset& full, const data::BrainDataset& selected, const std::string& roi) {
  std::vector<Eigen::Index> column;
  if (roi.empty()) {
    for (Eigen::Index t = 0; t < selected.n_targets(); ++t) column.push_back(t);
    return {std::nullopt, column};
  }
  const std::vector<int> finite = full.finite_targets();
  for (size_t i = 0; i < finite.size(); ++i)
    if (lowercase(full.targets[static_cast<size_t>(finite[i])].roi) == lowercase(roi))
      column.push_back(static_cast<Eigen::Index>(i));
  if (static_cast<Eigen::Index>(column.size()) != selected.n_targets())
    throw InputError(full.source + ": the ROI '" + roi + "' selects " +
                     std::to_string(selected.n_targets()) + " finite voxels, the labels " +
                     std::to_string(column.size()));
  return {full.subset(finite), column};
}

align::Tuckute2023Rsa tuckute2023_rsa_for(const data::BrainDataset& d,
                                          const std::vector<Matrix>& layers,
                                          const ScoreOptions& options) {
  const auto [order, splits] = tuckute2023_rsa_layout(d, options);
  const std::vector<std::string> subjects =
      d.components ? std::vector<std::string>{"components"} : d.subjects();
  std::vector<Matrix> participants;
  for (const auto& m : subject_responses(d, subjects))
    participants.push_back(rows_in_order(m, order));
  std::vector<Matrix> features;
  for (const auto& X : layers) features.push_back(rows_in_order(X, order));
  return align::tuckute2023_rsa(participants, features, splits);
}

}  // namespace

ScoreResult score(const features::FeatureSet& features, const data::BrainDataset& given_dataset,
                  const ScoreOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.analysis == Analysis::Components && !given_dataset.components)
    throw ArgumentError("analysis", "components needs a component dataset (nh2015comp); '" +
                                        given_dataset.name + "' holds voxels");
  if (options.analysis == Analysis::Voxelwise && given_dataset.components)
    throw ArgumentError("analysis", "voxelwise needs a voxel dataset; '" + given_dataset.name +
                                        "' holds components (its analysis is components)");

  const std::optional<data::BrainDataset> reduced =
      analysed_voxels(given_dataset, options.protocol, options.voxel_selection);
  const data::BrainDataset& full_dataset = reduced ? *reduced : given_dataset;
  data::BrainDataset dataset =
      options.roi.empty() ? full_dataset : full_dataset.select_roi(options.roi);
  const std::vector<int> finite = dataset.finite_targets();
  const auto skipped = dataset.n_targets() - static_cast<Eigen::Index>(finite.size());
  if (finite.empty()) throw InputError(dataset.source + ": every target has a NaN response");
  if (options.analysis != Analysis::Rsa && skipped > 0) dataset = dataset.subset(finite);

  const std::vector<Matrix> layers = features::align_to_stimuli(features, dataset.stimuli);
  const auto layer_names = features.layer_names();

  ScoreResult result;
  ScoreSummary& summary = result.summary;
  summary.protocol = options.protocol;
  summary.analysis = options.analysis;
  summary.dataset = dataset.name;
  summary.features = features.source;
  summary.layers = layer_names;
  summary.n_stimuli = dataset.n_stimuli();
  summary.roi = options.roi;
  summary.n_voxels_used = dataset.n_targets() - (options.analysis == Analysis::Rsa ? skipped : 0);
  summary.n_voxels_skipped = skipped;
  auto report = [&](const std::string& stage) {
    return [&options, stage](int done, int total) {
      if (options.progress) options.progress(stage, done, total);
    };
  };

  const std::vector<std::string> subjects = dataset.subjects();
  const bool regression = options.analysis != Analysis::Rsa;

  if (regression && options.protocol == Protocol::Pepino2025) {
    const std::vector<int> folds = fold_assignment(options, dataset);
    align::NestedRidgeOptions o;
    o.threads = options.threads;
    o.progress = report("outer folds");
    const ColMatrix targets = dataset.mean_response();
    const align::NestedRidgeResult r = align::nested_ridge_regression(layers, targets, folds, o);
    const int K = static_cast<int>(r.chosen_layer.rows());
    for (Eigen::Index t = 0; t < dataset.n_targets(); ++t) {
      const auto& tg = dataset.targets[static_cast<size_t>(t)];
      TargetScore target{tg.id, tg.subject, r.score(t), {}, {}};
      for (int f = 0; f < K; ++f) {
        target.layers.push_back(layer_names[static_cast<size_t>(r.chosen_layer(f, t))]);
        target.alphas.push_back(r.chosen_alpha(f, t));
      }
      result.targets.push_back(std::move(target));
      if (options.detail)
        for (int f = 0; f < K; ++f)
          result.detail.rows.push_back(
              {tg.id, std::to_string(f), layer_names[static_cast<size_t>(r.chosen_layer(f, t))],
               io::format_double(r.chosen_alpha(f, t)), io::format_double(r.inner_score(f, t))});
    }
    if (options.detail)
      result.detail.header = {"voxel_id", "fold", "layer", "alpha", "inner_score"};
    if (dataset.components) {
      summarise_components(summary, dataset, r.score);
    } else {
      summarise_subjects(summary, subjects, subject_medians(dataset, subjects, r.score));
    }
  } else if (regression) {
    // The published analysis draws its selection masks and tie-breaks voxel by voxel over
    // every voxel of the dataset and reads an ROI off the result: with an ROI, every finite
    // voxel is scored, and `column[t]` locates the ROI's target t among them.
    const auto [whole, column] = tuckute2023_scored_targets(full_dataset, dataset, options.roi);
    const data::BrainDataset& scored = whole ? *whole : dataset;
    const StimulusSplits splits = split_assignment(options, scored);
    align::NoiseCorrectedOptions o;
    o.threads = options.threads;
    o.correct = !scored.components && scored.repetitions.size() >= 2;
    o.progress = report("layer x split");
    const std::vector<ColMatrix> reps =
        o.correct ? scored.repetitions : std::vector<ColMatrix>{scored.mean_response()};
    const auto per_layer =
        align::noise_corrected_regression(layers, reps, splits.train, splits.test, o);
    const align::LayerSelection all = align::select_layer_held_out(per_layer, 10);
    align::LayerSelection sel;
    sel.value.resize(all.value.rows(), dataset.n_targets());
    sel.best_layer.resize(all.best_layer.rows(), dataset.n_targets());
    for (Eigen::Index t = 0; t < dataset.n_targets(); ++t) {
      sel.value.col(t) = all.value.col(column[static_cast<size_t>(t)]);
      sel.best_layer.col(t) = all.best_layer.col(column[static_cast<size_t>(t)]);
    }
    const Vector value = sel.value.colwise().mean().transpose();
    for (Eigen::Index t = 0; t < dataset.n_targets(); ++t) {
      const auto& tg = dataset.targets[static_cast<size_t>(t)];
      TargetScore target{tg.id, tg.subject, value(t), {}, {}};
      for (Eigen::Index it = 0; it < sel.best_layer.rows(); ++it)
        target.layers.push_back(layer_names[static_cast<size_t>(sel.best_layer(it, t))]);
      const auto& first = per_layer[static_cast<size_t>(sel.best_layer(0, t))];
      for (Eigen::Index k = 0; k < first.alpha.rows(); ++k)
        target.alphas.push_back(first.alpha(k, column[static_cast<size_t>(t)]));
      result.targets.push_back(std::move(target));
    }
    if (options.detail) {
      result.detail.header = {"voxel_id",        "layer", "split", "score",
                              "score_corrected", "alpha", "rv",    "rv_hat"};
      for (Eigen::Index t = 0; t < dataset.n_targets(); ++t) {
        const Eigen::Index c = column[static_cast<size_t>(t)];
        for (size_t l = 0; l < per_layer.size(); ++l)
          for (Eigen::Index k = 0; k < per_layer[l].r2.rows(); ++k)
            result.detail.rows.push_back({dataset.targets[static_cast<size_t>(t)].id,
                                          layer_names[l], std::to_string(k),
                                          io::format_double(per_layer[l].r2(k, c)),
                                          io::format_double(per_layer[l].corrected(k, c)),
                                          io::format_double(per_layer[l].alpha(k, c)),
                                          io::format_double(per_layer[l].rv(k, c)),
                                          io::format_double(per_layer[l].rv_hat(k, c))});
      }
    }
    if (dataset.components) {
      summarise_components(summary, dataset, value);
    } else {
      // Per iteration: each subject's median over its voxels; then the mean over iterations.
      std::vector<double> per_subject(subjects.size(), 0.0);
      for (Eigen::Index it = 0; it < sel.value.rows(); ++it) {
        const auto med = subject_medians(dataset, subjects, sel.value.row(it).transpose());
        for (size_t s = 0; s < subjects.size(); ++s)
          per_subject[s] += med[s] / static_cast<double>(sel.value.rows());
      }
      summarise_subjects(summary, subjects, per_subject);
    }
  } else {
    // RSA.
    const RsaMethod rsa_method = options.rsa_method.value_or(default_rsa_method(options.protocol));
    summary.rsa_method = rsa_method;
    // The published layerwise RSA never applies its NaN-voxel mask (see VoxelSelection).
    const bool every_voxel = options.protocol == Protocol::Pepino2025 &&
                             rsa_method == RsaMethod::Layerwise &&
                             options.voxel_selection == VoxelSelection::Published;
    auto [rsa_subjects, subject_rdms] =
        every_voxel ? brain_rdms_every_voxel(dataset) : brain_rdms(dataset);
    std::vector<Matrix> layer_rdms;
    for (const auto& X : layers) layer_rdms.push_back(align::rdm(X));
    if (options.protocol == Protocol::Tuckute2023) {
      const align::Tuckute2023Rsa r = tuckute2023_rsa_for(dataset, layers, options);
      std::vector<double> values(r.participant_score.data(),
                                 r.participant_score.data() + r.participant_score.size());
      for (size_t s = 0; s < rsa_subjects.size(); ++s) {
        std::vector<std::string> chosen;
        for (int l : r.best_layer[s])
          chosen.push_back(l >= 0 ? layer_names[static_cast<size_t>(l)] : "none");
        result.targets.push_back({rsa_subjects[s], rsa_subjects[s], values[s], chosen, {}});
      }
      summarise_subjects(summary, rsa_subjects, values);
      if (options.detail) {
        result.detail.header = {"subject", "split", "layer", "train_value", "test_value"};
        for (size_t s = 0; s < rsa_subjects.size(); ++s)
          for (Eigen::Index k = 0; k < r.train_values[s].rows(); ++k)
            for (size_t l = 0; l < layer_names.size(); ++l)
              result.detail.rows.push_back(
                  {rsa_subjects[s], std::to_string(k), layer_names[l],
                   io::format_double(r.train_values[s](k, static_cast<Eigen::Index>(l))),
                   io::format_double(r.test_values[s](k, static_cast<Eigen::Index>(l)))});
      }
      summary.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return result;
    }
    if (rsa_method == RsaMethod::CrossValidated) {
      const std::vector<int> folds = fold_assignment(options, dataset);
      std::vector<double> values;
      if (options.detail) result.detail.header = {"subject", "fold_pair", "layer"};
      for (size_t s = 0; s < subject_rdms.size(); ++s) {
        const align::CrossValidatedRsa r =
            align::rsa_crossvalidated(subject_rdms[s], layer_rdms, folds);
        values.push_back(r.score);
        std::vector<std::string> chosen;
        for (int l : r.chosen_layers) chosen.push_back(layer_names[static_cast<size_t>(l)]);
        result.targets.push_back({rsa_subjects[s], rsa_subjects[s], r.score, chosen, {}});
        if (options.detail)
          for (size_t p = 0; p < r.chosen_layers.size(); ++p)
            result.detail.rows.push_back({rsa_subjects[s], std::to_string(p),
                                          layer_names[static_cast<size_t>(r.chosen_layers[p])]});
      }
      summarise_subjects(summary, rsa_subjects, values);
    } else {
      const align::LayerwiseRsa r = align::rsa_layerwise(subject_rdms, layer_rdms);
      std::vector<double> values;
      for (size_t s = 0; s < subject_rdms.size(); ++s) {
        values.push_back(r.per_subject(static_cast<Eigen::Index>(s), r.best_layer));
        result.targets.push_back({rsa_subjects[s],
                                  rsa_subjects[s],
                                  values.back(),
                                  {layer_names[static_cast<size_t>(r.best_layer)]},
                                  {}});
      }
      summarise_subjects(summary, rsa_subjects, values);
      summary.value = r.best_mean;
      summary.sem = r.best_std;
      summary.best_layer = layer_names[static_cast<size_t>(r.best_layer)];
      for (size_t l = 0; l < layer_names.size(); ++l)
        summary.per_layer[layer_names[l]] = r.layer_mean(static_cast<Eigen::Index>(l));
      if (options.detail) {
        result.detail.header = {"subject", "layer", "score"};
        for (size_t s = 0; s < subject_rdms.size(); ++s)
          for (size_t l = 0; l < layer_names.size(); ++l)
            result.detail.rows.push_back(
                {rsa_subjects[s], layer_names[l],
                 io::format_double(
                     r.per_subject(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(l)))});
      }
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

json to_json(const ScoreSummary& s) {
  json j;
  j["protocol"] = to_string(s.protocol);
  j["analysis"] = to_string(s.analysis);
  if (s.rsa_method) j["rsa_method"] = to_string(*s.rsa_method);
  j["dataset"] = s.dataset;
  j["features"] = s.features;
  j["layers"] = s.layers;
  j["n_stimuli"] = s.n_stimuli;
  if (!s.roi.empty()) j["roi"] = s.roi;
  j["n_voxels_used"] = s.n_voxels_used;
  j["n_voxels_skipped"] = s.n_voxels_skipped;
  j["per_subject"] = json(json_numbers(s.per_subject));
  if (!s.per_component.empty()) j["per_component"] = json(json_numbers(s.per_component));
  j["value"] = io::json_number(s.value);
  j["sem"] = io::json_number(s.sem);
  if (!s.best_layer.empty()) {
    j["best_layer"] = s.best_layer;
    j["per_layer"] = json(json_numbers(s.per_layer));
  }
  if (s.seconds) j["seconds"] = *s.seconds;
  j["version"] = BRAINALIGN_VERSION;
  return j;
}

ScoreTable targets_table(const std::vector<TargetScore>& targets) {
  ScoreTable table;
  table.header = {"voxel_id", "subject", "score", "layers", "alphas"};
  for (const auto& t : targets) {
    std::vector<std::string> alphas;
    for (double alpha : t.alphas) alphas.push_back(io::format_double(alpha));
    table.rows.push_back(
        {t.id, t.subject, io::format_double(t.score), join(t.layers), join(alphas)});
  }
  return table;
}

NoiseCeilingResult rsa_ceiling(const data::BrainDataset& given_dataset, const std::string& roi,
                               Protocol protocol, VoxelSelection voxel_selection) {
  const std::optional<data::BrainDataset> reduced =
      analysed_voxels(given_dataset, protocol, voxel_selection);
  const data::BrainDataset& full_dataset = reduced ? *reduced : given_dataset;
  // The 2025 code's ceiling ignores its ROI argument (each subject's RDM from every voxel):
  // reproduced under the published voxel selection, the ROI's voxels under the cleaned one.
  const bool roi_applied = !roi.empty() && !(protocol == Protocol::Pepino2025 &&
                                             voxel_selection == VoxelSelection::Published);
  std::optional<data::BrainDataset> in_roi;  // an unknown ROI is an error either way
  if (!roi.empty()) in_roi = full_dataset.select_roi(roi);
  const data::BrainDataset& dataset = roi_applied ? *in_roi : full_dataset;
  if (dataset.components)
    throw InputError("the RSA noise ceiling needs a voxel dataset with subjects");
  NoiseCeilingResult out;
  out.protocol = protocol;
  out.dataset = dataset.name;
  out.roi = roi;
  out.roi_applied = roi_applied;
  if (protocol == Protocol::Tuckute2023) {
    ScoreOptions options;
    const auto [order, splits] = tuckute2023_rsa_layout(dataset, options);
    const auto subjects = dataset.subjects();
    std::vector<Matrix> participants;
    for (const auto& m : subject_responses(dataset, subjects))
      participants.push_back(rows_in_order(m, order));
    const align::Tuckute2023Ceiling c = align::tuckute2023_rsa_ceiling(participants, splits);
    for (size_t i = 0; i < subjects.size(); ++i)
      out.per_subject[subjects[i]] = c.participant_value(static_cast<Eigen::Index>(i));
    out.value = c.summary.mean;
    out.sem = c.summary.error;
    return out;
  }
  // As published, each subject's RDM from all its voxels: a subject with a NaN voxel is dropped.
  auto [subjects, rdms] = voxel_selection == VoxelSelection::Published
                              ? brain_rdms_every_voxel(dataset)
                              : brain_rdms(dataset);
  const align::NoiseCeiling c = align::rsa_noise_ceiling(rdms);
  for (size_t i = 0; i < c.kept_subjects.size(); ++i)
    out.per_subject[subjects[static_cast<size_t>(c.kept_subjects[i])]] =
        c.per_subject(static_cast<Eigen::Index>(i));
  out.value = c.summary.mean;
  out.sem = c.summary.error;
  out.n_subjects_dropped = static_cast<std::int64_t>(subjects.size() - c.kept_subjects.size());
  return out;
}

json to_json(const NoiseCeilingResult& c) {
  json j;
  j["protocol"] = to_string(c.protocol);
  j["dataset"] = c.dataset;
  if (!c.roi.empty()) {
    j["roi"] = c.roi;
    j["roi_applied"] = c.roi_applied;
  }
  j["analysis"] = "rsa_noise_ceiling";
  j["per_subject"] = json(json_numbers(c.per_subject));
  j["value"] = io::json_number(c.value);
  j["sem"] = io::json_number(c.sem);
  if (c.n_subjects_dropped) j["n_subjects_dropped"] = *c.n_subjects_dropped;
  j["version"] = BRAINALIGN_VERSION;
  return j;
}

namespace {

// Writes voxels.csv, detail.csv (when given) and summary.json into `dir`. Every file reaches
// the disk before the folder changes, so a failed write (a full disk) leaves an earlier result
// whole; summary.json leaves first and returns last, so a folder holding one is complete even
// if the process dies between the renames.
void write_result_files(const fs::path& dir, const ScoreTable& voxels_table,
                        const ScoreTable* detail_table, const json& summary_json) {
  fs::create_directories(dir);
  io::AtomicFile voxels(dir / "voxels.csv");
  voxels.write(io::format_csv(voxels_table.header, voxels_table.rows));
  std::optional<io::AtomicFile> detail;
  if (detail_table) {
    detail.emplace(dir / "detail.csv");
    detail->write(io::format_csv(detail_table->header, detail_table->rows));
  }
  io::AtomicFile summary(dir / "summary.json");
  summary.write(summary_json.dump(2) + "\n");
  remove_if_present(dir / "summary.json");
  voxels.commit();
  if (detail) {
    detail->commit();
  } else {
    remove_if_present(dir / "detail.csv");  // an earlier run's, which no longer belongs
  }
  summary.commit();
}

}  // namespace

void write_score_result(const fs::path& dir, const ScoreResult& result) {
  write_result_files(dir, targets_table(result.targets),
                     result.detail.header.empty() ? nullptr : &result.detail,
                     to_json(result.summary));
}

void write_noise_ceiling(const fs::path& dir, const NoiseCeilingResult& ceiling) {
  ScoreTable voxels;
  voxels.header = {"subject", "score"};
  for (const auto& [subject, value] : ceiling.per_subject)
    voxels.rows.push_back({subject, io::json_number(value).dump()});
  write_result_files(dir, voxels, nullptr, to_json(ceiling));
}

}  // namespace brainalign::protocols
