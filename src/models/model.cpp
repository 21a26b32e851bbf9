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

std::vector<std::string> choose_layers(const Model& model, const std::string& choice,
                                       const std::string& fallback_study) {
  if (choice.empty())
    return fallback_study.empty() ? std::vector<std::string>()
                                  : model.published_layers(fallback_study);
  if (choice == "all") return model.layer_names();
  const auto& studies = published_layer_studies();
  if (std::find(studies.begin(), studies.end(), choice) != studies.end())
    return require_published_layers(model, choice);
  const std::vector<std::string> names = model.layer_names();
  std::vector<std::string> chosen;
  std::size_t start = 0;
  while (start <= choice.size()) {
    const std::size_t comma = std::min(choice.find(',', start), choice.size());
    const std::string name = choice.substr(start, comma - start);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw ArgumentError("layers", "'" + name + "' is not a layer of model '" + model.name() +
                                        "' (its layers: " + known +
                                        "; or all, pepino2025, tuckute2023)");
    }
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) chosen.push_back(name);
    start = comma + 1;
  }
  return chosen;
}

}  // namespace brainalign::models