#include "brainalign/io/json.h"

#include <fstream>
#include <sstream>

#include "brainalign/base/error.h"

namespace brainalign::io {

nlohmann::json parse_json(std::string_view text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    // The base class: malformed text throws parse_error, a number like 1e999 out_of_range.
    throw InputError(source + ": not valid JSON: " + error.what());
  }
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open " + path.string());
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) throw IoError("cannot read " + path.string());
  return parse_json(content.str(), path.string());
}

}  // namespace brainalign::io
