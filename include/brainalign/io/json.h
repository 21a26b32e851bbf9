// JSON documents (configuration files, written summaries) read through nlohmann::json, with
// every parser complaint reported as brainalign's InputError.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace brainalign::io {

// Parses `text`; `source` names it in errors. Throws InputError for malformed JSON, including
// a number beyond the range of a double (nlohmann reports that as out_of_range, not as a parse
// error).
nlohmann::json parse_json(std::string_view text, const std::string& source);

// Reads and parses a JSON file. Throws IoError if it cannot be read and InputError as above.
nlohmann::json read_json(const std::filesystem::path& path);

// A double as JSON: the number, or null for NaN and infinities (which JSON cannot hold).
inline nlohmann::json json_number(double value) {
  return value == value && value - value == 0 ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace brainalign::io
