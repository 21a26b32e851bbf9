#include "brainalign/neural/formats/config.h"

#include <fstream>
#include <sstream>

#include "brainalign/base/error.h"

namespace brainalign::neural {

ModelConfig ModelConfig::read(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError(path.string() + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": not valid JSON: " + e.what());
  }
  if (!json.is_object()) throw InputError(path.string() + ": not a JSON object");
  return ModelConfig(std::move(json), path.string());
}

ModelConfig::ModelConfig(nlohmann::json json, std::string source)
    : json_(std::move(json)), source_(std::move(source)) {}

bool ModelConfig::has(const std::string& key) const {
  return json_.contains(key) && !json_[key].is_null();
}

std::string ModelConfig::error(const std::string& key, const std::string& what) const {
  return source_ + ": '" + key + "' " + what;
}

const nlohmann::json& ModelConfig::value(const std::string& key) const {
  if (!has(key)) throw InputError(error(key, "is missing"));
  return json_[key];
}

namespace {

// An integer that fits std::int64_t (JSON integers above 2^63 - 1 are read as unsigned).
bool is_int64(const nlohmann::json& v) {
  return v.is_number_integer() && !(v.is_number_unsigned() &&
                                    v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX));
}

}  // namespace

std::int64_t ModelConfig::integer(const std::string& key) const {
  const auto& v = value(key);
  if (!is_int64(v)) {
    throw InputError(error(key, "must be an integer below 2^63, got " + v.dump()));
  }
  return v.get<std::int64_t>();
}

std::int64_t ModelConfig::integer(const std::string& key, std::int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

double ModelConfig::number(const std::string& key) const {
  const auto& v = value(key);
  if (!v.is_number()) throw InputError(error(key, "must be a number, got " + v.dump()));
  return v.get<double>();
}

double ModelConfig::number(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

bool ModelConfig::boolean(const std::string& key) const {
  const auto& v = value(key);
  if (!v.is_boolean()) throw InputError(error(key, "must be true or false, got " + v.dump()));
  return v.get<bool>();
}

bool ModelConfig::boolean(const std::string& key, bool fallback) const {
  return has(key) ? boolean(key) : fallback;
}

std::string ModelConfig::string(const std::string& key) const {
  const auto& v = value(key);
  if (!v.is_string()) throw InputError(error(key, "must be a string, got " + v.dump()));
  return v.get<std::string>();
}

std::string ModelConfig::string(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

std::vector<std::int64_t> ModelConfig::integers(const std::string& key) const {
  const auto& v = value(key);
  std::vector<std::int64_t> values;
  if (v.is_array()) {
    for (const auto& item : v) {
      if (!is_int64(item)) break;
      values.push_back(item.get<std::int64_t>());
    }
    if (values.size() == v.size()) return values;
  }
  throw InputError(error(key, "must be a list of integers below 2^63, got " + v.dump()));
}

}  // namespace brainalign::neural
