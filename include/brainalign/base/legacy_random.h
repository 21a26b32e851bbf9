// numpy's legacy generator (np.random.seed / RandomState) reproduced draw for draw, for the
// draws the 2023 protocol makes: seed, shuffle, permutation, choice without replacement.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace brainalign {

class LegacyRandom {
 public:
  // np.random.seed(seed): MT19937 with init_genrand(seed), the stream of std::mt19937(seed).
  explicit LegacyRandom(std::uint32_t seed) : engine_(seed) {}

  std::uint32_t next_uint32() { return static_cast<std::uint32_t>(engine_()); }
  // Two 32-bit words, the first one high, as numpy's mt19937 next_uint64.
  std::uint64_t next_uint64();
  // numpy's random_interval: a value in [0, max] by masked rejection, drawing 32-bit words when
  // max fits in 32 bits and 64-bit words otherwise.
  std::uint64_t interval(std::uint64_t max);
  // np.random.randint(0, high), high >= 1, which np.random.choice(a) of a length-high array
  // also draws: interval(high - 1), so a single choice (high = 1) draws nothing.
  std::int64_t randint(std::int64_t high);
  // np.random.random_sample(): 53 random bits from two words.
  double random_sample();

  // np.random.shuffle: Fisher-Yates from the last index down to 1.
  template <typename T>
  void shuffle(std::span<T> values) {
    for (std::size_t i = values.size(); i-- > 1;) {
      const auto j = static_cast<std::size_t>(interval(i));
      std::swap(values[i], values[j]);
    }
  }
  template <typename T>
  void shuffle(std::vector<T>& values) {
    shuffle(std::span<T>(values));
  }

  // np.random.permutation(n): a shuffled arange(n).
  std::vector<std::int64_t> permutation(std::int64_t n);
  // np.random.choice(n, k, replace=False): the first k entries of permutation(n).
  std::vector<std::int64_t> choice_without_replacement(std::int64_t n, std::int64_t k);

 private:
  std::mt19937 engine_;
};

}  // namespace brainalign
