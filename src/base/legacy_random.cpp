#include "brainalign/base/legacy_random.h"

#include <numeric>
#include <string>

#include "brainalign/base/error.h"

namespace brainalign {

std::uint64_t LegacyRandom::next_uint64() {
  const std::uint64_t high = next_uint32();
  const std::uint64_t low = next_uint32();
  return (high << 32) | low;
}

std::uint64_t LegacyRandom::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  std::uint64_t value = 0;
  if (max <= 0xffffffffULL) {
    do {
      value = next_uint32() & mask;
    } while (value > max);
  } else {
    do {
      value = next_uint64() & mask;
    } while (value > max);
  }
  return value;
}

std::int64_t LegacyRandom::randint(std::int64_t high) {
  if (high < 1) throw InputError("randint: high must be >= 1, got " + std::to_string(high));
  return static_cast<std::int64_t>(interval(static_cast<std::uint64_t>(high - 1)));
}

double LegacyRandom::random_sample() {
  const auto high = static_cast<std::int32_t>(next_uint32() >> 5);
  const auto low = static_cast<std::int32_t>(next_uint32() >> 6);
  return (high * 67108864.0 + low) / 9007199254740992.0;
}

std::vector<std::int64_t> LegacyRandom::permutation(std::int64_t n) {
  if (n < 0) throw InputError("permutation: n must be >= 0, got " + std::to_string(n));
  std::vector<std::int64_t> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), std::int64_t{0});
  shuffle(values);
  return values;
}

std::vector<std::int64_t> LegacyRandom::choice_without_replacement(std::int64_t n, std::int64_t k) {
  if (k < 0 || k > n) {
    throw InputError("choice without replacement: cannot take " + std::to_string(k) + " of " +
                     std::to_string(n) + " items");
  }
  std::vector<std::int64_t> values = permutation(n);
  values.resize(static_cast<std::size_t>(k));
  return values;
}

}  // namespace brainalign
