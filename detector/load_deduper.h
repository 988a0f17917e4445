// Idempotency memory for one dataset: which (arm, load_id) reports have been counted, so a
// redelivered report (Kafka at-least-once, replay overlap, HTTP retry) never counts twice.
// Time is the reports' ts, never the wall clock, so replay rebuilds the same answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/node_hash_set.h>

#include "detector/sample.h"

namespace canaryd {

struct DedupeOptions {
  // How far behind the newest report a redelivery is still recognised.
  std::int64_t horizon_ms = 48LL * 3600 * 1000;
  // Hard cap on remembered loads (both arms together).
  std::size_t max_entries = 20000;
};

enum class Delivery : std::uint8_t {
  kFirst,      // count it
  kDuplicate,  // already counted: drop
  kTooOld,     // older than the memory reaches, cannot tell: drop (never risk counting twice)
};

// Not thread-safe: owned by the shard thread that owns the dataset.
//
// Invariant: every (arm, load_id) observed with ts >= floor is remembered, and every report with
// ts < floor is answered kTooOld. floor only rises: to newest_ts - horizon_ms, and, when
// max_entries forces an eviction, to just past the evicted entry's ts (entries sharing that ts go
// with it, or the invariant would break for them). A redelivery is assumed to carry its original
// ts, as the contract's (dataset, arm, load_id) key implies the same report.
//
// Memory: per remembered load, a node holding the id inline and its hash (~56 B with the
// allocator's rounding), a slot pointer and a control byte (~9 B, up to 2x at low load), an
// expiry slot (24 B) and, for ids over 15 bytes, the id's own allocation: order 100-150 B per
// entry, at most a few MB per dataset at the default cap; MemoryBytes() estimates it.
class LoadDeduper {
 public:
  explicit LoadDeduper(DedupeOptions options = {});

  // Records (arm, load_id) at report time ts_ms. kTooOld: ts_ms is older than the floor (the
  // newest ts seen - horizon, or an eviction's ts), so a redelivery could no longer be
  // recognised; the caller must drop it rather than risk counting it twice. Reports may arrive
  // out of ts order: anything at or above the floor is judged exactly.
  Delivery Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms);

  // Seen and not yet expired. Used to detect shadow pairs: the same load_id in the other arm.
  bool Contains(Arm arm, std::string_view load_id) const;

  std::size_t size() const { return ids_[0].size() + ids_[1].size(); }
  // Approximate heap bytes held, including hash-table nodes and buckets and the expiry heap.
  std::size_t MemoryBytes() const;

 private:
  // The id with its hash, computed once: libstdc++ does not cache the hash of a "fast" hasher in
  // the node, so without it every lookup re-hashed the ids in the bucket it walked, and expiring
  // an entry hashed its id again.
  struct Id {
    std::string load_id;
    std::size_t hash;
  };
  struct IdProbe {
    std::string_view load_id;
    std::size_t hash;
  };
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(const Id& id) const noexcept { return id.hash; }
    std::size_t operator()(const IdProbe& id) const noexcept { return id.hash; }
  };
  struct IdEqual {
    using is_transparent = void;
    bool operator()(const Id& a, const Id& b) const noexcept {
      return &a == &b || (a.hash == b.hash && a.load_id == b.load_id);
    }
    bool operator()(const IdProbe& a, const Id& b) const noexcept {
      return a.hash == b.hash && a.load_id == b.load_id;
    }
    bool operator()(const Id& a, const IdProbe& b) const noexcept { return (*this)(b, a); }
  };
  // Abseil's node set: elements keep their addresses (the expiry order points at them), and a
  // lookup probes a group of control bytes instead of walking a bucket chain of nodes. With
  // std::unordered_set the set was ~30% of a shard's time end to end (thread_profile.py): cache
  // misses on chain nodes and a modulo per step.
  using IdSet = absl::node_hash_set<Id, IdHash, IdEqual>;
  static IdProbe Probe(std::string_view load_id) {
    return IdProbe{load_id, std::hash<std::string_view>{}(load_id)};
  }

  // Points into an IdSet node: node-based containers keep element addresses across rehashing.
  struct Expiry {
    std::int64_t ts_ms;
    const Id* id;
    Arm arm;
  };

  static std::size_t ArmIndex(Arm arm) { return arm == Arm::kCanary ? 1 : 0; }
  void PopOldest();
  void RaiseFloor(std::int64_t floor_ms);
  void EvictOverCapacity();

  DedupeOptions options_;
  IdSet ids_[2];  // indexed by ArmIndex
  // Ascending ts. Reports arrive nearly in ts order, so a new entry goes at the back or a few
  // places before it; the oldest leaves from the front (a heap cost more per report, and touched
  // memory all over).
  std::deque<Expiry> expiry_;
  std::int64_t floor_ms_;
  std::int64_t newest_ms_;
  bool seen_any_ = false;
  std::size_t string_heap_bytes_ = 0;  // out-of-line load_id storage, for MemoryBytes
  // Nodes of expired entries, kept for the next new ids (see Observe).
  static constexpr std::size_t kSpareNodes = 2;
  std::vector<IdSet::node_type> spare_nodes_;
};

}  // namespace canaryd
