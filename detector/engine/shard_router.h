// Which shard owns a dataset. A stable hash (FNV-1a), not std::hash, so that the assignment is
// the same on every platform and run.
#pragma once

#include <cstdint>
#include <string_view>

namespace canaryd {

class ShardRouter {
 public:
  explicit ShardRouter(int shards) : shards_(shards < 1 ? 1 : shards) {}

  int ShardOf(std::string_view dataset) const {
    std::uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : dataset) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    return static_cast<int>(h % static_cast<std::uint64_t>(shards_));
  }
  int shards() const { return shards_; }

 private:
  int shards_;
};

}  // namespace canaryd
