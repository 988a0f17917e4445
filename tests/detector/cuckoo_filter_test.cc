#include "detector/cuckoo_filter.h"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

std::vector<std::uint64_t> RandomHashes(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> hashes(static_cast<std::size_t>(n));
  for (auto& h : hashes) h = rng();
  return hashes;
}

TEST(CuckooFilterTest, InsertedKeysAreAlwaysFound) {
  CuckooFilter filter(1024);
  const std::vector<std::uint64_t> keys = RandomHashes(1, 3500);  // 85% of 4096 slots
  for (const std::uint64_t k : keys) ASSERT_TRUE(filter.Insert(k));
  EXPECT_EQ(filter.size(), keys.size());
  for (const std::uint64_t k : keys) EXPECT_TRUE(filter.MayContain(k));
}

TEST(CuckooFilterTest, FalsePositivesStayNearTheTagBound) {
  CuckooFilter filter(1024);
  for (const std::uint64_t k : RandomHashes(2, 3500)) ASSERT_TRUE(filter.Insert(k));
  // Two buckets of 4 tags at 85% load, each matching by chance with probability 2^-16:
  // 6.8 * 2^-16 = 1.0e-4. 10^6 absent keys: ~100 expected; 300 is > 19 sd away.
  int false_positives = 0;
  for (const std::uint64_t k : RandomHashes(3, 1000000)) false_positives += filter.MayContain(k);
  EXPECT_LT(false_positives, 300);
  EXPECT_GT(false_positives, 20);  // the tags really are 16 bits, not wider
}

TEST(CuckooFilterTest, EraseRemovesOneCopy) {
  CuckooFilter filter(4);
  const std::uint64_t k = 0xABCD'0000'0000'0003ULL;
  ASSERT_TRUE(filter.Insert(k));
  ASSERT_TRUE(filter.Insert(k));
  EXPECT_EQ(filter.size(), 2u);
  EXPECT_TRUE(filter.Erase(k));
  EXPECT_TRUE(filter.MayContain(k));
  EXPECT_TRUE(filter.Erase(k));
  EXPECT_FALSE(filter.MayContain(k));
  EXPECT_FALSE(filter.Erase(k));
  EXPECT_EQ(filter.size(), 0u);
}

TEST(CuckooFilterTest, ZeroTagIsNotTheEmptySlot) {
  // A hash whose top 16 bits are 0 must still be stored (tag 0 marks an empty slot).
  CuckooFilter filter(2);
  const std::uint64_t k = 0x0000'1234'5678'0001ULL;
  EXPECT_FALSE(filter.MayContain(k));
  ASSERT_TRUE(filter.Insert(k));
  EXPECT_TRUE(filter.MayContain(k));
  EXPECT_TRUE(filter.Erase(k));
  EXPECT_FALSE(filter.MayContain(k));
}

TEST(CuckooFilterTest, ChurnAgreesWithAMultiset) {
  // Inserts and erases at ~80% load with relocations; every member found at every step, and
  // nothing erased lingers unless another member shares its tag and buckets.
  CuckooFilter filter(256);
  std::mt19937_64 rng(4);
  std::vector<std::uint64_t> members;
  std::unordered_map<std::uint64_t, int> count;
  const std::vector<std::uint64_t> universe = RandomHashes(5, 2000);
  for (int step = 0; step < 200000; ++step) {
    const bool add = members.size() < 400 || (members.size() < 820 && rng() % 2 == 0);
    if (add) {
      const std::uint64_t k = universe[rng() % universe.size()];
      ASSERT_TRUE(filter.Insert(k)) << step;
      members.push_back(k);
      ++count[k];
    } else {
      const std::size_t at = rng() % members.size();
      const std::uint64_t k = members[at];
      members[at] = members.back();
      members.pop_back();
      ASSERT_TRUE(filter.Erase(k)) << step;
      --count[k];
    }
    ASSERT_EQ(filter.size(), members.size());
    if (step % 97 == 0) {
      for (const std::uint64_t m : members) ASSERT_TRUE(filter.MayContain(m)) << step;
    }
  }
  int lingering = 0;
  for (const auto& [k, n] : count) {
    if (n == 0) lingering += filter.MayContain(k);
  }
  EXPECT_LT(lingering, 5);
}

TEST(CuckooFilterTest, InsertFailsWhenFullAndResetEmpties) {
  CuckooFilter filter(2);  // 8 slots
  int placed = 0;
  for (const std::uint64_t k : RandomHashes(6, 100)) {
    if (!filter.Insert(k)) break;
    ++placed;
  }
  EXPECT_LE(placed, 8);
  EXPECT_GE(placed, 4);
  filter.Reset(3);
  EXPECT_EQ(filter.bucket_count(), 4u);  // rounded up to a power of two
  EXPECT_EQ(filter.size(), 0u);
  for (const std::uint64_t k : RandomHashes(6, 100)) EXPECT_FALSE(filter.MayContain(k));
}

}  // namespace
}  // namespace canaryd
