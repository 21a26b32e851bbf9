#include "brainalign/neural/families/hf/hf_folder.h"

#include "brainalign/base/error.h"
#include "brainalign/neural/families/hf/ast.h"
#include "brainalign/neural/families/hf/encodec.h"
#include "brainalign/neural/families/hf/speech2text.h"
#include "brainalign/neural/families/hf/wav2vec2.h"
#include "brainalign/neural/families/hf/whisper.h"
#include "brainalign/neural/formats/config.h"

namespace brainalign::neural {

const std::vector<std::string>& supported_model_types() {
  static const std::vector<std::string> types = {"wav2vec2",       "hubert",
                                                 "wavlm",          "data2vec-audio",
                                                 "whisper",        "audio-spectrogram-transformer",
                                                 "speech_to_text", "encodec"};
  return types;
}

std::unique_ptr<AudioModel> load_audio_model(const std::filesystem::path& folder,
                                             const LoadOptions& options) {
  const ModelConfig config = ModelConfig::read(folder / "config.json");
  const std::string type = config.string("model_type");
  if (type == "wav2vec2" || type == "hubert" || type == "wavlm" || type == "data2vec-audio") {
    return std::make_unique<Wav2Vec2Model>(Wav2Vec2Model::load(folder, options));
  }
  if (type == "whisper") {
    return std::make_unique<WhisperEncoder>(WhisperEncoder::load(folder, options));
  }
  if (type == "audio-spectrogram-transformer") {
    return std::make_unique<AstModel>(AstModel::load(folder, options));
  }
  if (type == "speech_to_text") {
    return std::make_unique<Speech2TextEncoder>(Speech2TextEncoder::load(folder, options));
  }
  if (type == "encodec") {
    return std::make_unique<EncodecEncoder>(EncodecEncoder::load(folder, options));
  }
  std::string known;
  for (const auto& name : supported_model_types()) known += (known.empty() ? "" : ", ") + name;
  throw InputError(config.error(
      "model_type", "is '" + type + "', which has no native port (known: " + known + ")"));
}

}  // namespace brainalign::neural
