#include "brainalign/base/legacy_random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "brainalign/align/splits.h"
#include "common/python_oracle.h"

namespace brainalign {
namespace {

std::vector<std::int64_t> as_int64(const nlohmann::json& values) {
  return values.get<std::vector<std::int64_t>>();
}

TEST(LegacyRandom, SameStreamAsStdMt19937) {
  LegacyRandom random(12345);
  std::mt19937 reference(12345);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(random.next_uint32(), reference());
}

TEST(LegacyRandom, MatchesNumpyForManySeedsAndSizes) {
  const std::vector<std::uint32_t> seeds = {0, 1, 2, 3, 9, 42, 1234, 65535, 4294967295u};
  const std::vector<int> sizes = {1, 2, 3, 7, 64, 65, 100, 257, 1000};
  nlohmann::json request = {{"seeds", seeds},
                            {"sizes", sizes},
                            {"n_masks", 30},
                            {"mask_length", 10},
                            {"splits", nlohmann::json::array()}};
  const nlohmann::json expected =
      testing::run_python_oracle("base/legacy_random_oracle.py", request);
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    SCOPED_TRACE("seed " + std::to_string(seeds[s]));
    const auto& e = expected["draws"][s];
    LegacyRandom random(seeds[s]);
    for (const auto& sample : e["samples"]) EXPECT_EQ(random.random_sample(), sample.get<double>());
    for (const auto& mask : e["masks"]) {
      std::vector<std::int64_t> m = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
      random.shuffle(m);
      EXPECT_EQ(m, as_int64(mask));
    }
    EXPECT_EQ(random.permutation(165), as_int64(e["permutation"]));
    EXPECT_EQ(random.choice_without_replacement(165, 83), as_int64(e["choice"]));
    for (int n : sizes) EXPECT_EQ(random.permutation(n), as_int64(e["sizes"][std::to_string(n)]));
  }
}

TEST(LegacyRandom, IntervalStaysInRangeAndUsesWideWordsForWideBounds) {
  LegacyRandom narrow(5);
  LegacyRandom wide(5);
  std::mt19937 reference(5);
  for (int i = 0; i < 100; ++i) EXPECT_LE(narrow.interval(10), 10u);
  const std::uint64_t big = (std::uint64_t{1} << 40) + 3;
  const std::uint64_t value = wide.interval(big);
  EXPECT_LE(value, big);
  EXPECT_EQ(wide.interval(0), 0u);
  // Each accepted wide draw consumes two words, high word first.
  LegacyRandom replay(5);
  std::uint64_t expected_value = 0;
  do {
    const std::uint64_t high = reference();
    const std::uint64_t low = reference();
    expected_value = ((high << 32) | low) & ((std::uint64_t{1} << 41) - 1);
  } while (expected_value > big);
  EXPECT_EQ(value, expected_value);
}

TEST(Tuckute2023Splits, MatchesThePublishedDrawingCode) {
  const std::vector<std::vector<int>> configs = {
      {10, 83, 82, 165, 0}, {5, 60, 50, 165, 3}, {4, 20, 7, 40, 11}};
  nlohmann::json request = {{"seeds", nlohmann::json::array()},
                            {"sizes", nlohmann::json::array()},
                            {"n_masks", 0},
                            {"mask_length", 10},
                            {"splits", configs}};
  const nlohmann::json expected =
      testing::run_python_oracle("base/legacy_random_oracle.py", request);
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const auto& k = configs[c];
    const auto splits =
        align::tuckute2023_splits(k[3], k[0], k[1], k[2], static_cast<std::uint32_t>(k[4]));
    ASSERT_EQ(splits.size(), expected["splits"][c].size());
    for (std::size_t s = 0; s < splits.size(); ++s) {
      EXPECT_EQ(splits[s].train, as_int64(expected["splits"][c][s]["train"]));
      EXPECT_EQ(splits[s].test, as_int64(expected["splits"][c][s]["test"]));
    }
  }
}

TEST(Tuckute2023Splits, ReproducesTheSplitFile) {
  std::ifstream in(std::string(BRAINALIGN_SHARED_DIR) + "/data/natsound165/splits_10x83.csv");
  ASSERT_TRUE(in.good());
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<std::string>> file_rows;
  std::vector<int> stimulus_numbers;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string field;
    std::vector<std::string> row;
    while (std::getline(fields, field, ',')) row.push_back(field);
    stimulus_numbers.push_back(std::stoi(row[0].substr(4, row[0].find('_') - 4)));
    file_rows.push_back(row);
  }
  ASSERT_EQ(file_rows.size(), 165u);
  ASSERT_TRUE(std::is_sorted(stimulus_numbers.begin(), stimulus_numbers.end()));

  const auto splits = align::tuckute2023_splits();
  ASSERT_EQ(splits.size(), 10u);
  for (std::size_t s = 0; s < splits.size(); ++s) {
    const std::vector<bool> train = align::index_mask(splits[s].train, 165);
    const std::vector<bool> test = align::index_mask(splits[s].test, 165);
    EXPECT_EQ(splits[s].train.size(), 83u);
    EXPECT_EQ(splits[s].test.size(), 82u);
    for (std::size_t i = 0; i < 165; ++i) {
      EXPECT_NE(train[i], test[i]);
      EXPECT_EQ(file_rows[i][s + 1], train[i] ? "train" : "test")
          << "split " << s << ", " << file_rows[i][0];
    }
  }
}

}  // namespace
}  // namespace brainalign
