#include "brainalign/data/brain_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "brainalign/base/error.h"
#include "brainalign/data/data_registry.h"
#include "brainalign/data/stimulus_name.h"
#include "brainalign/io/atomic_file.h"
#include "brainalign/io/csv.h"
#include "brainalign/io/mat.h"
#include "brainalign/io/npy.h"
#include "brainalign/io/pandas_table.h"
#include "brainalign/io/remote_files.h"

namespace brainalign::data {
namespace fs = std::filesystem;
namespace {

std::string format_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return std::to_string(v);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot be read");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Responses (stimuli x targets x repetitions, C order) into one matrix per repetition.
std::vector<ColMatrix> split_repetitions(const io::NpyArray& array, const std::string& where) {
  const auto& shape = array.shape();
  if (shape.size() != 2 && shape.size() != 3)
    throw InputError(
        where +
        ": expected responses of shape (stimuli, targets) or (stimuli, targets, repetitions)");
  const auto S = static_cast<Eigen::Index>(shape[0]);
  const auto V = static_cast<Eigen::Index>(shape[1]);
  const auto R = shape.size() == 3 ? static_cast<Eigen::Index>(shape[2]) : 1;
  if (S == 0 || V == 0 || R == 0) throw InputError(where + ": empty responses");
  const std::vector<double> values = array.to_doubles();
  std::vector<ColMatrix> reps(static_cast<size_t>(R), ColMatrix(S, V));
  for (Eigen::Index s = 0; s < S; ++s)
    for (Eigen::Index v = 0; v < V; ++v)
      for (Eigen::Index r = 0; r < R; ++r)
        reps[static_cast<size_t>(r)](s, v) = values[static_cast<size_t>((s * V + v) * R + r)];
  return reps;
}

void check_unique_stimuli(const BrainDataset& d) {
  std::set<std::string> seen;
  for (const auto& s : d.stimuli)
    if (!seen.insert(s).second) throw InputError(d.source + ": stimulus '" + s + "' appears twice");
}

// ROI labels and subjects from the release's df_roi_meta.pkl (read natively) or a CSV of it.
void apply_roi_table(BrainDataset& d, const io::CsvTable& table, bool by_position) {
  const fs::path csv_path = table.source;
  const size_t roi_col = table.column("roi_label_general");
  std::optional<size_t> id_col, subj_col;
  for (size_t c = 0; c < table.header.size(); ++c) {
    if (table.header[c] == "voxel_id") id_col = c;
    if (table.header[c] == "subj_idx") subj_col = c;
  }
  auto clean = [](const std::string& v) {
    return (v == "nan" || v == "NaN" || v == "None") ? std::string() : v;
  };
  if (by_position) {
    if (table.rows.size() != d.targets.size())
      throw InputError(csv_path.string() + ": " + std::to_string(table.rows.size()) + " rows for " +
                       std::to_string(d.targets.size()) + " voxels");
    for (size_t i = 0; i < table.rows.size(); ++i) {
      d.targets[i].roi = clean(table.rows[i][roi_col]);
      if (subj_col)
        d.targets[i].subject = format_number(
            io::parse_double(table.rows[i][*subj_col], csv_path.string() + ", subj_idx"));
    }
    return;
  }
  if (!id_col) throw InputError(csv_path.string() + ": no column 'voxel_id'");
  std::unordered_map<std::string, std::string> roi_of;
  for (const auto& row : table.rows)
    roi_of[format_number(io::parse_double(row[*id_col], csv_path.string() + ", voxel_id"))] =
        clean(row[roi_col]);
  for (auto& t : d.targets)
    if (auto it = roi_of.find(t.id); it != roi_of.end()) t.roi = it->second;
}

}  // namespace

ColMatrix BrainDataset::mean_response() const {
  ColMatrix mean = repetitions.at(0);
  for (size_t r = 1; r < repetitions.size(); ++r) mean += repetitions[r];
  return mean / static_cast<double>(repetitions.size());
}

std::vector<std::string> BrainDataset::subjects() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& t : targets)
    if (seen.insert(t.subject).second) out.push_back(t.subject);
  return out;
}

std::vector<int> BrainDataset::finite_targets() const {
  std::vector<int> keep;
  for (Eigen::Index v = 0; v < n_targets(); ++v) {
    bool finite = true;
    for (const auto& rep : repetitions) finite = finite && rep.col(v).allFinite();
    if (finite) keep.push_back(static_cast<int>(v));
  }
  return keep;
}

BrainDataset BrainDataset::subset(const std::vector<int>& target_indices) const {
  BrainDataset out;
  out.name = name;
  out.source = source;
  out.stimuli = stimuli;
  out.folds = folds;
  out.components = components;
  for (const auto& rep : repetitions) {
    ColMatrix m(rep.rows(), static_cast<Eigen::Index>(target_indices.size()));
    for (size_t i = 0; i < target_indices.size(); ++i)
      m.col(static_cast<Eigen::Index>(i)) = rep.col(target_indices[i]);
    out.repetitions.push_back(std::move(m));
  }
  for (int i : target_indices) out.targets.push_back(targets[static_cast<size_t>(i)]);
  if (!scans.empty())
    for (int i : target_indices) out.scans.push_back(scans[static_cast<size_t>(i)]);
  return out;
}

std::vector<int> BrainDataset::every_scan_targets() const {
  std::vector<int> out;
  for (size_t i = 0; i < targets.size(); ++i)
    if (scans.empty() || scans[i] >= static_cast<int>(repetitions.size()))
      out.push_back(static_cast<int>(i));
  return out;
}

BrainDataset BrainDataset::select_roi(const std::string& roi) const {
  std::vector<int> keep;
  std::set<std::string> known;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i].roi.empty()) known.insert(targets[i].roi);
    if (lower(targets[i].roi) == lower(roi)) keep.push_back(static_cast<int>(i));
  }
  if (keep.empty()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw InputError(
        source + ": no voxel has ROI '" + roi + "'" +
        (list.empty() ? " (the dataset carries no ROI labels)" : " (known: " + list + ")"));
  }
  BrainDataset out = subset(keep);
  out.name = name + ":" + roi;
  return out;
}

BrainDataset BrainDataset::first_stimuli(Eigen::Index n) const {
  BrainDataset out = *this;
  if (n >= n_stimuli()) return out;
  out.stimuli.resize(static_cast<size_t>(n));
  for (auto& rep : out.repetitions) rep = rep.topRows(n).eval();
  return out;
}

fs::path data_root() {
  if (const char* env = std::getenv("BRAINALIGN_DATA"); env && *env) return fs::path(env);
  return io::user_cache_dir();
}

BrainDataset load_nh2015_components(const fs::path& path) {
  if (!fs::exists(path)) throw InputError(path.string() + ": components file not found");
  io::MatFile mat(path);
  BrainDataset d;
  d.name = "nh2015comp";
  d.source = path.string();
  d.components = true;
  const auto R = mat.read_numeric("R");
  if (R.shape.size() != 2) throw InputError(path.string() + ", field 'R': expected a 2-D matrix");
  const auto S = static_cast<Eigen::Index>(R.shape[0]);
  const auto C = static_cast<Eigen::Index>(R.shape[1]);
  for (const auto& s : mat.read_strings("stim_names")) d.stimuli.push_back(stimulus_name(s));
  if (static_cast<Eigen::Index>(d.stimuli.size()) != S)
    throw InputError(path.string() + ", field 'stim_names': " + std::to_string(d.stimuli.size()) +
                     " names for " + std::to_string(S) + " rows of R");
  const auto names = mat.read_strings("component_names");
  if (static_cast<Eigen::Index>(names.size()) != C)
    throw InputError(path.string() + ", field 'component_names': " + std::to_string(names.size()) +
                     " names for " + std::to_string(C) + " columns of R");
  d.repetitions.push_back(Eigen::Map<const Matrix>(R.values.data(), S, C));
  for (const auto& n : names) d.targets.push_back({n, "", ""});
  check_unique_stimuli(d);
  return d;
}

BrainDataset load_release2023(const fs::path& folder) {
  const fs::path responses = folder / "voxel_features_array.npy";
  const fs::path meta = folder / "voxel_features_meta.npy";
  BrainDataset d;
  d.source = folder.string();
  d.name = folder.filename().string();
  d.repetitions = split_repetitions(io::read_npy(responses), responses.string());
  const auto S = d.repetitions[0].rows();
  const auto V = d.repetitions[0].cols();
  const io::NpyArray meta_array = io::read_npy(meta);
  const bool b2021 = fs::exists(folder / "stim_info_v4.mat");
  if (meta_array.is_structured()) {
    const auto ids = meta_array.field_doubles("voxel_id");
    const auto subj = meta_array.field_doubles("subj_idx");
    const auto reps = meta_array.field_doubles("n_reps");
    if (static_cast<Eigen::Index>(ids.size()) != V)
      throw InputError(meta.string() + ": " + std::to_string(ids.size()) + " records for " +
                       std::to_string(V) + " voxels");
    for (Eigen::Index v = 0; v < V; ++v) {
      d.targets.push_back({format_number(ids[static_cast<size_t>(v)]),
                           format_number(subj[static_cast<size_t>(v)]), ""});
      // Every voxel is kept (the 2025 code loads them all); the 2023 analyses use those
      // measured in every scan (protocols select them).
      d.scans.push_back(static_cast<int>(reps[static_cast<size_t>(v)]));
    }
  } else {
    const auto ids = meta_array.to_doubles();
    if (static_cast<Eigen::Index>(ids.size()) != V)
      throw InputError(meta.string() + ": " + std::to_string(ids.size()) + " voxel ids for " +
                       std::to_string(V) + " voxels");
    for (Eigen::Index v = 0; v < V; ++v)
      d.targets.push_back({format_number(ids[static_cast<size_t>(v)]), "", ""});
  }
  if (b2021) {
    io::MatFile mat(folder / "stim_info_v4.mat");
    for (const auto& s : mat.read_struct_field_strings("stim_info", "stim_names"))
      d.stimuli.push_back(stimulus_name(s));
  } else {
    const auto stim = io::read_npy(folder / "neural_stim_meta.npy");
    const auto files =
        stim.is_structured() ? stim.field_strings(stim.fields().front().name) : stim.to_strings();
    for (const auto& s : files) d.stimuli.push_back(stimulus_name(s));
  }
  d.release_order = true;
  if (static_cast<Eigen::Index>(d.stimuli.size()) != S)
    throw InputError(folder.string() + ": " + std::to_string(d.stimuli.size()) +
                     " stimulus names for " + std::to_string(S) + " rows of " +
                     responses.filename().string());
  // The ROI and subject of each voxel: the release's pandas pickle, or a CSV of it.
  const fs::path roi_csv = folder / "df_roi_meta.csv";
  const fs::path roi_pickle = folder / "df_roi_meta.pkl";
  if (fs::exists(roi_csv)) {
    apply_roi_table(d, io::read_csv(roi_csv), b2021);
  } else if (fs::exists(roi_pickle)) {
    apply_roi_table(d, io::read_pandas_table(roi_pickle), b2021);
  }
  if (b2021) {
    for (auto& t : d.targets)
      if (t.subject.empty())
        throw InputError(folder.string() +
                         ": B2021 voxels need their subjects from df_roi_meta.pkl (or a CSV of "
                         "it, df_roi_meta.csv), which the folder lacks");
  }
  check_unique_stimuli(d);
  // B2021's analyses use the NH2015 sounds: its first 165.
  if (b2021) d = d.first_stimuli(165);
  return d;
}

std::vector<int> published_order(const BrainDataset& d) {
  std::vector<int> order(d.stimuli.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (d.release_order) return order;
  std::unordered_map<std::string, int> position;
  const std::vector<std::string> sounds = natsound165_stimuli();
  for (size_t i = 0; i < sounds.size(); ++i) position[sounds[i]] = static_cast<int>(i);
  const auto known = static_cast<size_t>(std::count_if(
      d.stimuli.begin(), d.stimuli.end(), [&](const std::string& s) { return position.count(s); }));
  if (known == 0) return order;
  if (known != d.stimuli.size())
    throw InputError(d.source + ": " + std::to_string(known) + " of " +
                     std::to_string(d.stimuli.size()) +
                     " stimuli are natural sounds of NH2015, so the order in which the published "
                     "code indexes them cannot be established (give folds or splits explicitly)");
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return position.at(d.stimuli[static_cast<size_t>(a)]) <
           position.at(d.stimuli[static_cast<size_t>(b)]);
  });
  return order;
}

std::vector<int> read_folds(const fs::path& csv, const std::vector<std::string>& stimuli) {
  if (!fs::exists(csv))
    throw ArgumentError("folds", csv.string() +
                                     ": fold assignment not found (give a folds file, or set "
                                     "BRAINALIGN_DATA to a folder holding "
                                     "natsound165/folds_5x33.csv)");
  const io::CsvTable table = io::read_csv(csv);
  const size_t name_col = table.column("stimulus");
  const size_t fold_col = table.column("fold");
  std::unordered_map<std::string, int> fold_of;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const double f =
        io::parse_double(table.rows[r][fold_col],
                         csv.string() + ", line " + std::to_string(r + 2) + ", field 'fold'");
    if (f < 0 || f != std::floor(f) || f > 1000)
      throw InputError(csv.string() + ", line " + std::to_string(r + 2) +
                       ", field 'fold': expected a fold number 0, 1, ...");
    fold_of[stimulus_name(table.rows[r][name_col])] = static_cast<int>(f);
  }
  std::vector<int> folds;
  for (const auto& s : stimuli) {
    const auto it = fold_of.find(s);
    if (it == fold_of.end()) throw InputError(csv.string() + ": no fold for stimulus '" + s + "'");
    folds.push_back(it->second);
  }
  std::set<int> distinct(folds.begin(), folds.end());
  if (distinct.size() < 3 || *distinct.rbegin() != static_cast<int>(distinct.size()) - 1)
    throw InputError(csv.string() +
                     ": folds must be numbered 0..k-1 with k >= 3 over the dataset's stimuli");
  return folds;
}

BrainDataset load_generic_dataset(const fs::path& folder) {
  const fs::path responses = folder / "responses.npy";
  const fs::path voxels = folder / "voxels.csv";
  const fs::path stimuli = folder / "stimuli.txt";
  for (const auto& p : {responses, voxels, stimuli})
    if (!fs::exists(p))
      throw InputError(folder.string() + ": missing " + p.filename().string() +
                       " (generic layout: responses.npy, voxels.csv, stimuli.txt)");
  BrainDataset d;
  d.source = folder.string();
  d.name = folder.filename().string();
  d.repetitions = split_repetitions(io::read_npy(responses), responses.string());
  for (const auto& s : read_lines(stimuli)) d.stimuli.push_back(stimulus_name(s));
  if (static_cast<Eigen::Index>(d.stimuli.size()) != d.repetitions[0].rows())
    throw InputError(stimuli.string() + ": " + std::to_string(d.stimuli.size()) + " names for " +
                     std::to_string(d.repetitions[0].rows()) + " rows of responses.npy");
  const io::CsvTable table = io::read_csv(voxels);
  const size_t id = table.column("voxel_id");
  const size_t subject = table.column("subject");
  std::optional<size_t> roi;
  for (size_t c = 0; c < table.header.size(); ++c)
    if (table.header[c] == "roi") roi = c;
  for (const auto& row : table.rows)
    d.targets.push_back({row[id], row[subject], roi ? row[*roi] : ""});
  if (d.n_targets() != d.repetitions[0].cols())
    throw InputError(voxels.string() + ": " + std::to_string(d.targets.size()) + " rows for " +
                     std::to_string(d.repetitions[0].cols()) + " columns of responses.npy");
  check_unique_stimuli(d);
  if (fs::exists(folder / "folds.csv")) d.folds = read_folds(folder / "folds.csv", d.stimuli);
  return d;
}

void save_generic_dataset(const fs::path& folder, const BrainDataset& d) {
  fs::create_directories(folder);
  const auto S = static_cast<size_t>(d.n_stimuli());
  const auto V = static_cast<size_t>(d.n_targets());
  const auto R = d.repetitions.size();
  std::vector<double> values(S * V * R);
  for (size_t s = 0; s < S; ++s)
    for (size_t v = 0; v < V; ++v)
      for (size_t r = 0; r < R; ++r)
        values[(s * V + v) * R + r] =
            d.repetitions[r](static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(v));
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : d.targets) rows.push_back({t.id, t.subject, t.roi});
  std::string names;
  for (const auto& s : d.stimuli) names += s + "\n";
  // All three files reach the disk before any is renamed, so a failed write leaves an earlier
  // dataset in the folder whole.
  io::AtomicFile responses(folder / "responses.npy");
  responses.write(io::encode_npy(values.data(), {S, V, R}));
  io::AtomicFile voxels(folder / "voxels.csv");
  voxels.write(io::format_csv({"voxel_id", "subject", "roi"}, rows));
  io::AtomicFile stimuli(folder / "stimuli.txt");
  stimuli.write(names);
  std::optional<io::AtomicFile> folds;
  if (!d.folds.empty()) {
    std::vector<std::vector<std::string>> fold_rows;
    for (size_t s = 0; s < S; ++s) fold_rows.push_back({d.stimuli[s], std::to_string(d.folds[s])});
    folds.emplace(folder / "folds.csv");
    folds->write(io::format_csv({"stimulus", "fold"}, fold_rows));
  }
  if (folds) folds->commit();
  stimuli.commit();
  voxels.commit();
  responses.commit();
}

fs::path dataset_path(const std::string& path_or_name) {
  const std::string key = lower(path_or_name);
  const fs::path root = data_root();
  fs::path path(path_or_name);
  if (!fs::exists(path)) {
    if (key == "nh2015comp") {
      path = root / "natsound165" / "components.mat";
      if (!fs::exists(path)) path = root / "neural" / "NH2015comp" / "components.mat";
    } else if (key == "nh2015") {
      path = root / "neural" / "NH2015";
    } else if (key == "b2021") {
      path = root / "neural" / "B2021";
    } else {
      throw InputError("dataset '" + path_or_name +
                       "': no such file or folder, and not a known name "
                       "(nh2015comp, nh2015, b2021)");
    }
    if (!fs::exists(path))
      throw InputError("dataset '" + path_or_name + "': not found at " + path.string() +
                       " (set BRAINALIGN_DATA to the folder holding natsound165/ and neural/)");
  }
  return path;
}

bool holds_components(const fs::path& path) {
  return (fs::is_regular_file(path) && path.extension() == ".mat") ||
         (fs::is_directory(path) && !fs::exists(path / "voxel_features_array.npy") &&
          fs::exists(path / "components.mat"));
}

BrainDataset load_dataset(const std::string& path_or_name) {
  const std::string key = lower(path_or_name);
  const fs::path path = dataset_path(path_or_name);
  BrainDataset d;
  if (fs::is_regular_file(path) && path.extension() == ".mat") {
    d = load_nh2015_components(path);
  } else if (fs::is_directory(path) && fs::exists(path / "voxel_features_array.npy")) {
    d = load_release2023(path);
  } else if (fs::is_directory(path) && fs::exists(path / "components.mat")) {
    d = load_nh2015_components(path / "components.mat");
  } else if (fs::is_directory(path)) {
    d = load_generic_dataset(path);
  } else {
    throw InputError(
        path.string() +
        ": not a dataset (expected components.mat, a 2023 release folder or a generic folder)");
  }
  if (d.name.empty()) d.name = path_or_name;
  if (!fs::exists(fs::path(path_or_name))) d.name = key;
  return d;
}

}  // namespace brainalign::data