// The spectrotemporal baseline of Tuckute et al. (2023): its one layer, 'avgpool', is already
// averaged over time (111 filters x 211 channels, one frame).
#include "brainalign/dsp/spectemp.h"
#include "frontend_models.h"

namespace brainalign::models {
namespace {

class SpectempModel final : public Model {
 public:
  std::string name() const override { return "spectemp"; }
  double sample_rate() const override { return 20000.0; }
  std::vector<std::string> layer_names() const override { return {"avgpool"}; }
  // The published pipeline resamples itself (scipy's resample_poly) from the native rate.
  dsp::Audio prepare(dsp::Audio audio) const override { return audio; }
  // Both Tuckute et al. (2023, resources.py) and Pepino et al. (2025, specs.py) take 'avgpool'.
  std::vector<std::string> study_layers(const std::string&) const override { return {"avgpool"}; }

  std::vector<LayerActivations> forward(const dsp::Audio& audio) const override {
    const Matrix features = model_.features(audio);
    const Matrix row = Eigen::Map<const Matrix>(features.data(), 1, features.size());
    return {{"avgpool", row, {features.rows(), features.cols()}}};
  }

 private:
  dsp::SpectempModel model_;
};

}  // namespace

std::unique_ptr<Model> make_spectemp_model() { return std::make_unique<SpectempModel>(); }

}  // namespace brainalign::models