#include "detector/load_deduper.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

constexpr std::int64_t kHour = 3600 * 1000;

TEST(LoadDeduperTest, FirstThenDuplicate) {
  LoadDeduper dedupe;
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "2026-11-23T10:00Z/p17", 1000), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "2026-11-23T10:00Z/p17", 1000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "2026-11-23T10:00Z/p17", 1000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "2026-11-23T10:00Z/p18", 1000), Delivery::kFirst);
  EXPECT_EQ(dedupe.size(), 2u);
}

TEST(LoadDeduperTest, ArmsAreSeparateKeys) {
  // Shadow mode: both arms process the same load, and each arm's report counts once.
  LoadDeduper dedupe;
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "load-1", 1000), Delivery::kFirst);
  EXPECT_FALSE(dedupe.Contains(Arm::kBaseline, "load-1"));
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "load-1", 1000), Delivery::kFirst);
  EXPECT_TRUE(dedupe.Contains(Arm::kBaseline, "load-1"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "load-1"));
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "load-1", 1000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "load-1", 1000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.size(), 2u);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "load-2"));
}

// Ids that differ only in the lowest bit of their first and last bytes, one per arm. Seeding
// XXH3 with the arm (0 or 1) gave such pairs of 4-8 bytes the same 128-bit fingerprint, so a
// canary load was dropped as a redelivery of a baseline load ("B1020" and "C1021").
TEST(LoadDeduperTest, ArmsNeverShareAFingerprintForIdsOneBitApart) {
  LoadDeduper dedupe;
  std::set<std::string> seen;
  std::int64_t ts = 1000;
  int pairs = 0;
  for (std::size_t length = 1; length <= 24; ++length) {
    for (int variant = 0; variant < 40; ++variant) {
      std::string baseline(length, 'a');
      for (std::size_t i = 0; i < length; ++i) {
        baseline[i] = static_cast<char>('A' + (variant * 7 + static_cast<int>(i) * 3) % 26);
      }
      std::string canary = baseline;
      canary.front() = static_cast<char>(canary.front() ^ 1);
      canary.back() = static_cast<char>(canary.back() ^ 1);
      if (!seen.insert(baseline).second) continue;  // the generator repeats for short lengths
      ++ts;
      ASSERT_EQ(dedupe.Observe(Arm::kBaseline, baseline, ts), Delivery::kFirst) << baseline;
      ASSERT_EQ(dedupe.Observe(Arm::kCanary, canary, ts), Delivery::kFirst)
          << canary << " taken for baseline " << baseline;
      ++pairs;
    }
  }
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "B1020", ++ts), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "C1021", ts), Delivery::kFirst);
  EXPECT_EQ(dedupe.size(), static_cast<std::size_t>(2 * pairs + 2));
}

TEST(LoadDeduperTest, ExpiresByReportTimeHorizon) {
  LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 0), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "b", 1000), Delivery::kFirst);
  // Exactly one horizon behind the newest is still remembered.
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "a"));
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 0), Delivery::kDuplicate);

  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "c", 1001), Delivery::kFirst);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "a"));
  EXPECT_TRUE(dedupe.Contains(Arm::kBaseline, "b"));
  EXPECT_EQ(dedupe.size(), 2u);
  // Forgotten, so a redelivery can no longer be told from a first delivery: dropped.
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 0), Delivery::kTooOld);
  EXPECT_EQ(dedupe.size(), 2u);
}

TEST(LoadDeduperTest, TooOldIsNotRecorded) {
  LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "new", 10000), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "late", 8999), Delivery::kTooOld);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "late"));
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "late", 8999), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "on-the-edge", 9000), Delivery::kFirst);
  EXPECT_EQ(dedupe.size(), 2u);
}

TEST(LoadDeduperTest, OutOfOrderWithinHorizon) {
  LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t5000", 5000), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t4000", 4000), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t4500", 4500), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t4000", 4000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t4500", 4500), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t5000", 5000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "t3999", 3999), Delivery::kTooOld);
  EXPECT_EQ(dedupe.size(), 3u);
}

TEST(LoadDeduperTest, LateArrivalsExpireInTsOrderNotArrivalOrder) {
  LoadDeduper dedupe({.horizon_ms = 100, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "late", 100), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "early", 50), Delivery::kFirst);  // arrives second
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "now", 160), Delivery::kFirst);   // floor 60
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "early"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "late"));
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "late", 100), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "early", 50), Delivery::kTooOld);
}

TEST(LoadDeduperTest, RedeliveryDoesNotExtendMemory) {
  LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 0), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "b", 900), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 0), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c", 1500), Delivery::kFirst);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "a"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "b"));
}

TEST(LoadDeduperTest, MaxEntriesEvictsOldestAndRaisesFloor) {
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 3});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "b", 20), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c", 30), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "d", 40), Delivery::kFirst);
  EXPECT_EQ(dedupe.size(), 3u);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "a"));
  EXPECT_TRUE(dedupe.Contains(Arm::kBaseline, "b"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "c"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "d"));
  // Well inside the time horizon, but its memory was given up: never a second kFirst.
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "b", 20), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.size(), 3u);
}

TEST(LoadDeduperTest, EntryEvictedOnArrivalStillCountsOnce) {
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 2});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "b", 20), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c", 30), Delivery::kFirst);
  // The oldest entry is the one just added: it is counted, then forgotten behind the floor.
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kFirst);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "a"));
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "b", 20), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.size(), 2u);
}

TEST(LoadDeduperTest, EvictionTakesEntriesWithTheSameTs) {
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 2});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "b", 10), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c", 20), Delivery::kFirst);
  // The floor moved past ts 10, so both ts-10 entries are behind it; none is half-remembered.
  EXPECT_EQ(dedupe.size(), 1u);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "a", 10), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "b", 10), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c", 20), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "d", 11), Delivery::kFirst);
}

TEST(LoadDeduperTest, DefaultHorizonIsTwoDays) {
  LoadDeduper dedupe;
  const std::int64_t now = 1'795'000'000'000;  // epoch ms, late 2026
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "now", now), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "47h", now - 47 * kHour), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "49h", now - 49 * kHour), Delivery::kTooOld);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "47h", now - 47 * kHour), Delivery::kDuplicate);
}

TEST(LoadDeduperTest, ExtremeTimestampsDoNotOverflow) {
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 4});
  const std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "min", lowest), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "min", lowest), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "zero", 0), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "min", lowest), Delivery::kTooOld);
}

TEST(LoadDeduperTest, LongIdsAndMemoryAccounting) {
  const auto per_entry_bytes = [](const std::string& prefix) {
    LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 100000});
    const std::size_t empty_bytes = dedupe.MemoryBytes();
    for (int i = 0; i < 10000; ++i) {
      EXPECT_EQ(dedupe.Observe(Arm::kCanary, prefix + std::to_string(i), 500), Delivery::kFirst);
    }
    EXPECT_TRUE(dedupe.Contains(Arm::kCanary, prefix + "9999"));
    EXPECT_FALSE(dedupe.Contains(Arm::kCanary, prefix + "10000"));
    const std::size_t full_bytes = dedupe.MemoryBytes();
    // Everything expires once the newest report is a horizon further on.
    EXPECT_EQ(dedupe.Observe(Arm::kCanary, "later", 2000), Delivery::kFirst);
    EXPECT_EQ(dedupe.size(), 1u);
    return static_cast<double>(full_bytes - empty_bytes) / 10000.0;
  };
  // A 24-byte expiry entry (in 512-byte deque blocks) and 2.2-5.3 B of filter: ~26-30 bytes,
  // whatever the id's length.
  const double long_ids = per_entry_bytes(std::string(150, 'p'));
  const double short_ids = per_entry_bytes("p");
  EXPECT_GT(long_ids, 24.0 + 2.2);
  EXPECT_LT(long_ids, 24.5 + 5.4);
  EXPECT_DOUBLE_EQ(long_ids, short_ids);
}

// A stream with redeliveries (some delayed behind later loads), out-of-order ts, both arms
// sharing load ids, checked against a model: nothing is ever counted twice, and with enough
// memory every load is counted exactly once.
struct Delivered {
  Arm arm;
  std::string load_id;
  std::int64_t ts_ms;
};

std::vector<Delivered> RedeliveryStream(std::uint64_t seed, int loads) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> copies(1, 3);
  std::uniform_int_distribution<std::int64_t> jitter(0, 5000);
  std::uniform_int_distribution<int> delay(0, 40);
  std::vector<std::pair<std::int64_t, Delivered>> keyed;  // (position, delivery)
  for (int i = 0; i < loads; ++i) {
    // Loads 2k and 2k+1 share an id across the two arms, as in shadow mode.
    const Arm arm = (i % 2 == 0) ? Arm::kBaseline : Arm::kCanary;
    const std::string id = "load-" + std::to_string(i / 2);
    const std::int64_t ts = std::int64_t{i} * 1000 + jitter(rng);
    const int n = copies(rng);
    for (int c = 0; c < n; ++c) {
      keyed.push_back({std::int64_t{i} + (c == 0 ? 0 : delay(rng)), Delivered{arm, id, ts}});
    }
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<Delivered> stream;
  for (auto& [pos, d] : keyed) stream.push_back(std::move(d));
  return stream;
}

TEST(LoadDeduperTest, RandomRedeliveryWithAmpleMemoryCountsEachLoadOnce) {
  const std::vector<Delivered> stream = RedeliveryStream(42, 3000);
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 100000});
  std::map<std::pair<Arm, std::string>, int> firsts;
  int duplicates = 0;
  for (const Delivered& d : stream) {
    const Delivery r = dedupe.Observe(d.arm, d.load_id, d.ts_ms);
    ASSERT_NE(r, Delivery::kTooOld);
    if (r == Delivery::kFirst) ++firsts[{d.arm, d.load_id}];
    if (r == Delivery::kDuplicate) ++duplicates;
  }
  int distinct = 0;
  for (const auto& [key, n] : firsts) {
    EXPECT_EQ(n, 1) << key.second;
    ++distinct;
  }
  EXPECT_EQ(distinct, 3000);
  EXPECT_EQ(static_cast<std::size_t>(distinct + duplicates), stream.size());
  EXPECT_EQ(dedupe.size(), static_cast<std::size_t>(distinct));
}

TEST(LoadDeduperTest, RandomRedeliveryUnderPressureNeverCountsTwice) {
  const std::vector<Delivered> stream = RedeliveryStream(7, 5000);
  // Tight horizon (a few loads' worth) and a tiny cap force both expiry and eviction.
  LoadDeduper dedupe({.horizon_ms = 20000, .max_entries = 8});
  std::map<std::pair<Arm, std::string>, int> firsts;
  int too_old = 0;
  for (const Delivered& d : stream) {
    const Delivery r = dedupe.Observe(d.arm, d.load_id, d.ts_ms);
    if (r == Delivery::kFirst) ++firsts[{d.arm, d.load_id}];
    if (r == Delivery::kTooOld) ++too_old;
    ASSERT_LE(dedupe.size(), 8u);
  }
  for (const auto& [key, n] : firsts) EXPECT_EQ(n, 1) << key.second;
  EXPECT_GT(too_old, 0);  // the pressure was real
  EXPECT_GT(firsts.size(), 1000u);
}

TEST(LoadDeduperTest, RedeliveryWithAnotherTsIsStillADuplicate) {
  // (dataset, arm, load_id) is the key: a producer that stamps a resent report with a new ts
  // must not get it counted twice.
  LoadDeduper dedupe({.horizon_ms = kHour, .max_entries = 100});
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "load-1", 1000), Delivery::kFirst);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "load-1", 5000), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kCanary, "load-1", 900), Delivery::kDuplicate);
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "load-1", 5000), Delivery::kFirst);
  EXPECT_EQ(dedupe.size(), 2u);
}

TEST(LoadDeduperTest, FarOutOfOrderAndSharedTimestamps) {
  // Late reports placed far back in the expiry order and several loads in one millisecond: each
  // is remembered exactly, and expires by its own ts.
  LoadDeduper dedupe({.horizon_ms = 1000, .max_entries = 1000});
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(dedupe.Observe(Arm::kBaseline, "b" + std::to_string(i), 1000 + i * 10),
              Delivery::kFirst);
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(dedupe.Observe(Arm::kCanary, "c" + std::to_string(i), 1000 + (i % 7) * 10 + 5),
              Delivery::kFirst);
    ASSERT_EQ(dedupe.Observe(Arm::kCanary, "s" + std::to_string(i), 1500), Delivery::kFirst);
  }
  EXPECT_EQ(dedupe.size(), 300u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(dedupe.Observe(Arm::kCanary, "c" + std::to_string(i), 1000 + (i % 7) * 10 + 5),
              Delivery::kDuplicate);
    EXPECT_EQ(dedupe.Observe(Arm::kCanary, "s" + std::to_string(i), 1500), Delivery::kDuplicate);
  }
  // Newest 2,050: the floor moves to 1,050. The canary loads at 1,005-1,045 and the baseline
  // loads b0-b4 go; the canary loads at 1,055 and 1,065 stay.
  EXPECT_EQ(dedupe.Observe(Arm::kBaseline, "now", 2050), Delivery::kFirst);
  EXPECT_FALSE(dedupe.Contains(Arm::kCanary, "c0"));  // 1,005
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "c5"));   // 1,055
  EXPECT_FALSE(dedupe.Contains(Arm::kBaseline, "b4"));
  EXPECT_TRUE(dedupe.Contains(Arm::kBaseline, "b5"));
  EXPECT_TRUE(dedupe.Contains(Arm::kCanary, "s99"));
}

// The memory's invariant written the slow, obvious way: every (arm, load_id) first delivered at a
// ts at or above the floor is kept, whatever ts a redelivery carries; the floor follows the
// newest ts, and the cap drops the oldest ts whole.
class ModelDeduper {
 public:
  explicit ModelDeduper(DedupeOptions options) : options_(options) {}

  Delivery Observe(Arm arm, const std::string& load_id, std::int64_t ts) {
    if (seen_ && ts < floor_) return Delivery::kTooOld;
    const bool first = keys_.insert({arm, load_id}).second;
    if (first) kept_.insert({ts, arm, load_id});
    // Any report at or above the floor moves the clock, a redelivery too.
    if (!seen_ || ts > newest_) {
      seen_ = true;
      newest_ = ts;
      Raise(newest_ - options_.horizon_ms);
    }
    while (kept_.size() > options_.max_entries) Raise(std::get<0>(*kept_.begin()) + 1);
    return first ? Delivery::kFirst : Delivery::kDuplicate;
  }
  std::size_t size() const { return kept_.size(); }

 private:
  void Raise(std::int64_t floor) {
    floor_ = std::max(floor_, floor);
    while (!kept_.empty() && std::get<0>(*kept_.begin()) < floor_) {
      keys_.erase({std::get<1>(*kept_.begin()), std::get<2>(*kept_.begin())});
      kept_.erase(kept_.begin());
    }
  }
  DedupeOptions options_;
  std::set<std::pair<Arm, std::string>> keys_;
  std::set<std::tuple<std::int64_t, Arm, std::string>> kept_;  // by first delivery's ts
  std::int64_t floor_ = 0;
  std::int64_t newest_ = 0;
  bool seen_ = false;
};

TEST(LoadDeduperTest, AgreesWithTheModelOnEveryReport) {
  // Few ids and a narrow ts range, so redeliveries (some with another ts), shared milliseconds,
  // reports far out of order and new loads reusing an expired id are all common.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    const DedupeOptions options{.horizon_ms = 50 + static_cast<std::int64_t>(seed % 4) * 100,
                                .max_entries = seed % 2 == 0 ? 40u : 100000u};
    LoadDeduper dedupe(options);
    ModelDeduper model(options);
    std::int64_t clock = 1'795'000'000'000;
    std::uniform_int_distribution<int> id(0, 60);
    std::uniform_int_distribution<std::int64_t> step(0, 3);
    std::uniform_int_distribution<std::int64_t> behind(0, 2 * options.horizon_ms);
    std::vector<Delivered> sent;
    std::array<int, 3> outcomes{};
    for (int i = 0; i < 20000; ++i) {
      Delivered d;
      if (!sent.empty() && rng() % 4 == 0) {
        // A redelivery of one of the last 200 reports, maybe from behind the floor by now, and
        // now and then with another ts (a producer that stamped it again).
        d = sent[sent.size() - 1 - rng() % std::min<std::size_t>(sent.size(), 200)];
        if (rng() % 8 == 0) d.ts_ms = clock - behind(rng);
      } else {
        clock += step(rng);
        d.arm = rng() % 2 == 0 ? Arm::kBaseline : Arm::kCanary;
        d.load_id = "load-" + std::to_string(id(rng));
        d.ts_ms = rng() % 4 == 0 ? clock - behind(rng) : clock;
        sent.push_back(d);
      }
      const Arm arm = d.arm;
      const std::string& load_id = d.load_id;
      const std::int64_t ts = d.ts_ms;
      const Delivery got = dedupe.Observe(arm, load_id, ts);
      ASSERT_EQ(got, model.Observe(arm, load_id, ts)) << "seed " << seed << " report " << i;
      ASSERT_EQ(dedupe.size(), model.size()) << "seed " << seed << " report " << i;
      ++outcomes[static_cast<std::size_t>(got)];
    }
    // Every answer was exercised.
    EXPECT_GT(outcomes[0], 1000) << seed;
    EXPECT_GT(outcomes[1], 100) << seed;
    EXPECT_GT(outcomes[2], 100) << seed;
  }
}

}  // namespace
}  // namespace canaryd
