// torchaudio's default MFCC at 16 kHz: 40 coefficients of the dB mel spectrogram.
#include "brainalign/base/error.h"
#include "brainalign/dsp/mfcc.h"
#include "frontend_models.h"

namespace brainalign::models {
namespace {

class MfccModel final : public Model {
 public:
  std::string name() const override { return "mfcc"; }
  double sample_rate() const override { return 16000.0; }
  std::vector<std::string> layer_names() const override { return {"mfcc"}; }

  std::vector<LayerActivations> forward(const dsp::Audio& audio) const override {
    if (audio.sample_rate != sample_rate()) {
      throw InputError("mfcc: expected audio at 16000 Hz, got " +
                       std::to_string(audio.sample_rate));
    }
    Matrix frames = dsp::mfcc(audio.samples, params_).transpose();
    const Eigen::Index coefficients = frames.cols();
    return {{"mfcc", std::move(frames), {coefficients}}};
  }

 private:
  dsp::MfccParams params_;
};

}  // namespace

std::unique_ptr<Model> make_mfcc_model() { return std::make_unique<MfccModel>(); }

}  // namespace brainalign::models