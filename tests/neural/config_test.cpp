// The typed getters of a model folder's config.json.
#include "brainalign/neural/formats/config.h"

#include <gtest/gtest.h>

#include <string>

#include "brainalign/base/error.h"

namespace brainalign::neural {
namespace {

std::string message_of(const ModelConfig& config, const std::string& key) {
  try {
    (void)config.integer(key);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// JSON integers above 2^63 - 1 are unsigned in nlohmann::json and were returned wrapped to
// negative sizes (2^64 - 1 became -1).
TEST(ModelConfig, IntegersBeyondInt64AreRefusedNamingTheKey) {
  const ModelConfig config(nlohmann::json::parse(R"({"hidden_size": 18446744073709551615,
      "largest": 9223372036854775807, "conv_dim": [32, 9223372036854775808]})"),
                           "model/config.json");
  EXPECT_EQ(message_of(config, "hidden_size"),
            "model/config.json: 'hidden_size' must be an integer below 2^63, got "
            "18446744073709551615");
  EXPECT_EQ(config.integer("largest"), INT64_MAX);
  EXPECT_THROW((void)config.integers("conv_dim"), InputError);
  try {
    (void)config.integers("conv_dim");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'conv_dim' must be a list of integers below 2^63"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace brainalign::neural
