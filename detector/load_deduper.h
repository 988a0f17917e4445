// Idempotency memory for one dataset: which (arm, load_id) reports have been counted, so a
// redelivered report (Kafka at-least-once, replay overlap, HTTP retry) never counts twice.
// Time is the reports' ts, never the wall clock, so replay rebuilds the same answers.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

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
// The memory is one sequence of (ts, fingerprint) in ascending order, where the fingerprint is a
// 64-bit hash of (arm, load_id) (XXH3). Reports arrive nearly in ts order, so a new load is
// appended at the back and the oldest leaves from the front: both ends stay in cache, and a
// report touches a line or two of it. The hash set this replaced (128-bit fingerprints, an
// insert and an erase per report at random places in ~20 MB over 200 datasets) evicted the
// judges' state from the cache: turning dedupe off made `replay_1shard` 20% cheaper.
//
// Because the ts is part of the key, a first delivery is taken for a redelivery only if another
// remembered load of the dataset finished in the same millisecond and has the same 64-bit
// fingerprint: at most (loads sharing that millisecond) x 2^-64, ~1e-19 for a pair.
//
// Memory: 16 bytes per remembered load (and the deque's block map); MemoryBytes() estimates it.
class LoadDeduper {
 public:
  explicit LoadDeduper(DedupeOptions options = {});

  // Records (arm, load_id) at report time ts_ms. kTooOld: ts_ms is older than the floor (the
  // newest ts seen - horizon, or an eviction's ts), so a redelivery could no longer be
  // recognised; the caller must drop it rather than risk counting it twice. Reports may arrive
  // out of ts order: anything at or above the floor is judged exactly (a report far out of order
  // costs a binary search and an insert in the middle of the sequence).
  Delivery Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms);

  // Seen at ts_ms and not yet expired.
  bool Contains(Arm arm, std::string_view load_id, std::int64_t ts_ms) const;

  std::size_t size() const { return entries_.size(); }
  // Approximate heap bytes held: the entries' blocks and the deque's map of them.
  std::size_t MemoryBytes() const;

 private:
  struct Entry {
    std::int64_t ts_ms;
    std::uint64_t fingerprint;
    auto operator<=>(const Entry&) const = default;
  };
  static std::uint64_t FingerprintOf(Arm arm, std::string_view load_id);
  // Where e is, or would go, in entries_.
  std::deque<Entry>::const_iterator LowerBound(const Entry& e) const;

  void RaiseFloor(std::int64_t floor_ms);
  void EvictOverCapacity();

  DedupeOptions options_;
  std::deque<Entry> entries_;  // ascending (ts, fingerprint), no two equal
  std::int64_t floor_ms_;
  std::int64_t newest_ms_;
  bool seen_any_ = false;
};

}  // namespace canaryd
