// Engine cost per report (issue 3, "Numbers to record"), with its peers in the same run:
//
//   BM_DomParse / BM_Decode   simdjson DOM parse (every field touched) and SampleDecoder::Decode
//                             of the same reports: the floor every figure below is compared with.
//   BM_Apply                  DatasetMonitor::Apply (dedupe + rolling statistics + judge
//                             evaluation) per report, one dataset with one OPEN release (promotion
//                             disabled so every report is judged), split mode (10% canary) or
//                             shadow mode, 2 or 20 null columns; "baseline_only" has no release
//                             (the bookkeeping floor).
//   BM_View                   ReleaseJudge::View through DatasetMonitor::AppendViews (one release):
//                             the evidence built for every decision and every snapshot, by release
//                             age (hours of 1-minute loads) and columns.
//   BM_DedupeObserve          LoadDeduper::Observe in steady state (48 h of 1-minute loads).
//   BM_StudentTToZ            one StudentTToZ (Boost.Math t cdf + normal quantile), by df: the
//                             judge calls it twice per scored comparison and check.
//   BM_Engine                 Engine::Submit + Flush of the benchmark mix (bench/report_mix.h,
//                             200k reports, decoded beforehand) with 1 and 2 shards, with the
//                             default 200 ms snapshots and with periodic snapshots off.
//
// Figures: "per_report" is seconds per report (Google Benchmark prints it with an SI prefix:
// 1.2u = 1.2 us); items_per_second is reports per second.
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <spdlog/spdlog.h>
#include "bench/dom_peer.h"

#include "bench/report_mix.h"
#include "detector/engine/dataset_monitor.h"
#include "detector/engine/engine.h"
#include "detector/engine/engine_options.h"
#include "detector/load_deduper.h"
#include "detector/sample_decoder.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"
#include "detector/stats/student_t.h"

namespace {

using canaryd::DatasetMonitor;
using canaryd::EngineOptions;
using canaryd::ReleaseDatasetView;
using canaryd::Sample;

constexpr int kSlots = 20000;  // load slots per Apply run (about 14 days of 1-minute loads)

enum Mode : int { kSplit = 0, kShadow = 1, kBaselineOnly = 2 };

const char* ModeName(int mode) {
  return mode == kSplit ? "split10" : mode == kShadow ? "shadow" : "baseline_only";
}

// A/A release on one dataset: 1-minute loads of ~20k rows, ±30% overdispersion, 100 warm-up
// baseline loads before the release starts.
canaryd::sim::Scenario SteadyScenario(int mode, int columns, int slots) {
  canaryd::sim::Scenario s =
      canaryd::sim::AaScenario(/*seed=*/42, /*jitter=*/0.3, /*rows=*/20000,
                               /*canary_share=*/mode == kBaselineOnly ? 0.0 : 0.1,
                               /*shadow=*/mode == kShadow);
  s.dataset = "analytics.orders";
  s.columns.clear();
  for (int c = 0; c < columns; ++c) s.columns.push_back("column_" + std::to_string(c));
  s.loads = slots;
  s.emit_baseline_before_start = true;
  s.baseline_history_loads = 100;
  s.baseline.late_share = s.canary.late_share = 0.01;
  return s;
}

std::vector<Sample> Samples(const canaryd::sim::Scenario& scenario) {
  canaryd::sim::LoadSimulator sim(scenario);
  std::vector<Sample> out;
  Sample s;
  while (sim.Next(&s)) out.push_back(s);
  return out;
}

// Every release stays open: promotion needs more canary loads than any run has.
EngineOptions OpenReleaseOptions() {
  EngineOptions o;
  o.judge.promote_min_canary_loads = std::numeric_limits<int>::max();
  return o;
}

void PerReportCounters(benchmark::State& state, std::size_t reports_per_iteration) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(reports_per_iteration));
  state.counters["per_report"] = benchmark::Counter(
      static_cast<double>(reports_per_iteration),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---- peers: parse and decode of the same reports --------------------------------------------

std::vector<std::string> EncodedLines(int mode, int columns) {
  std::vector<std::string> lines;
  for (const Sample& s : Samples(SteadyScenario(mode, columns, 2000))) {
    lines.push_back(canaryd::EncodeSampleJson(s));
  }
  return lines;
}

void BM_DomParse(benchmark::State& state) {
  const auto lines =
      EncodedLines(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::vector<simdjson::padded_string> padded;
  for (const auto& l : lines) padded.emplace_back(l);
  simdjson::dom::parser parser;
  std::size_t i = 0;
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(padded[i]).get(root)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(canaryd::bench::TouchDom(root));
    if (++i == padded.size()) i = 0;
  }
  PerReportCounters(state, 1);
  state.SetLabel(ModeName(static_cast<int>(state.range(0))));
}

void BM_Decode(benchmark::State& state) {
  const auto lines =
      EncodedLines(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  canaryd::SampleDecoder decoder;
  std::size_t i = 0;
  for (auto _ : state) {
    auto result = decoder.Decode(lines[i]);
    if (!result.has_value()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(result);
    if (++i == lines.size()) i = 0;
  }
  PerReportCounters(state, 1);
  state.SetLabel(ModeName(static_cast<int>(state.range(0))));
}

// ---- DatasetMonitor::Apply ---------------------------------------------------------------------

void BM_Apply(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const int columns = static_cast<int>(state.range(1));
  const std::vector<Sample> samples = Samples(SteadyScenario(mode, columns, kSlots));
  const EngineOptions options = OpenReleaseOptions();
  std::vector<ReleaseDatasetView> decided;
  std::size_t open_at_end = 0, releases = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto monitor = std::make_unique<DatasetMonitor>("analytics.orders", &options);
    state.ResumeTiming();
    for (const Sample& s : samples) {
      decided.clear();
      benchmark::DoNotOptimize(monitor->Apply(s, &decided));
    }
    state.PauseTiming();
    open_at_end = monitor->open_releases();
    releases = monitor->releases();
    monitor.reset();
    state.ResumeTiming();
  }
  PerReportCounters(state, samples.size());
  state.counters["reports"] = static_cast<double>(samples.size());
  // 1 means the release was judged on every report to the end (an A/A rollback would close it).
  state.counters["open_at_end"] = static_cast<double>(open_at_end);
  state.counters["releases"] = static_cast<double>(releases);
  state.SetLabel(ModeName(mode));
}

// ---- View: the evidence --------------------------------------------------------------------

void BM_View(benchmark::State& state) {
  const int columns = static_cast<int>(state.range(0));
  const int hours = static_cast<int>(state.range(1));
  const EngineOptions options = OpenReleaseOptions();
  DatasetMonitor monitor("analytics.orders", &options);
  std::vector<ReleaseDatasetView> decided;
  for (const Sample& s : Samples(SteadyScenario(kSplit, columns, hours * 60))) {
    monitor.Apply(s, &decided);
  }
  std::vector<ReleaseDatasetView> views;
  std::size_t checks = 0;
  for (auto _ : state) {
    views.clear();
    monitor.AppendViews(&views);
    checks = views.empty() ? 0 : views.front().checks.size();
    benchmark::DoNotOptimize(views.data());
  }
  state.counters["checks"] = static_cast<double>(checks);
  state.counters["open"] = static_cast<double>(monitor.open_releases());
  state.SetLabel("split10, release age " + std::to_string(hours) + " h");
}

// ---- LoadDeduper::Observe: the idempotency memory, once per report ------------------------

// Steady state: 1-minute loads, one id per load like the simulator's ("2026-11-23T10:00Z/p17",
// 21 bytes: longer than the 15-byte inline string), 48 h horizon, so every new report also
// expires the oldest. Every 100th report is a redelivery.
void BM_DedupeObserve(benchmark::State& state) {
  const int arms = static_cast<int>(state.range(0));
  std::vector<std::string> ids;
  for (int i = 0; i < 200000; ++i) {
    ids.push_back("2026-11-23T" + std::to_string(10 + i / 60000) + ":" +
                  std::to_string(i / 1000 % 60) + "Z/p" + std::to_string(i));
  }
  canaryd::LoadDeduper deduper;
  std::size_t i = 0;
  std::int64_t ts = 1795428000000;
  for (auto _ : state) {
    const auto arm = arms == 2 && (i & 1) ? canaryd::Arm::kCanary : canaryd::Arm::kBaseline;
    const std::size_t id = i % 100 == 99 ? i - 1 : i;  // a redelivery of the previous report
    benchmark::DoNotOptimize(deduper.Observe(arm, ids[id % ids.size()], ts));
    ts += 60000 / arms;
    ++i;
  }
  PerReportCounters(state, 1);
  state.counters["remembered"] = static_cast<double>(deduper.size());
}

// ---- StudentTToZ: the per-comparison score conversion -------------------------------------

// Called twice per scored comparison and check (regression and non-inferiority). Split mode's df
// is 0.66 x the baseline's successive differences (<= ~42); shadow mode's grows with the pairs.
void BM_StudentTToZ(benchmark::State& state) {
  const auto df = static_cast<double>(state.range(0));
  const double ts[] = {-2.5, -1.2, -0.3, 0.1, 0.8, 1.7, 3.1, 6.0};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(canaryd::StudentTToZ(ts[i], df));
    i = (i + 1) & 7;
  }
  PerReportCounters(state, 1);
  state.SetLabel("per call");
}

// ---- Engine: Submit + Flush of the report mix ----------------------------------------------

class CountingSink : public canaryd::DecisionSink {
 public:
  void OnDecision(canaryd::DecisionEvent) override { ++decisions; }
  std::atomic<std::uint64_t> decisions{0};
};

const std::vector<Sample>& MixSamples() {
  static const std::vector<Sample> samples = [] {
    canaryd::bench::ReportMixOptions mix;
    mix.reports = 200000;
    canaryd::SampleDecoder decoder;
    std::vector<Sample> out;
    out.reserve(mix.reports);
    canaryd::bench::GenerateReportMix(mix, [&](std::string_view line) {
      auto r = decoder.Decode(line);
      if (r.has_value()) out.push_back(std::move(r).value());
    });
    return out;
  }();
  return samples;
}

void BM_Engine(benchmark::State& state) {
  const std::vector<Sample>& samples = MixSamples();
  EngineOptions options;
  options.shards = static_cast<int>(state.range(0));
  if (state.range(1) == 0) options.snapshot_interval_ms = std::int64_t{1} << 40;
  std::uint64_t decisions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CountingSink sink;
    auto engine = std::make_unique<canaryd::Engine>(options, &sink);
    state.ResumeTiming();
    std::uint64_t seq = 0;
    // Copied into the batches' slots, as the Kafka consumer does from its one decoded Sample:
    // moving them in would leave the shard threads freeing every report's strings.
    for (const Sample& s : samples) engine->Submit(++seq, s);
    engine->Flush();
    state.PauseTiming();
    engine.reset();
    decisions = sink.decisions.load();
    state.ResumeTiming();
  }
  PerReportCounters(state, samples.size());
  state.counters["decisions"] = static_cast<double>(decisions);
  state.SetLabel(std::string(state.range(1) ? "snapshots every 200 ms" : "periodic snapshots off"));
}

void ModeColumns(benchmark::internal::Benchmark* b) {
  for (int mode : {kSplit, kShadow, kBaselineOnly}) {
    for (int columns : {2, 20}) b->Args({mode, columns});
  }
}

BENCHMARK(BM_DomParse)->ArgNames({"mode", "cols"})->Args({kSplit, 2})->Args({kSplit, 20});
BENCHMARK(BM_Decode)->ArgNames({"mode", "cols"})->Args({kSplit, 2})->Args({kSplit, 20});
BENCHMARK(BM_Apply)->ArgNames({"mode", "cols"})->Apply(ModeColumns)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_View)
    ->ArgNames({"cols", "hours"})
    ->ArgsProduct({{2, 20}, {1, 6, 48}})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DedupeObserve)->ArgName("arms")->Arg(1)->Arg(2);
BENCHMARK(BM_StudentTToZ)->ArgName("df")->Arg(5)->Arg(42)->Arg(1000)->Arg(20000);
BENCHMARK(BM_Engine)
    ->ArgNames({"shards", "snap"})
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // decisions are logged at info; keep output to figures
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
