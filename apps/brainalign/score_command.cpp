#include <iostream>
#include <memory>

#include "brainalign/io/json.h"
#include "brainalign/protocols/score.h"
#include "commands.h"

namespace brainalign::cli {

Action add_score(CLI::App& app) {
  struct Args {
    std::string features, dataset, analysis, protocol = "pepino2025", rsa_method, roi, folds,
                                             splits, out, voxel_selection = "published";
    int threads = 0;
    bool detail = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--features", a->features, "Feature set: .npz, .h5 or a folder of <layer>.npy")
      ->required();
  app.add_option("--dataset", a->dataset, "Dataset path or name (nh2015comp, nh2015, b2021)")
      ->required();
  app.add_option("--analysis", a->analysis, "voxelwise, components or rsa")->required();
  app.add_option("--protocol", a->protocol, "pepino2025 or tuckute2023")->capture_default_str();
  app.add_option("--rsa-method", a->rsa_method,
                 "xval or layerwise (RSA only). Default: what the protocol's paper reports: "
                 "layerwise (the best layer's mean) for pepino2025, its Fig. 2 and Table 1; "
                 "tuckute2023 always selects the layer on each split's train sounds");
  app.add_option("--roi", a->roi, "Restrict to one ROI (Primary, Anterior, Lateral, Posterior)");
  app.add_option("--voxel-selection", a->voxel_selection,
                 "pepino2025's voxels: published (every voxel, as the 2025 code; a subject with "
                 "a NaN voxel has no layerwise RSA value) or cleaned (voxels measured in every "
                 "scan, NaN voxels left out of every RDM)")
      ->capture_default_str();
  app.add_option("--folds", a->folds, "CSV stimulus,fold (default: the published 5 folds)");
  app.add_option("--splits", a->splits,
                 "CSV stimulus,split0,... of train/test (default: the published 10 splits)");
  app.add_option("--threads", a->threads, "Threads (default: every core)");
  app.add_flag("--detail", a->detail, "Also write detail.csv with the numbers behind each score");
  app.add_flag("--quiet", a->quiet, "No progress output");
  app.add_option("--out", a->out, "Output folder")->required();
  return [a] {
    protocols::ScoreOptions o;
    o.protocol = protocols::parse_protocol(a->protocol);
    o.analysis = protocols::parse_analysis(a->analysis);
    if (!a->rsa_method.empty()) o.rsa_method = protocols::parse_rsa_method(a->rsa_method);
    o.roi = a->roi;
    o.voxel_selection = protocols::parse_voxel_selection(a->voxel_selection);
    if (!a->folds.empty()) o.folds_csv = a->folds;
    if (!a->splits.empty()) o.splits_csv = a->splits;
    o.threads = a->threads;
    o.detail = a->detail;
    if (!a->quiet) o.progress = show_progress;
    const features::FeatureSet features = features::load_feature_set(a->features);
    const data::BrainDataset dataset = data::load_dataset(a->dataset);
    const protocols::ScoreResult result = protocols::score(features, dataset, o);
    protocols::write_score_result(a->out, result);
    const auto& s = result.summary;
    std::cout << protocols::to_string(s.protocol) << " " << protocols::to_string(s.analysis)
              << " on " << s.dataset << ": " << io::json_number(s.value).dump() << " (sem "
              << io::json_number(s.sem).dump() << ")\n";
  };
}

Action add_ceiling(CLI::App& app) {
  struct Args {
    std::string dataset, roi, out, protocol = "pepino2025", voxel_selection = "published";
  };
  auto a = std::make_shared<Args>();
  app.add_option("--dataset", a->dataset, "Dataset path or name")->required();
  app.add_option("--protocol", a->protocol, "pepino2025 or tuckute2023")->capture_default_str();
  app.add_option("--roi", a->roi,
                 "Restrict to one ROI (pepino2025 published: ignored, as in the 2025 code)");
  app.add_option("--voxel-selection", a->voxel_selection,
                 "pepino2025's voxels: published (each subject's RDM from all its voxels, every "
                 "ROI; a subject with a NaN voxel is dropped) or cleaned (voxels measured in every "
                 "scan, NaN voxels left out, --roi applied)")
      ->capture_default_str();
  app.add_option("--out", a->out, "Output folder")->required();
  return [a] {
    const protocols::NoiseCeilingResult ceiling = protocols::rsa_ceiling(
        data::load_dataset(a->dataset), a->roi, protocols::parse_protocol(a->protocol),
        protocols::parse_voxel_selection(a->voxel_selection));
    protocols::write_noise_ceiling(a->out, ceiling);
    if (!ceiling.roi.empty() && !ceiling.roi_applied)
      std::cerr << "note: as in the 2025 code, the pepino2025 ceiling ignores --roi and uses every "
                   "voxel (--voxel-selection cleaned restricts it to the ROI)\n";
    std::cout << "RSA noise ceiling of " << ceiling.dataset << ": "
              << io::json_number(ceiling.value).dump() << " (sem "
              << io::json_number(ceiling.sem).dump() << ")\n";
  };
}

}  // namespace brainalign::cli
