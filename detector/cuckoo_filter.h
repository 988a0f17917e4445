// A compact "certainly absent / maybe present" set of hashed keys: a cuckoo filter (Fan et al.,
// "Cuckoo Filter: Practically Better Than Bloom", CoNEXT 2014) with 16-bit tags in buckets of 4.
//
// Why it exists: LoadDeduper must prove for every report that its load is new, and the exact
// fingerprints of ~1,000-20,000 loads per dataset do not fit in a core's cache once a shard owns a
// few hundred datasets. The filter answers "new" from ~2-5 bytes per load, so the exact memory is
// only read for redeliveries and the rare false positive (at most 8 tags compared, each matching
// by chance with probability 2^-16: < 1.3e-4 per look-up at full load).
//
// Unlike a Bloom filter it supports deletion, which the deduper needs as loads expire. It cannot
// grow by itself (a stored tag does not say which of its two buckets is its first), so Insert
// reports failure and the owner rebuilds a larger filter from its exact keys.
//
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace canaryd {

class CuckooFilter {
 public:
  // Room for 4 * bucket_count tags; bucket_count is rounded up to a power of two (at least 1).
  explicit CuckooFilter(std::size_t bucket_count = 1);

  // `hash` is a uniform 64-bit hash of the key; its low bits choose the bucket, its high 16 the
  // tag. The same key must always bring the same hash.
  bool MayContain(std::uint64_t hash) const;

  // Adds one copy (a key inserted twice must be erased twice). false: no room was found within
  // the relocation budget, and the filter no longer holds every tag it held before: the caller
  // must Reset and re-insert its keys (into a larger filter).
  [[nodiscard]] bool Insert(std::uint64_t hash);

  // Removes one copy of a key that was inserted. false if no matching tag was found, which means
  // the key was never inserted (a caller's bug).
  bool Erase(std::uint64_t hash);

  // Empties the filter and resizes it.
  void Reset(std::size_t bucket_count);

  std::size_t size() const { return size_; }
  std::size_t bucket_count() const { return buckets_.size(); }
  std::size_t slot_count() const { return buckets_.size() * kSlotsPerBucket; }
  std::size_t MemoryBytes() const { return buckets_.capacity() * sizeof(Bucket); }

  static constexpr std::size_t kSlotsPerBucket = 4;

 private:
  // Four 16-bit tags in one word; tag 0 marks an empty slot.
  using Bucket = std::uint64_t;

  static std::uint16_t TagOf(std::uint64_t hash);
  std::size_t AltIndex(std::size_t index, std::uint16_t tag) const;
  static bool TryPlace(Bucket& bucket, std::uint16_t tag);

  std::vector<Bucket> buckets_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  // Chooses the evicted slot during relocation; seeded by a constant so runs are reproducible.
  std::uint64_t kick_state_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace canaryd
