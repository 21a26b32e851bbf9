#include "brainalign/io/json.h"

#include <gtest/gtest.h>

#include <string>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::ScratchDir;

std::string input_error(const std::string& text) {
  try {
    parse_json(text, "config.json");
  } catch (const InputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no InputError for " << text;
  return "";
}

TEST(Json, ParsesDocuments) {
  const nlohmann::json value = parse_json(R"({"a": [1, 2.5, null], "b": "\u00e9"})", "x");
  EXPECT_EQ(value["a"][1].get<double>(), 2.5);
  EXPECT_EQ(value["b"].get<std::string>(), "\xC3\xA9");
}

TEST(Json, MalformedTextIsAnInputErrorNamingTheSource) {
  EXPECT_TRUE(contains(input_error("{\"a\": "), "config.json: not valid JSON"));
  EXPECT_TRUE(contains(input_error(""), "config.json"));
}

// Found by fuzz_json: nlohmann reports an out-of-range number as out_of_range, which escaped
// a handler for parse errors only.
TEST(Json, NumberBeyondDoubleRangeIsAnInputError) {
  EXPECT_TRUE(contains(input_error(R"({"a":1e4568})"), "number overflow"));
  ScratchDir dir;
  const std::string found = std::string(BRAINALIGN_TEST_DIR) + "/io/regressions/json/";
  EXPECT_THROW(read_json(found + "number_overflow.json"), InputError);
  EXPECT_THROW(read_json(dir / "missing.json"), IoError);
}

}  // namespace
}  // namespace brainalign::io
