#include "detector/load_deduper.h"

#include <algorithm>
#include <limits>

// Inlined: the fingerprint of a ~20-byte id is a few nanoseconds, less than a call.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace canaryd {
namespace {

constexpr std::int64_t kMinTs = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTs = std::numeric_limits<std::int64_t>::max();
// A report this many places or fewer behind the newest is placed by a walk from the back (in
// cache) rather than a binary search over the whole memory (a cold line per step).
constexpr std::size_t kNearBack = 16;

}  // namespace

LoadDeduper::LoadDeduper(DedupeOptions options)
    : options_(options), floor_ms_(kMinTs), newest_ms_(kMinTs) {
  options_.horizon_ms = std::max<std::int64_t>(options_.horizon_ms, 0);
}

std::uint64_t LoadDeduper::FingerprintOf(Arm arm, std::string_view load_id) {
  // The arm is the seed: the two arms' fingerprints of one load_id are unrelated.
  return XXH3_64bits_withSeed(load_id.data(), load_id.size(), arm == Arm::kCanary ? 1 : 0);
}

std::deque<LoadDeduper::Entry>::const_iterator LoadDeduper::LowerBound(const Entry& e) const {
  auto it = entries_.end();
  for (std::size_t walked = 0; walked < kNearBack; ++walked) {
    if (it == entries_.begin()) return it;
    const auto before = std::prev(it);
    if (*before < e) return it;
    it = before;
  }
  return std::lower_bound(entries_.begin(), it, e);
}

Delivery LoadDeduper::Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms) {
  // Checked before the lookup so the answer never depends on whether an expired entry has been
  // pruned yet.
  if (ts_ms < floor_ms_) return Delivery::kTooOld;

  const Entry e{ts_ms, FingerprintOf(arm, load_id)};
  if (entries_.empty() || entries_.back() < e) {
    entries_.push_back(e);
  } else {
    const auto at = LowerBound(e);
    if (at != entries_.end() && *at == e) return Delivery::kDuplicate;
    entries_.insert(at, e);
  }

  if (!seen_any_ || ts_ms > newest_ms_) {
    seen_any_ = true;
    newest_ms_ = ts_ms;
    const std::int64_t horizon = options_.horizon_ms;
    RaiseFloor(newest_ms_ < kMinTs + horizon ? kMinTs : newest_ms_ - horizon);
  }
  EvictOverCapacity();
  return Delivery::kFirst;
}

bool LoadDeduper::Contains(Arm arm, std::string_view load_id, std::int64_t ts_ms) const {
  // Pruning is eager whenever the floor rises, so every remembered entry is unexpired.
  const Entry e{ts_ms, FingerprintOf(arm, load_id)};
  const auto at = LowerBound(e);
  return at != entries_.end() && *at == e;
}

void LoadDeduper::RaiseFloor(std::int64_t floor_ms) {
  if (floor_ms <= floor_ms_) return;
  floor_ms_ = floor_ms;
  while (!entries_.empty() && entries_.front().ts_ms < floor_ms_) entries_.pop_front();
}

void LoadDeduper::EvictOverCapacity() {
  while (size() > options_.max_entries && !entries_.empty()) {
    const std::int64_t evicted_ts = entries_.front().ts_ms;
    entries_.pop_front();
    // Just past the evicted ts, so a redelivery of the evicted load is kTooOld instead of a second
    // kFirst. Entries sharing that ts fall below the new floor and go too: keeping them would
    // leave a ts that is both too old and remembered, and their redeliveries are kTooOld anyway.
    RaiseFloor(evicted_ts == kMaxTs ? kMaxTs : evicted_ts + 1);
  }
}

std::size_t LoadDeduper::MemoryBytes() const {
  // libstdc++'s deque holds its elements in 512-byte blocks, plus a map of block pointers.
  constexpr std::size_t kPerBlock = 512 / sizeof(Entry);
  const std::size_t blocks = entries_.size() / kPerBlock + 1;
  return sizeof(*this) + blocks * (512 + sizeof(void*));
}

}  // namespace canaryd
