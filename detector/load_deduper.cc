#include "detector/load_deduper.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

// Inlined: the fingerprint of a ~20-byte id is a few nanoseconds, less than a call.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace canaryd {
namespace {

constexpr std::int64_t kMinTs = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTs = std::numeric_limits<std::int64_t>::max();
// Ids shorter than this are fingerprinted from a stack copy (the contract's ids are ~20 bytes).
constexpr std::size_t kStackIdBytes = 128;
// The filter is rebuilt larger when it is 90% full (cuckoo filters with 4-slot buckets place
// reliably up to ~95%), to 75% at most, so a rebuild is amortised over many inserts.
constexpr double kFilterMaxLoad = 0.90;
constexpr double kFilterRebuildLoad = 0.75;

}  // namespace

LoadDeduper::LoadDeduper(DedupeOptions options)
    : options_(options), floor_ms_(kMinTs), newest_ms_(kMinTs) {
  options_.horizon_ms = std::max<std::int64_t>(options_.horizon_ms, 0);
}

LoadDeduper::Fingerprint LoadDeduper::FingerprintOf(Arm arm, std::string_view load_id) {
  // The arm is hashed as the id's first byte, not as the seed: for inputs of up to 16 bytes XXH3
  // folds the seed into the input arithmetically, so seeds 0 and 1 made the ids "B1020" and
  // "C1021" (bit 0 of the first and last bytes flipped) one fingerprint and a canary load was
  // dropped as a redelivery of a baseline load. As part of the input, the arm is mixed like
  // every other byte.
  const char tag = arm == Arm::kCanary ? 'c' : 'b';
  XXH128_hash_t h;
  if (load_id.size() < kStackIdBytes) {
    char buffer[kStackIdBytes];
    buffer[0] = tag;
    std::memcpy(buffer + 1, load_id.data(), load_id.size());
    h = XXH3_128bits(buffer, load_id.size() + 1);
  } else {
    std::string buffer;
    buffer.reserve(load_id.size() + 1);
    buffer.push_back(tag);
    buffer.append(load_id);
    h = XXH3_128bits(buffer.data(), buffer.size());
  }
  return Fingerprint{h.low64, h.high64};
}

Delivery LoadDeduper::Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms) {
  // Checked before the lookup so the answer never depends on whether an expired entry has been
  // pruned yet.
  if (ts_ms < floor_ms_) return Delivery::kTooOld;

  const Fingerprint id = FingerprintOf(arm, load_id);
  Delivery delivery = Delivery::kDuplicate;
  if (!filter_.MayContain(id.low) || !Remembered(id, ts_ms)) {
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
    AddToFilter(id);
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
  const Fingerprint id = FingerprintOf(arm, load_id);
  return filter_.MayContain(id.low) && Holds(id);
}

bool LoadDeduper::Holds(const Fingerprint& id) const {
  return std::any_of(expiry_.begin(), expiry_.end(), [&](const Expiry& e) { return e.id == id; });
}

bool LoadDeduper::Remembered(const Fingerprint& id, std::int64_t ts_ms) const {
  const auto first =
      std::lower_bound(expiry_.begin(), expiry_.end(), ts_ms,
                       [](const Expiry& e, std::int64_t ts) { return e.ts_ms < ts; });
  for (auto it = first; it != expiry_.end() && it->ts_ms == ts_ms; ++it) {
    if (it->id == id) return true;
  }
  // Resent with another ts, or a chance tag match: the whole memory, about once in 10^4 reports.
  return Holds(id);
}

void LoadDeduper::AddToFilter(const Fingerprint& id) {
  const bool full = static_cast<double>(filter_.size() + 1) >
                    kFilterMaxLoad * static_cast<double>(filter_.slot_count());
  if (full || !filter_.Insert(id.low)) RebuildFilter();
}

void LoadDeduper::RebuildFilter() {
  // From the exact fingerprints, which already include the entry being added. A failed insert
  // (an unlucky table) retries twice as large.
  std::size_t buckets =
      static_cast<std::size_t>(static_cast<double>(expiry_.size()) /
                               (kFilterRebuildLoad * CuckooFilter::kSlotsPerBucket)) +
      1;
  for (;;) {
    filter_.Reset(buckets);
    bool placed_all = true;
    for (const Expiry& e : expiry_) {
      if (!filter_.Insert(e.id.low)) {
        placed_all = false;
        break;
      }
    }
    if (placed_all) return;
    buckets = filter_.bucket_count() * 2;
  }
}

void LoadDeduper::PopOldest() {
  filter_.Erase(expiry_.front().id.low);
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
  std::size_t bytes = sizeof(*this) + filter_.MemoryBytes();
  // A deque holds its elements in 512-byte blocks, plus a map of block pointers.
  constexpr std::size_t kPerBlock = 512 / sizeof(Expiry);
  const std::size_t blocks = expiry_.size() / kPerBlock + 1;
  bytes += blocks * (512 + sizeof(void*));
  return bytes;
}

}  // namespace canaryd
