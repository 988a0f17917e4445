// Idempotency memory for one dataset: which (arm, load_id) reports have been counted, so a
// redelivered report (Kafka at-least-once, replay overlap, HTTP retry) never counts twice.
// Time is the reports' ts, never the wall clock, so replay rebuilds the same answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>

#include <absl/container/flat_hash_set.h>

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
// A load is remembered by a 128-bit fingerprint of (arm, load_id) (XXH3-128), not by its id:
// two different loads of one dataset would have to collide in 128 bits for the second to be
// taken for a redelivery, about 1e-30 for a full memory of 20,000 loads. Keeping the ids
// themselves cost a node, often a string allocation and a chain of pointer hops per report
// (~20% of a shard's time end to end, thread_profile.py) and ~135 B per entry.
//
// Memory: per remembered load, a 16-byte slot and a control byte in the table (up to 2x at low
// load) and a 24-byte expiry entry: ~45-60 B; MemoryBytes() estimates it.
class LoadDeduper {
 public:
  explicit LoadDeduper(DedupeOptions options = {});

  // Records (arm, load_id) at report time ts_ms. kTooOld: ts_ms is older than the floor (the
  // newest ts seen - horizon, or an eviction's ts), so a redelivery could no longer be
  // recognised; the caller must drop it rather than risk counting it twice. Reports may arrive
  // out of ts order: anything at or above the floor is judged exactly.
  Delivery Observe(Arm arm, std::string_view load_id, std::int64_t ts_ms);

  // Seen and not yet expired.
  bool Contains(Arm arm, std::string_view load_id) const;

  std::size_t size() const { return ids_.size(); }
  // Approximate heap bytes held: the table's slots and control bytes and the expiry order.
  std::size_t MemoryBytes() const;

 private:
  struct Fingerprint {
    std::uint64_t low;
    std::uint64_t high;
    bool operator==(const Fingerprint&) const = default;
  };
  // The fingerprint is already a uniform hash; abseil takes its 7 low bits for the control byte
  // and the rest for the probe start.
  struct FingerprintHash {
    std::size_t operator()(const Fingerprint& f) const noexcept { return f.low; }
  };
  static Fingerprint FingerprintOf(Arm arm, std::string_view load_id);

  struct Expiry {
    Expiry(std::int64_t ts, Fingerprint fingerprint) : ts_ms(ts), id(fingerprint) {}
    std::int64_t ts_ms;
    Fingerprint id;
  };

  void PopOldest();
  void RaiseFloor(std::int64_t floor_ms);
  void EvictOverCapacity();

  DedupeOptions options_;
  absl::flat_hash_set<Fingerprint, FingerprintHash> ids_;
  // Ascending ts. Reports arrive nearly in ts order, so a new entry goes at the back or a few
  // places before it; the oldest leaves from the front (a heap cost more per report, and touched
  // memory all over).
  std::deque<Expiry> expiry_;
  std::int64_t floor_ms_;
  std::int64_t newest_ms_;
  bool seen_any_ = false;
};

}  // namespace canaryd
