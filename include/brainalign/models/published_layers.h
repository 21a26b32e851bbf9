// The layers of a neural model that the published model-brain studies used, as brainalign
// names them. A study's list depends on the family (which network) and, where the study
// sampled the layers of a deep model, on its depth; docs/neural.md has the table and how each
// study's own layer names map onto brainalign's.
#pragma once

#include <string>
#include <vector>

namespace brainalign::models {

// A neural model as far as the studies' layer lists depend on it: `family` is a Hugging Face
// model_type ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "whisper",
// "audio-spectrogram-transformer", "speech_to_text", "encodec") or a .pt family ("beats",
// "dasheng", "encodecmae", "ast"); `transformer_layers` is N of its "encoder.1" ... "encoder.N"
// (the ast: family's "Encoder_1" ... "Encoder_N").
struct StudyArchitecture {
  std::string family;
  int transformer_layers = 0;
};

// The layers `study` ("tuckute2023" or "pepino2025") took from a model of this architecture,
// in the study's order; empty when the study did not use the family, or used layers the family
// does not expose (the hf: AST conversion's in both). Throws InputError for another study.
std::vector<std::string> published_layers(const std::string& study,
                                          const StudyArchitecture& architecture);

// The same for the layer names of a registry model of `family`: N is the number of its
// "encoder.<i>" layers.
std::vector<std::string> published_layers(const std::string& study, const std::string& family,
                                          const std::vector<std::string>& layer_names);

}  // namespace brainalign::models