#include "brainalign/hear/task_embeddings.h"

#include <algorithm>
#include <filesystem>

#include "brainalign/base/error.h"

namespace brainalign::hear {

TaskEmbeddings embed_task(const models::Model& model, const HearTask& task,
                          const features::ExtractOptions& options) {
  TaskEmbeddings result;
  result.sample_rate = task_sample_rate(task, model.sample_rate());
  std::vector<std::filesystem::path> files;
  for (const auto& split : task.splits) {
    for (const auto& clip : split.clips) {
      files.push_back(clip_path(task, result.sample_rate, split.name, clip.filename));
    }
  }
  features::ExtractOptions extract = options;
  extract.pooling = features::Pooling::kMean;
  const features::ExtractedFeatures features = features::extract_features(model, files, extract);
  result.layers = features.layers;
  result.computed = features.computed;
  result.from_cache = features.from_cache;
  std::size_t row = 0;
  for (const auto& split : task.splits) {
    std::vector<Matrix> layers;
    for (std::size_t l = 0; l < features.layers.size(); ++l) {
      const auto& clips = features.values[l];
      Matrix m(static_cast<Eigen::Index>(split.clips.size()), clips[row].cols());
      for (std::size_t i = 0; i < split.clips.size(); ++i) {
        m.row(static_cast<Eigen::Index>(i)) = clips[row + i].colwise().mean();
      }
      layers.push_back(std::move(m));
    }
    row += split.clips.size();
    result.splits[split.name] = std::move(layers);
  }
  return result;
}

Matrix LayerPca::transform(std::size_t layer, const Matrix& values) const {
  if (identity) return values;
  return (values.rowwise() - means[layer].transpose()) * components[layer];
}

LayerPca fit_layer_pca(const std::vector<Matrix>& train_layers) {
  LayerPca pca;
  if (train_layers.empty()) return pca;
  Eigen::Index smallest = train_layers.front().cols();
  for (const auto& layer : train_layers) {
    if (layer.cols() != smallest) pca.identity = false;
    smallest = std::min(smallest, layer.cols());
  }
  if (pca.identity) return pca;
  const Eigen::Index keep = std::min(smallest, train_layers.front().rows());
  for (const auto& layer : train_layers) {
    Vector mean = layer.colwise().mean().transpose();
    const ColMatrix centred = layer.rowwise() - mean.transpose();
    Eigen::BDCSVD<ColMatrix> svd(centred, Eigen::ComputeThinV);
    Matrix components = svd.matrixV().leftCols(keep);
    for (Eigen::Index k = 0; k < keep; ++k) {
      Eigen::Index largest = 0;
      components.col(k).cwiseAbs().maxCoeff(&largest);
      if (components(largest, k) < 0) components.col(k) *= -1.0;
    }
    pca.means.push_back(std::move(mean));
    pca.components.push_back(std::move(components));
  }
  return pca;
}

}  // namespace brainalign::hear
