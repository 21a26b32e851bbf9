// torchaudio's default mel spectrogram at 16 kHz (128 bands, 25 ms windows, 12.5 ms hop), as
// power ('melspec') and in decibels ('melspec_db').
#include "brainalign/base/error.h"
#include "brainalign/dsp/mel_spectrogram.h"
#include "frontend_models.h"

namespace brainalign::models {
namespace {

class MelModel final : public Model {
 public:
  std::string name() const override { return "mel"; }
  double sample_rate() const override { return 16000.0; }
  std::vector<std::string> layer_names() const override { return {"melspec", "melspec_db"}; }

  std::vector<LayerActivations> forward(const dsp::Audio& audio) const override {
    if (audio.sample_rate != sample_rate()) {
      throw InputError("mel: expected audio at 16000 Hz, got " + std::to_string(audio.sample_rate));
    }
    const Matrix power = dsp::mel_spectrogram(audio.samples, params_);
    Matrix db = dsp::amplitude_to_db(power).transpose();
    Matrix frames = power.transpose();
    const Eigen::Index bands = frames.cols();
    return {{"melspec", std::move(frames), {bands}}, {"melspec_db", std::move(db), {bands}}};
  }

 private:
  dsp::MelSpectrogramParams params_;
};

}  // namespace

std::unique_ptr<Model> make_mel_model() { return std::make_unique<MelModel>(); }

}  // namespace brainalign::models