// The cochleagram under the spectemp model (211 ERB channels at 200 Hz), from the same
// published preprocessing: pooled over time it is the channels' mean envelope.
#include "brainalign/dsp/cochleagram.h"
#include "brainalign/dsp/spectemp.h"
#include "frontend_models.h"

namespace brainalign::models {
namespace {

class CochleagramModel final : public Model {
 public:
  std::string name() const override { return "cochleagram"; }
  double sample_rate() const override { return 20000.0; }
  std::vector<std::string> layer_names() const override { return {"cochleagram"}; }
  // spectemp_waveform() resamples from the native rate as the published pipeline does.
  dsp::Audio prepare(dsp::Audio audio) const override { return audio; }

  std::vector<LayerActivations> forward(const dsp::Audio& audio) const override {
    const Matrix channels_by_frames = cochleagram_.compute(dsp::spectemp_waveform(audio));
    Matrix frames = channels_by_frames.transpose();
    const Eigen::Index channels = frames.cols();
    return {{"cochleagram", std::move(frames), {channels}}};
  }

 private:
  dsp::Cochleagram cochleagram_;
};

}  // namespace

std::unique_ptr<Model> make_cochleagram_model() { return std::make_unique<CochleagramModel>(); }

}  // namespace brainalign::models