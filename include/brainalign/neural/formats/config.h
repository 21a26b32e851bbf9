// A model folder's config.json with typed getters whose errors name the file and the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace brainalign::neural {

class ModelConfig {
 public:
  // Throws IoError when the file cannot be read, InputError when it is not a JSON object.
  static ModelConfig read(const std::filesystem::path& path);
  // `source` names the config in error messages.
  ModelConfig(nlohmann::json json, std::string source);

  const nlohmann::json& json() const { return json_; }
  const std::string& source() const { return source_; }
  // Present and not null.
  bool has(const std::string& key) const;

  // Getters without a fallback throw InputError when the key is missing, null or of another
  // type; getters with one return it when the key is missing or null.
  std::int64_t integer(const std::string& key) const;
  std::int64_t integer(const std::string& key, std::int64_t fallback) const;
  double number(const std::string& key) const;
  double number(const std::string& key, double fallback) const;
  bool boolean(const std::string& key) const;
  bool boolean(const std::string& key, bool fallback) const;
  std::string string(const std::string& key) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  std::vector<std::int64_t> integers(const std::string& key) const;

  // An InputError message about `key`: "<source>: '<key>' <what>".
  std::string error(const std::string& key, const std::string& what) const;

 private:
  const nlohmann::json& value(const std::string& key) const;

  nlohmann::json json_;
  std::string source_;
};

}  // namespace brainalign::neural
