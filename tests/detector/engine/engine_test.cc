// The sharded engine: same answers for any shard count, idempotent input, published snapshots that
// readers can poll while the producer runs (EngineConcurrency.* also runs under TSan).
#include "detector/engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine_options.h"
#include "detector/judge/verdict.h"
#include "detector/sample.h"
#include "detector/sim/load_simulator.h"
#include "tests/detector/report_times.h"

namespace canaryd {
namespace {

using sim::Scenario;

using testing::kMinute;
using testing::kT0;

class CollectingSink : public DecisionSink {
 public:
  void OnDecision(DecisionEvent event) override {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  std::vector<DecisionEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::vector<DecisionEvent> events_;
};

using DecisionKey = std::tuple<std::string, std::string, std::string, std::string, std::int64_t,
                               std::uint64_t>;  // release, dataset, decision, check, at, seq

std::set<DecisionKey> Keys(const std::vector<DecisionEvent>& events) {
  std::set<DecisionKey> keys;
  for (const auto& e : events) {
    keys.emplace(e.view.release, e.view.dataset, std::string(DecisionName(e.view.decision)),
                 e.view.deciding_check, e.view.decided_at_ms, e.seq);
  }
  return keys;
}

std::vector<Sample> Collect(const Scenario& scenario) {
  std::vector<Sample> out;
  sim::LoadSimulator simulator(scenario);
  Sample s;
  while (simulator.Next(&s)) out.push_back(s);
  return out;
}

Scenario Variant(int i, std::int64_t start_ms, int loads) {
  Scenario s;
  s.seed = 500 + static_cast<std::uint64_t>(i);
  s.dataset = "warehouse.table_" + std::to_string(i % 8);
  s.release = "release-" + std::to_string(i);
  s.start_ts_ms = start_ms;
  s.loads = loads;
  s.baseline.rate_jitter = 0.3;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 10;
  s.canary = s.baseline;
  switch (i % 6) {
    case 0:
      break;  // A/A
    case 1:
      s.canary.column_null_rates = {{"email", 0.04}};
      break;
    case 2:
      s.canary.schema = "sha256:changed";
      break;
    case 3:
      s.canary.rows_median = 5000;
      break;
    case 4:
      s.shadow = true;
      break;  // shadow A/A: promotes
    case 5:
      s.canary.freshness_median_s = 1500;
      s.regression_after_canary_loads = 6;  // healthy start, then late loads
      break;
  }
  return s;
}

// Several datasets, several releases (two after each other on some datasets), some regressing,
// merged into one stream by ts, with redeliveries sprinkled in.
struct Input {
  std::vector<Sample> samples;
  std::uint64_t redeliveries = 0;
};

Input MixedInput() {
  std::vector<Sample> all;
  for (int i = 0; i < 12; ++i) {
    // Releases 8..11 reuse datasets 0..3 after the first release there has ended.
    const std::int64_t start = kT0 + (i >= 8 ? 200 * kMinute : 0);
    for (Sample& s : Collect(Variant(i, start, 150))) all.push_back(std::move(s));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Sample& a, const Sample& b) { return a.ts_ms < b.ts_ms; });
  Input input;
  for (std::size_t i = 0; i < all.size(); ++i) {
    input.samples.push_back(all[i]);
    if (i % 13 == 5) {  // at-least-once delivery: the same report again, right away
      input.samples.push_back(all[i]);
      ++input.redeliveries;
    }
    if (i % 97 == 50 && i >= 20) {  // and an older one again, later
      input.samples.push_back(all[i - 20]);
      ++input.redeliveries;
    }
  }
  return input;
}

struct EngineRun {
  std::vector<DecisionEvent> events;
  EngineStats stats;
  std::vector<ReleaseDatasetView> views;
};

enum class SubmitBy { kCopy, kCopyToShard };

EngineRun RunEngine(const std::vector<Sample>& samples, int shards, std::size_t batch_size,
                    SubmitBy by = SubmitBy::kCopy) {
  EngineOptions options;
  options.shards = shards;
  options.batch_size = batch_size;
  CollectingSink sink;
  EngineRun run;
  {
    Engine engine(options, &sink);
    std::uint64_t seq = 0;
    for (const Sample& s : samples) {
      if (by == SubmitBy::kCopy) {
        engine.Submit(seq++, s);
      } else {
        // What the Kafka consumer does: the shard looked up once per dataset, then copied.
        engine.SubmitTo(engine.ShardOf(s.dataset), seq++, s);
      }
    }
    engine.Flush();
    run.stats = engine.Stats();
    run.views = engine.Releases();
    engine.Stop();
  }
  run.events = sink.events();
  return run;
}

void ExpectSameStats(const EngineStats& a, const EngineStats& b) {
  EXPECT_EQ(a.submitted, b.submitted);
  EXPECT_EQ(a.applied, b.applied);
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.too_old, b.too_old);
  EXPECT_EQ(a.after_decision, b.after_decision);
  EXPECT_EQ(a.future_ts, b.future_ts);
}

std::set<std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t>> ViewKeys(
    const std::vector<ReleaseDatasetView>& views) {
  std::set<std::tuple<std::string, std::string, std::string, std::uint64_t, std::uint64_t>> keys;
  for (const auto& v : views) {
    keys.emplace(v.release, v.dataset, std::string(DecisionName(v.decision)), v.canary_loads,
                 v.baseline_loads);
  }
  return keys;
}

TEST(EngineTest, ShardedResultEqualsSingleShardResult) {
  const Input input = MixedInput();
  const EngineRun one = RunEngine(input.samples, 1, 64);
  const EngineRun four = RunEngine(input.samples, 4, 7);

  // The input is meaningful: rollbacks and promotions, each decided once.
  std::set<std::string> decisions;
  std::set<std::pair<std::string, std::string>> decided_pairs;
  for (const auto& e : one.events) {
    decisions.insert(std::string(DecisionName(e.view.decision)));
    EXPECT_TRUE(decided_pairs.emplace(e.view.release, e.view.dataset).second)
        << "decided twice: " << e.view.release;
  }
  EXPECT_EQ(decisions.count("rollback"), 1u);
  EXPECT_EQ(decisions.count("promote"), 1u);
  EXPECT_GE(one.events.size(), 8u);

  EXPECT_EQ(Keys(one.events), Keys(four.events));
  ExpectSameStats(one.stats, four.stats);
  EXPECT_EQ(ViewKeys(one.views), ViewKeys(four.views));
  EXPECT_EQ(one.stats.submitted, input.samples.size());
  EXPECT_EQ(one.stats.duplicates, input.redeliveries);
  EXPECT_EQ(one.stats.applied + one.stats.duplicates + one.stats.too_old +
                one.stats.after_decision + one.stats.future_ts,
            one.stats.submitted);
}

// The Kafka consumer's path (copy to the shard it looked up once per dataset) makes the same
// decisions as the replay's plain copy.
TEST(EngineTest, SubmitToKnownShardDecidesAsSubmittingByCopy) {
  const Input input = MixedInput();
  const EngineRun copied = RunEngine(input.samples, 2, 7, SubmitBy::kCopy);
  ASSERT_GE(copied.events.size(), 8u);
  const EngineRun to_shard = RunEngine(input.samples, 2, 7, SubmitBy::kCopyToShard);
  EXPECT_EQ(Keys(copied.events), Keys(to_shard.events));
  ExpectSameStats(copied.stats, to_shard.stats);
  EXPECT_EQ(ViewKeys(copied.views), ViewKeys(to_shard.views));
}

TEST(EngineTest, EngineMatchesOneMonitorPerDatasetInInputOrder) {
  const Input input = MixedInput();
  const EngineRun run = RunEngine(input.samples, 3, 32);
  const EngineOptions options;
  std::map<std::string, std::unique_ptr<DatasetMonitor>> monitors;
  std::vector<DecisionEvent> expected;
  std::uint64_t seq = 0;
  for (const Sample& s : input.samples) {
    auto& m = monitors[s.dataset];
    if (!m) m = std::make_unique<DatasetMonitor>(s.dataset, &options);
    std::vector<ReleaseDatasetView> decided;
    m->Apply(s, &decided);
    for (auto& v : decided) expected.push_back(DecisionEvent{seq, std::move(v)});
    ++seq;
  }
  EXPECT_EQ(Keys(run.events), Keys(expected));
  // The reason a decision gives does not depend on the sharding either.
  std::map<std::pair<std::string, std::string>, std::string> reasons;
  for (const auto& e : expected) reasons[{e.view.release, e.view.dataset}] = e.view.reason;
  for (const auto& e : run.events) {
    EXPECT_EQ(e.view.reason, (reasons[{e.view.release, e.view.dataset}])) << e.view.release;
  }
}

Sample Simple(const std::string& dataset, Arm arm, const std::string& release,
              const std::string& load_id, std::int64_t ts) {
  Sample s;
  s.dataset = dataset;
  s.arm = arm;
  s.release = arm == Arm::kCanary ? release : "";
  s.load_id = load_id;
  s.ts_ms = ts;
  s.rows = 1000;
  s.nulls = {{"email", 10}};
  s.duplicates = 2;
  s.freshness_s = 100;
  s.schema = "sha256:s";
  return s;
}

TEST(EngineTest, DuplicateDeliveriesAreCountedOnce) {
  EngineOptions options;
  options.shards = 3;
  options.batch_size = 5;
  Engine engine(options, nullptr);
  std::uint64_t seq = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i) {
      const std::int64_t t = kT0 + i * kMinute;
      engine.Submit(seq++, Simple("ds.a", Arm::kBaseline, "", "L" + std::to_string(i), t));
      engine.Submit(seq++, Simple("ds.a", Arm::kCanary, "rel", "C" + std::to_string(i), t + 500));
    }
  }
  engine.Flush();
  const EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.submitted, 120u);
  EXPECT_EQ(stats.applied + stats.after_decision, 40u);
  EXPECT_EQ(stats.duplicates, 80u);
  const auto views = engine.Releases();
  ASSERT_EQ(views.size(), 1u);
  if (views[0].decision == Decision::kContinue) {
    EXPECT_EQ(views[0].canary_loads, 20u);
    EXPECT_EQ(views[0].baseline_loads, 19u);  // L0 came before the release's first canary load
  }
}

TEST(EngineTest, ReportOlderThanTheIdempotencyMemoryIsTooOld) {
  EngineOptions options;
  options.shards = 2;
  options.dedupe.horizon_ms = 60 * kMinute;
  Engine engine(options, nullptr);
  std::uint64_t seq = 0;
  for (int i = 0; i <= 180; i += 10) {
    engine.Submit(seq++,
                  Simple("ds.b", Arm::kBaseline, "", "L" + std::to_string(i), kT0 + i * kMinute));
  }
  engine.Submit(seq++, Simple("ds.b", Arm::kBaseline, "", "straggler", kT0 + 5 * kMinute));
  engine.Submit(seq++, Simple("ds.b", Arm::kBaseline, "", "L0", kT0));
  engine.Flush();
  const EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.applied, 19u);
  EXPECT_EQ(stats.too_old, 2u);
  EXPECT_EQ(stats.duplicates, 0u);
}

TEST(EngineTest, FlushThenReleasesShowsEveryReleaseAndDataset) {
  EngineOptions options;
  options.shards = 4;
  options.batch_size = 1000;                 // nothing reaches a shard before Flush
  options.snapshot_interval_ms = 3'600'000;  // only Flush publishes
  Engine engine(options, nullptr);
  std::set<std::pair<std::string, std::string>> expected;
  std::uint64_t seq = 0;
  for (int d = 0; d < 10; ++d) {
    const std::string dataset = "lake.ds" + std::to_string(d);
    for (int r = 0; r < 3; ++r) {
      const std::string release = "rel-" + std::to_string(d) + "-" + std::to_string(r);
      expected.emplace(release, dataset);
      const std::int64_t t = kT0 + r * kMinute;
      engine.Submit(seq++, Simple(dataset, Arm::kCanary, release, release + "/c", t));
    }
    engine.Submit(seq++, Simple(dataset, Arm::kBaseline, "", "b", kT0 + 10 * kMinute));
  }
  engine.Flush();
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& v : engine.Releases()) {
    EXPECT_TRUE(seen.emplace(v.release, v.dataset).second) << "listed twice: " << v.release;
    EXPECT_EQ(v.canary_loads, 1u);
  }
  EXPECT_EQ(seen, expected);
}

// A decision is in the snapshot as soon as it is made, without waiting for the periodic
// snapshot or a Flush; so are the reports of the dataset that decided.
TEST(EngineTest, DecisionIsPublishedAtOnce) {
  CollectingSink sink;
  EngineOptions options;
  options.shards = 2;
  options.batch_size = 1;
  options.snapshot_interval_ms = 3'600'000;  // no periodic snapshot in this test
  Engine engine(options, &sink);
  std::uint64_t seq = 0;
  for (int d = 0; d < 6; ++d) {
    const std::string dataset = "lake.ds" + std::to_string(d);
    engine.Submit(seq++, Simple(dataset, Arm::kBaseline, "", "b0", kT0));
    engine.Submit(seq++, Simple(dataset, Arm::kCanary, "rel", "c0", kT0 + kMinute));
  }
  engine.Flush();
  ASSERT_EQ(engine.Releases().size(), 6u);
  for (const auto& v : engine.Releases()) EXPECT_EQ(v.decision, Decision::kContinue);

  // Another canary load on ds3, then a schema change there: rolled back.
  engine.Submit(seq++, Simple("lake.ds3", Arm::kCanary, "rel", "c1", kT0 + 2 * kMinute));
  Sample changed = Simple("lake.ds3", Arm::kCanary, "rel", "c2", kT0 + 3 * kMinute);
  changed.schema = "sha256:other";
  engine.Submit(seq++, changed);
  engine.Handover();  // no Flush: no waiting for a snapshot
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::optional<ReleaseDatasetView> shown;
  while (!shown && std::chrono::steady_clock::now() < deadline) {
    for (const auto& v : engine.Releases()) {
      if (v.dataset == "lake.ds3" && v.decision != Decision::kContinue) shown = v;
    }
    if (!shown) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(shown.has_value()) << "decision not in the snapshot";
  EXPECT_EQ(shown->decision, Decision::kRollback);
  EXPECT_EQ(shown->canary_loads, 3u);
  EXPECT_EQ(engine.Releases().size(), 6u);  // the other datasets are still listed
  ASSERT_EQ(sink.events().size(), 1u);
}

TEST(EngineTest, StopIsIdempotentAndKeepsTheLastSnapshot) {
  CollectingSink sink;
  EngineOptions options;
  options.shards = 2;
  auto engine = std::make_unique<Engine>(options, &sink);
  std::uint64_t seq = 0;
  for (int i = 0; i < 30; ++i) {
    engine->Submit(seq++,
                   Simple("ds.c", Arm::kBaseline, "", "b" + std::to_string(i), kT0 + i * kMinute));
  }
  // Submitted but not flushed: Stop applies it.
  engine->Submit(seq++, Simple("ds.c", Arm::kCanary, "rel", "c0", kT0 + 31 * kMinute));
  engine->Stop();
  const EngineStats after_first = engine->Stats();
  EXPECT_EQ(after_first.applied, 31u);
  const auto views = engine->Releases();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].release, "rel");
  engine->Stop();
  engine->Stop();
  ExpectSameStats(engine->Stats(), after_first);
  EXPECT_EQ(engine->Releases().size(), 1u);
  engine.reset();  // the destructor stops again
  EXPECT_TRUE(sink.events().empty());
}

TEST(EngineTest, StoppingAnIdleEngineIsFine) {
  Engine engine(EngineOptions{}, nullptr);
  engine.Stop();
  engine.Stop();
  EXPECT_TRUE(engine.Releases().empty());
  EXPECT_EQ(engine.Stats().submitted, 0u);
}

// ---------------------------------------------------------------------------------------------
// Concurrency: readers poll snapshots while one producer submits. Run under TSan in CI.

std::vector<Sample> ManyReports(std::size_t total, int datasets) {
  std::vector<Sample> all;
  const int per_dataset = static_cast<int>(total) / datasets;
  for (int d = 0; d < datasets; ++d) {
    Scenario s;
    s.seed = 7000 + static_cast<std::uint64_t>(d);
    s.dataset = "stream.ds" + std::to_string(d);
    s.release = "stream-rel-" + std::to_string(d);
    s.interval_ms = 1000;  // the whole run spans under two hours of report time
    s.loads = per_dataset;
    s.baseline.rate_jitter = 0.3;
    s.canary = s.baseline;
    if (d % 3 == 1) s.canary.column_null_rates = {{"email", 0.05}};
    for (Sample& x : Collect(s)) all.push_back(std::move(x));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Sample& a, const Sample& b) { return a.ts_ms < b.ts_ms; });
  return all;
}

TEST(EngineConcurrency, ReadersPollReleasesWhileProducerSubmits100k) {
  const std::vector<Sample> samples = ManyReports(100000, 20);
  ASSERT_EQ(samples.size(), 100000u);
  EngineOptions options;
  options.shards = 4;
  options.batch_size = 128;
  options.queue_batches = 8;
  options.snapshot_interval_ms = 1;
  CollectingSink sink;
  Engine engine(options, &sink);

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> polls{0};
  std::atomic<std::uint64_t> problems{0};
  auto reader = [&] {
    // Per (release, dataset): loads seen never go backwards, a decision never changes.
    std::map<std::pair<std::string, std::string>, std::pair<std::uint64_t, Decision>> last;
    while (!done.load()) {
      for (const ReleaseDatasetView& v : engine.Releases()) {
        if (v.release.empty() || v.dataset.empty()) problems.fetch_add(1);
        auto [it, inserted] = last.try_emplace({v.release, v.dataset}, v.canary_loads, v.decision);
        if (!inserted) {
          if (v.canary_loads < it->second.first) problems.fetch_add(1);
          if (it->second.second != Decision::kContinue && v.decision != it->second.second) {
            problems.fetch_add(1);
          }
          it->second = {v.canary_loads, v.decision};
        }
      }
      polls.fetch_add(1);
    }
  };
  std::thread r1(reader);
  std::thread r2(reader);
  std::uint64_t seq = 0;
  for (const Sample& s : samples) engine.Submit(seq++, s);
  engine.Flush();
  done.store(true);
  r1.join();
  r2.join();

  EXPECT_GT(polls.load(), 0u);
  EXPECT_EQ(problems.load(), 0u);
  const EngineStats stats = engine.Stats();
  EXPECT_EQ(stats.submitted, 100000u);
  EXPECT_EQ(
      stats.applied + stats.duplicates + stats.too_old + stats.after_decision + stats.future_ts,
      100000u);
  EXPECT_EQ(stats.duplicates, 0u);
  const auto views = engine.Releases();
  EXPECT_EQ(views.size(), 20u);
  int rollbacks = 0;
  for (const auto& e : sink.events()) rollbacks += e.view.decision == Decision::kRollback ? 1 : 0;
  EXPECT_GE(rollbacks, 6);  // the regressing third of the releases at least
  engine.Stop();
}

// Stats() is what a /metrics scrape reads; it is called from a thread other than the producer.
TEST(EngineConcurrency, StatsReadableWhileProducerSubmits) {
  const std::vector<Sample> samples = ManyReports(20000, 4);
  EngineOptions options;
  options.shards = 2;
  Engine engine(options, nullptr);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> backwards{0};
  std::thread scraper([&] {
    std::uint64_t last_applied = 0;
    while (!done.load()) {
      const EngineStats s = engine.Stats();
      if (s.applied < last_applied) backwards.fetch_add(1);
      last_applied = s.applied;
    }
  });
  std::uint64_t seq = 0;
  for (const Sample& s : samples) engine.Submit(seq++, s);
  engine.Flush();
  done.store(true);
  scraper.join();
  EXPECT_EQ(backwards.load(), 0u);
  EXPECT_EQ(engine.Stats().submitted, samples.size());
}

}  // namespace
}  // namespace canaryd
