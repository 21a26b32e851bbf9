// ast:FILE: YuanGongND/ast's state_dict (audioset_10_10_0.4593.pth) as a registry model, with
// the layers of Tuckute et al. (2023) and Pepino et al. (2025) (models/published_layers.cpp,
// family "ast").
#include "brainalign/neural/families/ast/original_ast.h"
#include "brainalign/neural/formats/legacy_torch_checkpoint.h"
#include "neural/families/checkpoint_family.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;
namespace {

bool ast_keys(const std::unordered_set<std::string>& keys) {
  for (const std::string prefix : {"module.", ""}) {
    if (has_keys(keys, {prefix + "v.patch_embed.proj.weight", prefix + "v.dist_token",
                        prefix + "v.blocks.0.attn.qkv.weight", prefix + "mlp_head.1.weight"})) {
      return true;
    }
  }
  return false;
}

bool recognises_ast_checkpoint(const fs::path& path) {
  if (ast_keys(checkpoint_keys(path))) return true;
  const std::vector<std::string> legacy = legacy_state_dict_keys(path);
  return ast_keys(std::unordered_set<std::string>(legacy.begin(), legacy.end()));
}

std::unique_ptr<models::Model> load_ast_model(const fs::path& checkpoint) {
  require_file(checkpoint, "AST");
  return make_registry_model(
      std::make_shared<const OriginalAstModel>(OriginalAstModel::load(checkpoint)),
      checkpoint_spec("ast", checkpoint));
}

}  // namespace

FamilyDefinition ast_family() {
  return {"ast", "an AST checkpoint",
          "YuanGongND/ast state_dict (audioset_10_10_0.4593.pth), 16 kHz, 128-bin Kaldi fbank "
          "of 1024 frames: Embedding, Encoder_1..N, Final",
          recognises_ast_checkpoint, load_ast_model};
}

}  // namespace brainalign::neural
