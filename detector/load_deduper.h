// Idempotency memory for one dataset: which (arm, load_id) reports have been counted, so a
// redelivered report (Kafka at-least-once, replay overlap, HTTP retry) never counts twice.
// Time is the reports' ts, never the wall clock, so replay rebuilds the same answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

#include "detector/cuckoo_filter.h"
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
// A load is remembered by a 128-bit fingerprint of the arm's tag byte followed by the load_id
// (XXH3-128), not by its id:
// two different loads of one dataset would have to collide in 128 bits for the second to be
// taken for a redelivery, about 1e-30 for a full memory of 20,000 loads. Keeping the ids
// themselves cost a node, often a string allocation and a chain of pointer hops per report
// (~20% of a shard's time end to end, thread_profile.py) and ~135 B per entry.
//
// The fingerprints live only in the ts-ordered expiry sequence. In front of it a cuckoo filter of
// 16-bit tags (2.2-5.3 B per load: rebuilt when 90% full, to 37.5-75%) answers "certainly new"
// for almost every first delivery without touching the sequence. Only a filter hit (a
// redelivery, or a chance tag match with probability < 1.2e-4) searches it: first among the
// entries of the report's own ts (a binary search, what a real redelivery needs), then all of
// it, so a load resent with another ts is still found (a producer that resends every report with
// a new ts pays that scan each time: correct, only slower). A hash table of the fingerprints did
// the same job exactly but spent ~370 ns per report on cache misses in ~100 KB per dataset
// (bench/RESULTS.md, session 10).
//
// Memory: per remembered load, a 24-byte expiry entry and 2.2-5.3 B of filter; MemoryBytes()
// estimates it.
class LoadDeduper {
 public:
  explicit LoadDeduper(DedupeOptions options = {});

  // Records (arm, load_id) at report time ts_ms. kTooOld: ts_ms is older than the floor (the
  // newest ts seen - horizon, or an eviction's ts), so a redelivery could no longer be
  // recognised; the caller must drop it rather than risk counting it twice. Reports may arrive
  // out of ts order: anything at or above the floor is judged exactly.
  Delivery Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms);

  // Seen and not yet expired. A scan of the whole memory on a filter hit: for tests and
  // diagnostics, not the data path.
  bool Contains(Arm arm, std::string_view load_id) const;

  std::size_t size() const { return expiry_.size(); }
  // Approximate heap bytes held: the filter and the expiry order.
  std::size_t MemoryBytes() const;

 private:
  struct Fingerprint {
    std::uint64_t low;
    std::uint64_t high;
    bool operator==(const Fingerprint&) const = default;
  };
  static Fingerprint FingerprintOf(Arm arm, std::string_view load_id);

  struct Expiry {
    Expiry(std::int64_t ts, Fingerprint fingerprint) : ts_ms(ts), id(fingerprint) {}
    std::int64_t ts_ms;
    Fingerprint id;
  };

  // Whether `id` is in the expiry sequence; `ts_ms` is where a redelivery would normally be.
  bool Remembered(const Fingerprint& id, std::int64_t ts_ms) const;
  // The same, by a scan of the whole sequence.
  bool Holds(const Fingerprint& id) const;
  void AddToFilter(const Fingerprint& id);
  void RebuildFilter();
  void PopOldest();
  void RaiseFloor(std::int64_t floor_ms);
  void EvictOverCapacity();

  DedupeOptions options_;
  // A tag of every entry in expiry_, keyed by the fingerprint's low half.
  CuckooFilter filter_;
  // Ascending ts. Reports arrive nearly in ts order, so a new entry goes at the back or a few
  // places before it; the oldest leaves from the front (a heap cost more per report, and touched
  // memory all over).
  std::deque<Expiry> expiry_;
  std::int64_t floor_ms_;
  std::int64_t newest_ms_;
  bool seen_any_ = false;
};

}  // namespace canaryd
