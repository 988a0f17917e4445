#include "detector/load_deduper.h"

#include <algorithm>
#include <limits>

namespace canaryd {
namespace {

constexpr std::int64_t kMinTs = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxTs = std::numeric_limits<std::int64_t>::max();

// Rough per-allocation overhead of glibc malloc; MemoryBytes is for accounting, not exact.
constexpr std::size_t kMallocOverhead = 16;

std::size_t OutOfLineBytes(const std::string& s) {
  static const std::size_t kInlineCapacity = std::string().capacity();
  return s.capacity() > kInlineCapacity ? s.capacity() + 1 + kMallocOverhead : 0;
}

}  // namespace

LoadDeduper::LoadDeduper(DedupeOptions options)
    : options_(options), floor_ms_(kMinTs), newest_ms_(kMinTs) {
  options_.horizon_ms = std::max<std::int64_t>(options_.horizon_ms, 0);
}

Delivery LoadDeduper::Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms) {
  // Checked before the lookup so the answer never depends on whether an expired entry has been
  // pruned yet.
  if (ts_ms < floor_ms_) return Delivery::kTooOld;

  IdSet& ids = ids_[ArmIndex(arm)];
  Delivery delivery = Delivery::kDuplicate;
  const IdProbe probe = Probe(load_id);
  if (ids.find(probe) == ids.end()) {
    IdSet::iterator it;
    if (!spare_nodes_.empty()) {
      // In steady state every new load expires an old one: its node and its id's storage are
      // reused rather than freed and allocated again.
      IdSet::node_type node = std::move(spare_nodes_.back());
      spare_nodes_.pop_back();
      node.value().load_id.assign(load_id);
      node.value().hash = probe.hash;
      it = ids.insert(std::move(node)).position;
    } else {
      it = ids.insert(Id{std::string(load_id), probe.hash}).first;
    }
    string_heap_bytes_ += OutOfLineBytes(it->load_id);
    const Expiry entry{ts_ms, &*it, arm};
    if (expiry_.empty() || ts_ms >= expiry_.back().ts_ms) {
      expiry_.push_back(entry);
    } else {
      // Late: after the entries of the same ts, so the order stays ascending.
      const auto at =
          std::upper_bound(expiry_.begin(), expiry_.end(), ts_ms,
                           [](std::int64_t ts, const Expiry& e) { return ts < e.ts_ms; });
      expiry_.insert(at, entry);
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
  const IdSet& ids = ids_[ArmIndex(arm)];
  return ids.find(Probe(load_id)) != ids.end();
}

void LoadDeduper::PopOldest() {
  const Expiry oldest = expiry_.front();
  expiry_.pop_front();
  IdSet& ids = ids_[ArmIndex(oldest.arm)];
  // Erase by iterator: erasing by a key that aliases the element being erased is a trap.
  const auto it = ids.find(*oldest.id);
  string_heap_bytes_ -= OutOfLineBytes(it->load_id);
  if (spare_nodes_.size() < kSpareNodes) {
    spare_nodes_.push_back(ids.extract(it));
  } else {
    ids.erase(it);
  }
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
  // A node is the id with its hash; the table holds a pointer and a control byte per slot.
  constexpr std::size_t kNodeBytes = sizeof(Id) + kMallocOverhead;
  std::size_t bytes = sizeof(*this) + string_heap_bytes_;
  for (const IdSet& ids : ids_) {
    bytes += ids.size() * kNodeBytes + ids.bucket_count() * (sizeof(void*) + 1);
  }
  // A deque holds its elements in 512-byte blocks, plus a map of block pointers.
  constexpr std::size_t kPerBlock = 512 / sizeof(Expiry);
  const std::size_t blocks = expiry_.size() / kPerBlock + 1;
  bytes += blocks * (512 + sizeof(void*));
  bytes += spare_nodes_.size() * kNodeBytes;
  return bytes;
}

}  // namespace canaryd
