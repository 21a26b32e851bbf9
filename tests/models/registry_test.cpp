#include "brainalign/models/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "common/error_message.h"

namespace brainalign {
namespace {

namespace fs = std::filesystem;

// A family whose "checkpoints" are folders holding a file `front_end` that names a registered
// front end: enough to exercise prefixes, detection and loading with real models.
models::ModelFamily front_end_family(const std::string& prefix) {
  models::ModelFamily family;
  family.prefix = prefix;
  family.description = "a front end named by the file front_end";
  family.recognises = [](const fs::path& path) { return fs::exists(path / "front_end"); };
  family.load = [](const fs::path& path) {
    std::ifstream in(path / "front_end");
    std::string name;
    in >> name;
    return models::make_model(name);
  };
  return family;
}

TEST(ModelRegistry, RegisteredFrontEndsByName) {
  for (const auto& info : models::registered_models()) {
    const auto model = models::make_model(info.name);
    EXPECT_EQ(model->name(), info.name);
    EXPECT_FALSE(model->layer_names().empty());
  }
  EXPECT_NE(testing::error_message<std::runtime_error>([] {
              models::make_model("nope");
            }).find("unknown model 'nope' (known: spectemp"),
            std::string::npos);
  EXPECT_NE(testing::error_message<std::runtime_error>([] {
              models::make_model("mel", fs::path("w.pt"));
            }).find("has no weights"),
            std::string::npos);
}

TEST(ModelRegistry, FamiliesByPrefixAndByDetection) {
  const fs::path dir = fs::temp_directory_path() / "brainalign_registry_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "m");
  std::ofstream(dir / "m" / "front_end") << "mfcc";

  models::register_model_family(front_end_family("frontend"));
  EXPECT_EQ(models::make_model("frontend:" + (dir / "m").string())->name(), "mfcc");
  EXPECT_EQ(models::make_model("auto:" + (dir / "m").string())->name(), "mfcc");
  EXPECT_NE(models::describe_models().find("frontend:PATH"), std::string::npos);

  // Registering the same prefix again replaces the family.
  const auto before = models::registered_model_families().size();
  models::register_model_family(front_end_family("frontend"));
  EXPECT_EQ(models::registered_model_families().size(), before);

  fs::create_directories(dir / "empty");
  EXPECT_NE(testing::error_message<std::runtime_error>([&] {
              models::make_model("auto:" + (dir / "empty").string());
            }).find("is not a model of any known family (frontend"),
            std::string::npos);
  EXPECT_NE(testing::error_message<std::runtime_error>([&] {
              models::make_model("auto:" + (dir / "absent").string());
            }).find("does not exist"),
            std::string::npos);
  EXPECT_NE(testing::error_message<std::runtime_error>([] {
              models::make_model("nofamily:/x");
            }).find("unknown model family 'nofamily'"),
            std::string::npos);
  EXPECT_NE(testing::error_message<std::runtime_error>([] {
              models::make_model("frontend:");
            }).find("no path after"),
            std::string::npos);
  EXPECT_NE(testing::error_message<std::runtime_error>([&] {
              models::make_model("frontend:" + dir.string(), dir / "w");
            }).find("names its files itself"),
            std::string::npos);

  // check_model_name says what make_model would, without loading: the family's loader (which
  // reads the front_end file) is not called for a name that checks out.
  EXPECT_NO_THROW(models::check_model_name("spectemp"));
  EXPECT_NO_THROW(models::check_model_name("frontend:" + (dir / "empty").string()));
  EXPECT_NO_THROW(models::check_model_name("auto:" + (dir / "m").string()));
  const std::vector<std::string> bad = {"nope", "nofamily:/x",
                                        "frontend:", "auto:" + (dir / "empty").string(),
                                        "frontend:" + (dir / "absent").string()};
  for (const std::string& name : bad) {
    const std::string checked =
        testing::error_message<std::runtime_error>([&] { models::check_model_name(name); });
    EXPECT_FALSE(checked.empty()) << name;
    if (name.find("absent") == std::string::npos) {
      EXPECT_EQ(checked,
                testing::error_message<std::runtime_error>([&] { (void)models::make_model(name); }))
          << name;
    } else {
      EXPECT_NE(checked.find((dir / "absent").string() + " does not exist"), std::string::npos);
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace brainalign

namespace brainalign {
namespace {

// What --layers chooses: every layer, a study's list (an error for a model the study did not
// use), names in the given order, or nothing when neither a choice nor a fallback applies.
TEST(ChooseLayers, AllAStudyOrNames) {
  const auto mel = models::make_model("mel");
  const auto spectemp = models::make_model("spectemp");
  EXPECT_EQ(models::choose_layers(*mel, "all"), mel->layer_names());
  EXPECT_EQ(models::choose_layers(*mel, "melspec_db,melspec"),
            (std::vector<std::string>{"melspec_db", "melspec"}));
  EXPECT_EQ(models::choose_layers(*mel, "melspec,melspec"), std::vector<std::string>{"melspec"});
  EXPECT_TRUE(models::choose_layers(*mel, "").empty());
  EXPECT_TRUE(models::choose_layers(*mel, "", "pepino2025").empty());  // not in the study
  EXPECT_EQ(models::choose_layers(*spectemp, "", "pepino2025"),
            std::vector<std::string>{"avgpool"});
  EXPECT_EQ(models::choose_layers(*spectemp, "tuckute2023"), std::vector<std::string>{"avgpool"});
  try {
    models::choose_layers(*mel, "melspec,mfcc");
    FAIL() << "mfcc is not a layer of mel";
  } catch (const ArgumentError& e) {
    EXPECT_EQ(e.argument(), "layers");
    EXPECT_NE(e.detail().find("'mfcc' is not a layer of model 'mel'"), std::string::npos)
        << e.detail();
    EXPECT_NE(e.detail().find("melspec_db"), std::string::npos) << e.detail();
  }
  EXPECT_THROW(models::choose_layers(*mel, "pepino2025"), InputError);
}

}  // namespace
}  // namespace brainalign
