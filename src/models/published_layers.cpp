// The studies' layer lists (docs/neural.md, "Layers of the published studies"):
// - Tuckute et al. 2023, gretatuckute/auditory_brain_dnn, aud_dnn/resources.py
//   (d_layer_reindex) and aud_dnn/model_specs.py (source_layer_map): 'wav2vec': Embedding,
//   Encoder_1..12, Final (= the CTC head's Logits, which brainalign does not expose); 'S2T':
//   Embedding, Encoder_1..12: the transformer's input and each layer's output. 'AST'
//   (gretatuckute/ast, src/run_model.py): Embedding, Encoder_1..12, Final: the patch
//   convolution, each block's feed-forward output projection (mlp.fc2, before the residual
//   sum) and the model's output; the ast: family exposes them under these names (the hf:
//   conversion's layers are others, so it has no list).
// - Pepino et al. 2025, mrpep/braindnn, src/specs.py (layer_map): braindnn_wav2vec2 and
//   braindnn_s2t: Embedding, Encoder_1..12; BEATs_*: <model>_0..12 (the transformer's input,
//   then each layer's output); dasheng_base*: _0..11, dasheng_06B: _0,3,..,30,31,
//   dasheng_12B: _0,4,..,36,39; mel256-ec-small: _0..4, the EnCodecMAE base models: _0..9,
//   mel256-ec-large*: _0,2,..,18,19 (index i: the output of layer i + 1). braindnn_ast: the
//   2023 study's keys of the same 14 layers (the patch convolution, Linear(3072, 768)--0..11,
//   Final), so the ast: family has the same list in both studies.
#include "brainalign/models/published_layers.h"

#include <algorithm>
#include <cctype>

#include "brainalign/models/model.h"

namespace brainalign::models {
namespace {

std::string encoder(int i) { return "encoder." + std::to_string(i); }

// "embedding", "encoder.1" ... "encoder.N".
std::vector<std::string> embedding_and_layers(int n) {
  std::vector<std::string> out{"embedding"};
  for (int i = 1; i <= n; ++i) out.push_back(encoder(i));
  return out;
}

// The outputs of layers 1, 1 + step, 1 + 2 step, ... below N, then layer N: the study's
// indices 0, step, 2 step, ..., N - 1 of layer outputs counted from 0.
std::vector<std::string> every_nth_and_last(int n, int step) {
  std::vector<std::string> out;
  for (int i = 0; i < n - 1; i += step) out.push_back(encoder(i + 1));
  out.push_back(encoder(n));
  return out;
}

// The ast: family (YuanGongND/ast's ASTModel): "Embedding", "Encoder_1" ... "Encoder_N",
// "Final", in both studies.
std::vector<std::string> ast_layers(int n) {
  std::vector<std::string> out{"Embedding"};
  for (int i = 1; i <= n; ++i) out.push_back("Encoder_" + std::to_string(i));
  out.emplace_back("Final");
  return out;
}

std::vector<std::string> tuckute2023(const StudyArchitecture& a) {
  if (a.family == "ast") return ast_layers(a.transformer_layers);
  if (a.family == "wav2vec2" || a.family == "speech_to_text") {
    return embedding_and_layers(a.transformer_layers);
  }
  return {};
}

std::vector<std::string> pepino2025(const StudyArchitecture& a) {
  const int n = a.transformer_layers;
  if (a.family == "ast") return ast_layers(n);
  if (a.family == "wav2vec2" || a.family == "speech_to_text" || a.family == "beats") {
    return embedding_and_layers(n);
  }
  if (a.family == "dasheng") {
    if (n == 32) return every_nth_and_last(n, 3);  // dasheng 0.6B
    if (n == 40) return every_nth_and_last(n, 4);  // dasheng 1.2B
    return every_nth_and_last(n, 1);               // base: every layer
  }
  if (a.family == "encodecmae") {
    if (n == 20) return every_nth_and_last(n, 2);  // large
    return every_nth_and_last(n, 1);               // small, base: every layer
  }
  return {};
}

}  // namespace

std::vector<std::string> published_layers(const std::string& study,
                                          const StudyArchitecture& architecture) {
  check_published_layer_study(study);
  if (architecture.transformer_layers <= 0) return {};
  if (study == "tuckute2023") return tuckute2023(architecture);
  return pepino2025(architecture);
}

std::vector<std::string> published_layers(const std::string& study, const std::string& family,
                                          const std::vector<std::string>& layer_names) {
  // N counts the "encoder.<i>" layers; the ast: family's are the study's "Encoder_<i>".
  const std::string prefix = family == "ast" ? "Encoder_" : "encoder.";
  const auto n = std::count_if(layer_names.begin(), layer_names.end(), [&](const auto& name) {
    return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
           std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; });
  });
  return published_layers(study, StudyArchitecture{family, static_cast<int>(n)});
}

}  // namespace brainalign::models