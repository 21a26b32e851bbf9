#include "brainalign/data/brain_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "brainalign/base/error.h"
#include "brainalign/data/data_registry.h"

namespace brainalign {
namespace {

std::vector<int> identity(size_t n) {
  std::vector<int> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
  return order;
}

// The published code indexes stimuli by position in a release's order: a release's rows keep
// theirs, the 165 sounds in any other order are put back into NH2015's, other stimuli keep
// their row order, and a mixture cannot be placed.
TEST(PublishedOrder, ReleaseRowsElseNh2015sOrderElseTheRows) {
  const std::vector<std::string> sounds = data::natsound165_stimuli();
  ASSERT_EQ(sounds.size(), 165u);
  std::vector<int> shuffled = identity(sounds.size());
  std::mt19937 gen(5);
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  data::BrainDataset d;
  d.source = "test";
  for (int i : shuffled) d.stimuli.push_back(sounds[static_cast<size_t>(i)]);

  // Not in a release's order: row r holds sound shuffled[r]; position p must hold sound p.
  const std::vector<int> order = data::published_order(d);
  for (size_t p = 0; p < order.size(); ++p)
    EXPECT_EQ(d.stimuli[static_cast<size_t>(order[p])], sounds[p]) << "position " << p;

  d.release_order = true;  // the same rows as a release lists them (B2021's own order)
  EXPECT_EQ(data::published_order(d), identity(sounds.size()));

  data::BrainDataset other;
  other.source = "other";
  other.stimuli = {"stim9_b", "stim2_a", "c"};  // numbered names say nothing about an order
  EXPECT_EQ(data::published_order(other), identity(3));

  data::BrainDataset mixed = other;
  mixed.stimuli.push_back(sounds[0]);
  try {
    data::published_order(mixed);
    FAIL() << "a mixture of natural sounds and others has no published order";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("1 of 4 stimuli"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace brainalign
