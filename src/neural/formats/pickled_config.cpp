#include "pickled_config.h"

#include <cstring>

#include "brainalign/base/error.h"

namespace brainalign::neural {

at::Tensor to_float_tensor(const double* data, std::vector<std::int64_t> shape) {
  std::int64_t count = 1;
  for (std::int64_t extent : shape) count *= extent;
  at::Tensor values = at::empty({count}, at::kDouble);
  if (count > 0) {
    std::memcpy(values.data_ptr<double>(), data, static_cast<std::size_t>(count) * sizeof(double));
  }
  return values.to(at::kFloat).reshape(shape);
}

namespace {

[[noreturn]] void bad_config(const PickleValue& config, const char* key, const char* expected) {
  throw InputError(config.source() + ": configuration entry '" + key + "' is " +
                   config.at(key).repr() + ", expected " + expected);
}

}  // namespace

std::int64_t config_int(const PickleValue& config, const char* key, std::int64_t fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() != PickleValue::Kind::kInt) bad_config(config, key, "an integer");
  return value.as_int();
}

double config_double(const PickleValue& config, const char* key, double fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() != PickleValue::Kind::kInt && value.kind() != PickleValue::Kind::kFloat) {
    bad_config(config, key, "a number");
  }
  return value.as_double();
}

bool config_bool(const PickleValue& config, const char* key, bool fallback) {
  if (!config.contains(key)) return fallback;
  const PickleValue value = config.at(key);
  if (value.kind() == PickleValue::Kind::kInt) return value.as_int() != 0;
  if (value.kind() != PickleValue::Kind::kBool) bad_config(config, key, "a bool");
  return value.as_bool();
}

}  // namespace brainalign::neural
