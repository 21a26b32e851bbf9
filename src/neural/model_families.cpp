#include "brainalign/neural/model_families.h"

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/models/registry.h"
#include "neural/families/family.h"

namespace brainalign::neural {
namespace fs = std::filesystem;

// The families, one folder of families/ each.
FamilyDefinition hf_family();
FamilyDefinition beats_family();
FamilyDefinition dasheng_family();
FamilyDefinition encodecmae_family();
FamilyDefinition vggish_family();
FamilyDefinition ast_family();
FamilyDefinition cochdnn_family();
FamilyDefinition torchscript_family();

namespace {

// In the order auto:PATH tries them. A new family is a folder of families/ defining its
// FamilyDefinition, declared here and added to this list.
const std::vector<FamilyDefinition>& definitions() {
  static const std::vector<FamilyDefinition> list = {
      hf_family(),     beats_family(), dasheng_family(), encodecmae_family(),
      vggish_family(), ast_family(),   cochdnn_family(), torchscript_family(),
  };
  return list;
}

// Checks that `path` exists and, when it is recognisably another family's, says which.
void check_path(const FamilyDefinition& family, const fs::path& path) {
  if (!fs::exists(path)) {
    throw IoError(family.prefix + ":" + path.string() + ": " + path.string() + " does not exist");
  }
  if (!family.recognises(path)) {
    for (const auto& other : definitions()) {
      if (&other != &family && other.recognises(path)) {
        throw InputError(path.string() + " is " + other.kind + ", not " + family.kind +
                         ": name it " + other.prefix + ":" + path.string() +
                         " or auto:" + path.string());
      }
    }
  }
}

// Loads `path` as a model of `family`; its own errors name the file and what is wrong with it.
std::unique_ptr<models::Model> load_as(const FamilyDefinition& family, const fs::path& path) {
  check_path(family, path);
  return family.load(path);
}

}  // namespace

void register_model_families() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& family : definitions()) {
      models::ModelFamily registered{
          family.prefix,
          family.description,
          family.recognises,
          [&family](const fs::path& path) { return load_as(family, path); },
          {}};
      if (family.load_weights != nullptr) {
        registered.load_weights = [&family](const fs::path& path, const fs::path& weights) {
          check_path(family, path);
          return family.load_weights(path, weights);
        };
      }
      models::register_model_family(std::move(registered));
    }
  });
}

}  // namespace brainalign::neural
