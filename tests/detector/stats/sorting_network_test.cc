#include "detector/stats/sorting_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace canaryd {
namespace {

TEST(BitonicSortTest, SortsLikeStdSortWithTiesAndPadding) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> level(-20, 20);  // few distinct values: many ties
  std::uniform_int_distribution<std::size_t> length(1, 64);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::size_t n = length(rng);
    double a[64];
    std::vector<double> expected;
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = trial % 2 == 0 ? level(rng) * 0.25 : std::ldexp(static_cast<double>(rng() >> 11), -40);
      expected.push_back(a[i]);
    }
    std::fill(a + n, a + 64, std::numeric_limits<double>::max());
    BitonicSort<64>(a);
    std::sort(expected.begin(), expected.end());
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), a)) << "trial " << trial;
    ASSERT_TRUE(std::is_sorted(a, a + 64));
  }
}

TEST(BitonicSortTest, SortsIntegersOfOtherSizes) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 500; ++trial) {
    std::int64_t small[16];
    std::int64_t pair[2];
    for (auto& x : small) x = static_cast<std::int64_t>(rng() % 1000) - 500;
    pair[0] = static_cast<std::int64_t>(rng() % 3);
    pair[1] = static_cast<std::int64_t>(rng() % 3);
    std::vector<std::int64_t> expected(small, small + 16);
    std::sort(expected.begin(), expected.end());
    BitonicSort<16>(small);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), small));
    BitonicSort<2>(pair);
    ASSERT_LE(pair[0], pair[1]);
  }
}

}  // namespace
}  // namespace canaryd
