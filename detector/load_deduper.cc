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

}  // namespace

LoadDeduper::LoadDeduper(DedupeOptions options)
    : options_(options), floor_ms_(kMinTs), newest_ms_(kMinTs) {
  options_.horizon_ms = std::max<std::int64_t>(options_.horizon_ms, 0);
}

LoadDeduper::Fingerprint LoadDeduper::FingerprintOf(Arm arm, std::string_view load_id) {
  // The arm is the seed: the two arms' fingerprints of one load_id are unrelated.
  const XXH128_hash_t h =
      XXH3_128bits_withSeed(load_id.data(), load_id.size(), arm == Arm::kCanary ? 1 : 0);
  return Fingerprint{h.low64, h.high64};
}

Delivery LoadDeduper::Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms) {
  // Checked before the lookup so the answer never depends on whether an expired entry has been
  // pruned yet.
  if (ts_ms < floor_ms_) return Delivery::kTooOld;

  const Fingerprint id = FingerprintOf(arm, load_id);
  Delivery delivery = Delivery::kDuplicate;
  if (ids_.insert(id).second) {
    // Built in place from registers: a local Expiry pushed by copy was written as two stores and
    // read back as one overlapping load, a store-forwarding stall that was half of this function.
    if (expiry_.empty() || ts_ms >= expiry_.back().ts_ms) {
      expiry_.emplace_back(ts_ms, id);
    } else {
      // Late: after the entries of the same ts, so the order stays ascending.
      const auto at =
          std::upper_bound(expiry_.begin(), expiry_.end(), ts_ms,
                           [](std::int64_t ts, const Expiry& e) { return ts < e.ts_ms; });
      expiry_.emplace(at, ts_ms, id);
    }
    delivery = Delivery::kFirst;
  }

  if (!seen_any_ || ts_ms > newest_ms_) {
    seen_any_ = true;
    newest_ms_ = ts_ms;
    const std::int64_t horizon = options_.horizon_ms;
    RaiseFloor(newest_ms_ < kMinTs + horizon ? kMinTs : newest_ms_ - horizon);
  }
  EvictOverCapacity();
  return delivery;
}

bool LoadDeduper::Contains(Arm arm, std::string_view load_id) const {
  // Pruning is eager whenever the floor rises, so every remembered entry is unexpired.
  return ids_.contains(FingerprintOf(arm, load_id));
}

void LoadDeduper::PopOldest() {
  ids_.erase(expiry_.front().id);
  expiry_.pop_front();
}

void LoadDeduper::RaiseFloor(std::int64_t floor_ms) {
  if (floor_ms <= floor_ms_) return;
  floor_ms_ = floor_ms;
  while (!expiry_.empty() && expiry_.front().ts_ms < floor_ms_) PopOldest();
}

void LoadDeduper::EvictOverCapacity() {
  while (size() > options_.max_entries && !expiry_.empty()) {
    const std::int64_t evicted_ts = expiry_.front().ts_ms;
    PopOldest();
    // Just past the evicted ts, so a redelivery of the evicted load is kTooOld instead of a second
    // kFirst. Entries sharing that ts fall below the new floor and go too: keeping them would
    // leave a ts that is both too old and remembered, and their redeliveries are kTooOld anyway.
    RaiseFloor(evicted_ts == kMaxTs ? kMaxTs : evicted_ts + 1);
  }
}

std::size_t LoadDeduper::MemoryBytes() const {
  // A slot per fingerprint plus a control byte, at the table's capacity rather than its size.
  std::size_t bytes = sizeof(*this) + ids_.capacity() * (sizeof(Fingerprint) + 1);
  // A deque holds its elements in 512-byte blocks, plus a map of block pointers.
  constexpr std::size_t kPerBlock = 512 / sizeof(Expiry);
  const std::size_t blocks = expiry_.size() / kPerBlock + 1;
  bytes += blocks * (512 + sizeof(void*));
  return bytes;
}

}  // namespace canaryd
