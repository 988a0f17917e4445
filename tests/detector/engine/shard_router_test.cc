#include "detector/engine/shard_router.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace canaryd {
namespace {

TEST(ShardRouterTest, StableAcrossCallsAndInstances) {
  const ShardRouter a(8);
  const ShardRouter b(8);
  for (int i = 0; i < 500; ++i) {
    const std::string name = "analytics.table_" + std::to_string(i);
    const int shard = a.ShardOf(name);
    EXPECT_EQ(a.ShardOf(name), shard);
    EXPECT_EQ(b.ShardOf(name), shard);
  }
}

TEST(ShardRouterTest, AlwaysInRange) {
  for (int shards = 1; shards <= 17; ++shards) {
    const ShardRouter router(shards);
    EXPECT_EQ(router.shards(), shards);
    for (const std::string& name :
         {std::string(), std::string("a"), std::string("analytics.orders"), std::string(200, 'z'),
          std::string("\xff\xfe/weird:name-1.2")}) {
      const int s = router.ShardOf(name);
      EXPECT_GE(s, 0);
      EXPECT_LT(s, shards);
    }
  }
}

TEST(ShardRouterTest, NonPositiveShardCountMeansOne) {
  for (int shards : {0, -3}) {
    const ShardRouter router(shards);
    EXPECT_EQ(router.shards(), 1);
    EXPECT_EQ(router.ShardOf("analytics.orders"), 0);
  }
}

TEST(ShardRouterTest, SpreadsDatasetsEvenly) {
  const ShardRouter router(8);
  std::vector<int> per_shard(8, 0);
  for (int i = 0; i < 8000; ++i) ++per_shard[router.ShardOf("dbt.model_" + std::to_string(i))];
  for (int n : per_shard) {
    EXPECT_GT(n, 800);
    EXPECT_LT(n, 1200);
  }
}

TEST(ShardRouterTest, SingleShardTakesEverything) {
  const ShardRouter router(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(router.ShardOf("ds" + std::to_string(i)), 0);
}

// shard_router.h documents the hash as FNV-1a (so other tools can predict the assignment):
// FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c, of "foobar" 0x85944171f73967e8 (offset basis
// 14695981039346656037, prime 1099511628211).
TEST(ShardRouterTest, IsFnv1a64) {
  const ShardRouter router(1000);
  EXPECT_EQ(router.ShardOf("a"), static_cast<int>(0xaf63dc4c8601ec8cULL % 1000));
  EXPECT_EQ(router.ShardOf("foobar"), static_cast<int>(0x85944171f73967e8ULL % 1000));
  EXPECT_EQ(router.ShardOf(""), static_cast<int>(14695981039346656037ULL % 1000));
}

}  // namespace
}  // namespace canaryd
