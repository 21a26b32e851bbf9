#include "brainalign/models/model.h"

#include <algorithm>
#include <utility>

#include "brainalign/base/error.h"

namespace brainalign::models {

dsp::Audio Model::prepare(dsp::Audio audio) const {
  if (audio.sample_rate == sample_rate()) return audio;
  audio.samples = dsp::resample(audio.samples, audio.sample_rate, sample_rate());
  audio.sample_rate = sample_rate();
  return audio;
}

const std::vector<std::string>& published_layer_studies() {
  static const std::vector<std::string> studies = {"tuckute2023", "pepino2025"};
  return studies;
}

void check_published_layer_study(const std::string& study) {
  const auto& studies = published_layer_studies();
  if (std::find(studies.begin(), studies.end(), study) == studies.end()) {
    std::string known;
    for (const auto& name : studies) known += (known.empty() ? "" : ", ") + name;
    throw InputError("unknown study '" + study + "' for published layers (expected one of " +
                     known + ")");
  }
}

std::vector<std::string> Model::published_layers(const std::string& study) const {
  check_published_layer_study(study);
  return study_layers(study);
}

std::vector<std::string> require_published_layers(const Model& model, const std::string& study) {
  auto layers = model.published_layers(study);
  if (layers.empty()) {
    throw InputError("model '" + model.name() + "' has no published layers for study '" + study +
                     "' (the study did not use it, or used layers the model does not expose)");
  }
  return layers;
}

}  // namespace brainalign::models