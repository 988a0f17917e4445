// /metrics cost (issue 6, "Numbers to record"), in one run:
//
//   1. Scrape time and size at ~1k and ~10k series: MetricsExporter::Render() over a fixed
//      verdict source (R releases x 1 dataset x 10 checks each, plus the self-health series),
//      and the same scrape as Prometheus does it, GET /metrics on canaryd's HttpServer over
//      loopback.
//   2. Ingest rate while scraped vs not: Engine::Submit + Flush of the benchmark mix
//      (bench/report_mix.h, decoded beforehand) while a thread renders /metrics from the live
//      engine (Engine::Releases() + Stats(), what the daemon's VerdictSource returns) every 1 s,
//      and every 100 ms as a stress case, against no scraping at all. Modes are interleaved
//      round by round (off, 1 s, 100 ms, off, ...) so a change in the machine's load hits them
//      alike; the medians are compared.
//
//   metrics_scrape_bench [--reports N] [--rounds N]      (defaults: 200000 reports, 5 rounds)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/report_mix.h"
#include "detector/engine/engine.h"
#include "detector/engine/engine_options.h"
#include "detector/http/http_client.h"
#include "detector/http/http_server.h"
#include "detector/http/verdict_source.h"
#include "detector/sample_decoder.h"
#include "metrics/exporter.h"

namespace {

using canaryd::CheckEvidence;
using canaryd::Decision;
using canaryd::HealthStats;
using canaryd::ReleaseDatasetView;
using canaryd::Verdict;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

std::size_t Series(const std::string& text) {
  std::size_t n = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (end > at && text[at] != '#') ++n;
    at = end + 1;
  }
  return n;
}

// ---- 1. A fixed source of R releases --------------------------------------------------------

CheckEvidence Stat(std::string name, std::string_view unit, Verdict verdict, int i) {
  CheckEvidence e;
  e.check = std::move(name);
  e.verdict = verdict;
  e.method = i % 3 == 0 ? "paired" : "split";
  e.unit = unit;
  e.log_e_regression = 0.37 * i;
  e.log_threshold = 6.40;
  e.log_e_non_inferiority = 1.25 + i;
  e.log_promote_threshold = 2.99;
  e.effect_log = 0.0123 * i;
  e.margin_log = 0.182;
  e.canary_estimate = unit == "rows" ? 12099 : unit == "s" ? 252.0 : 0.0174;
  e.baseline_estimate = unit == "rows" ? 12008 : unit == "s" ? 240.0 : 0.0103;
  e.canary_loads = 19 + i;
  e.baseline_loads = 11 + i;
  e.canary_rows = 229881;
  e.baseline_rows = 180125;
  e.observations = 10 + i;
  e.sentence = e.check + ": no worse than the baseline so far";
  return e;
}

// One (release, dataset) with 10 checks: 6 null-rate columns, duplicate rate, row count,
// freshness (statistical) and schema (a rule).
ReleaseDatasetView View(int r) {
  ReleaseDatasetView v;
  v.release = "release-" + std::to_string(r);
  v.dataset = "analytics.table_" + std::to_string(r % 50);
  v.decision = r % 7 == 0   ? Decision::kRollback
               : r % 3 == 0 ? Decision::kPromote
                            : Decision::kContinue;
  v.release_start_ms = 1'795'000'000'000 + r * 1000;
  v.last_report_ms = v.release_start_ms + 600'000;
  v.canary_loads = 19;
  v.baseline_loads = 11;
  for (int c = 0; c < 6; ++c) {
    v.checks.push_back(
        Stat("null_rate(column_" + std::to_string(c) + ")", "rate",
             c == 0 && v.decision == Decision::kRollback ? Verdict::kFail : Verdict::kPass, r + c));
  }
  v.checks.push_back(Stat("duplicate_rate", "rate", Verdict::kPass, r));
  v.checks.push_back(Stat("row_count", "rows", Verdict::kWarn, r));
  v.checks.push_back(Stat("freshness", "s", Verdict::kPass, r));
  CheckEvidence schema;
  schema.check = "schema";
  schema.method = "rule";
  schema.verdict = Verdict::kPass;
  schema.sentence = "schema matches the baseline";
  v.checks.push_back(schema);
  if (v.decision != Decision::kContinue) {
    v.decided_at_ms = v.last_report_ms;
    v.deciding_check = v.decision == Decision::kRollback ? "null_rate(column_0)" : "all";
    v.reason = "decided";
  }
  return v;
}

HealthStats FixedHealth() {
  HealthStats h;
  h.reports_consumed = 123456;
  h.rejected_by_reason = {{"invalid_json", 3}, {"bad_ts", 1}};
  for (int p = 0; p < 4; ++p) h.consumer_lag.push_back({"canaryd.reports", p, 10});
  h.shard_queue_depth = {0, 1};
  for (int d = 0; d < 50; ++d) {
    canaryd::DatasetHealth dh;
    dh.last_report_ms = 1'795'000'600'000;
    dh.loads_with_freshness = {{"baseline", 100}, {"canary", 20}};
    dh.loads_within_freshness_slo = {{"baseline", 99}, {"canary", 20}};
    h.datasets["analytics.table_" + std::to_string(d)] = dh;
  }
  h.evaluation_seconds = canaryd::HistogramSnapshot{{0.001, 0.01, 0.1, 1}, {5, 4, 3, 2, 1}, 0.5};
  h.start_time_s = 1'795'000'000;
  return h;
}

class FixedSource : public canaryd::VerdictSource {
 public:
  explicit FixedSource(int releases) : health_(FixedHealth()) {
    for (int r = 0; r < releases; ++r) releases_.push_back(View(r));
  }
  std::vector<ReleaseDatasetView> Releases() const override { return releases_; }
  HealthStats Health() const override { return health_; }
  bool Ready() const override { return true; }

 private:
  std::vector<ReleaseDatasetView> releases_;
  HealthStats health_;
};

void ScrapeSizes() {
  std::printf("## 1. Scrape time and size\n\n");
  // Series per release, from the difference between 1 and 2 releases.
  const std::size_t one = Series(canaryd::MetricsExporter(FixedSource(1)).Render());
  const std::size_t two = Series(canaryd::MetricsExporter(FixedSource(2)).Render());
  const std::size_t per_release = two - one;
  const std::size_t base = one - per_release;
  std::printf("series: %zu per release (1 dataset, 10 checks), %zu self-health\n\n", per_release,
              base);
  std::printf(
      "| target | releases | series | bytes | Render() median ms | p90 ms | GET /metrics median ms "
      "| p90 ms | scrapes |\n|---|---|---|---|---|---|---|---|---|\n");
  for (std::size_t target : {std::size_t{1000}, std::size_t{10000}}) {
    const int releases = static_cast<int>((target - base + per_release - 1) / per_release);
    FixedSource source(releases);
    canaryd::MetricsExporter exporter(source);
    std::string text = exporter.Render();
    const std::size_t series = Series(text);
    std::vector<double> render_ms;
    const auto until = Clock::now() + std::chrono::seconds(3);
    while (render_ms.size() < 20 || (Clock::now() < until && render_ms.size() < 500)) {
      const auto t0 = Clock::now();
      text = exporter.Render();
      render_ms.push_back(Ms(Clock::now() - t0));
    }
    // The same through the listener, as Prometheus scrapes it.
    canaryd::HttpServerOptions options;
    options.port = 0;
    canaryd::HttpServer server(options, source);
    std::string error;
    if (!server.Start(&error)) {
      std::fprintf(stderr, "http: %s\n", error.c_str());
      std::exit(1);
    }
    canaryd::HttpUrl url;
    url.host = "127.0.0.1";
    url.port = std::to_string(server.port());
    canaryd::HttpRequestSpec spec;
    spec.target = "/metrics";
    std::vector<double> get_ms;
    std::size_t http_bytes = 0;
    const auto until_http = Clock::now() + std::chrono::seconds(3);
    while (get_ms.size() < 20 || (Clock::now() < until_http && get_ms.size() < 500)) {
      const auto t0 = Clock::now();
      const canaryd::HttpResult r = canaryd::HttpFetch(url, spec);
      get_ms.push_back(Ms(Clock::now() - t0));
      if (!r.ok || r.status != 200) {
        std::fprintf(stderr, "GET /metrics failed: %s %d\n", r.error.c_str(), r.status);
        std::exit(1);
      }
      http_bytes = r.body.size();
    }
    server.Stop();
    std::printf("| %zuk | %d | %zu | %zu (HTTP %zu) | %.2f | %.2f | %.2f | %.2f | %zu + %zu |\n",
                target / 1000, releases, series, text.size(), http_bytes, Median(render_ms),
                Quantile(render_ms, 0.9), Median(get_ms), Quantile(get_ms, 0.9), render_ms.size(),
                get_ms.size());
    std::fflush(stdout);
  }
  std::printf("\n");
}

// ---- 2. Ingest while scraped ----------------------------------------------------------------

class CountingSink : public canaryd::DecisionSink {
 public:
  void OnDecision(canaryd::DecisionEvent) override { ++decisions; }
  std::atomic<std::uint64_t> decisions{0};
};

// What the daemon's VerdictSource returns, minus Kafka: the engine's snapshots and counters.
class EngineSource : public canaryd::VerdictSource {
 public:
  explicit EngineSource(const canaryd::Engine& engine) : engine_(engine) {}
  std::vector<ReleaseDatasetView> Releases() const override {
    const auto t0 = Clock::now();
    std::vector<ReleaseDatasetView> v = engine_.Releases();
    last_releases_ms_ = Ms(Clock::now() - t0);
    return v;
  }
  // How long the last Releases() took (the engine's snapshot merge), on the scraper's thread.
  double last_releases_ms() const { return last_releases_ms_; }
  HealthStats Health() const override {
    HealthStats h;
    h.engine = engine_.Stats();
    for (std::size_t d : engine_.QueueDepths()) h.shard_queue_depth.push_back(d);
    h.reports_consumed = h.engine.submitted;
    return h;
  }
  bool Ready() const override { return true; }

 private:
  const canaryd::Engine& engine_;
  mutable double last_releases_ms_ = 0;
};

std::vector<canaryd::Sample> MixSamples(std::size_t reports, std::string* description) {
  canaryd::bench::ReportMixOptions mix;
  mix.reports = reports;
  canaryd::SampleDecoder decoder;
  std::vector<canaryd::Sample> out;
  out.reserve(mix.reports);
  const canaryd::bench::ReportMixStats stats =
      canaryd::bench::GenerateReportMix(mix, [&](std::string_view line) {
        auto r = decoder.Decode(line);
        if (r.has_value()) out.push_back(std::move(r).value());
      });
  *description = canaryd::bench::DescribeReportMix(mix, stats);
  return out;
}

struct IngestRun {
  double seconds = 0;
  double reports_per_s = 0;
  std::uint64_t decisions = 0;
  std::vector<double> scrape_ms;
  std::vector<double> releases_ms;  // of which Engine::Releases()
  std::size_t max_series = 0;
  std::size_t max_bytes = 0;
};

// period_ms == 0: no scraping.
IngestRun Ingest(const std::vector<canaryd::Sample>& samples, int period_ms) {
  std::vector<canaryd::Sample> copy = samples;
  CountingSink sink;
  canaryd::EngineOptions options;  // the daemon's defaults: 2 shards, snapshots every 200 ms
  auto engine = std::make_unique<canaryd::Engine>(options, &sink);
  EngineSource source(*engine);
  canaryd::MetricsExporter exporter(source);
  IngestRun run;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread scraper;
  if (period_ms > 0) {
    scraper = std::thread([&] {
      auto next = Clock::now();
      std::unique_lock<std::mutex> lock(mu);
      while (!done) {
        lock.unlock();
        const auto t0 = Clock::now();
        const std::string text = exporter.Render();
        const double ms = Ms(Clock::now() - t0);
        const std::size_t series = Series(text);
        lock.lock();
        run.scrape_ms.push_back(ms);
        run.releases_ms.push_back(source.last_releases_ms());
        run.max_series = std::max(run.max_series, series);
        run.max_bytes = std::max(run.max_bytes, text.size());
        next += std::chrono::milliseconds(period_ms);
        cv.wait_until(lock, next, [&] { return done; });
      }
    });
  }
  const auto t0 = Clock::now();
  std::uint64_t seq = 0;
  for (canaryd::Sample& s : copy) engine->Submit(++seq, std::move(s));
  engine->Flush();
  const auto t1 = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  if (scraper.joinable()) scraper.join();
  engine.reset();
  run.seconds = std::chrono::duration<double>(t1 - t0).count();
  run.reports_per_s = static_cast<double>(samples.size()) / run.seconds;
  run.decisions = sink.decisions.load();
  return run;
}

// CPU/wall of two busy threads for 300 ms: 2.0 means two free cores.
double CoreProbe() {
  const auto w0 = Clock::now();
  std::clock_t c0 = std::clock();
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      volatile std::uint64_t x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : threads) t.join();
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  return cpu / std::chrono::duration<double>(Clock::now() - w0).count();
}

void IngestWhileScraped(std::size_t reports, int rounds) {
  std::printf("## 2. Ingest rate while scraped\n\n");
  std::string description;
  const std::vector<canaryd::Sample> samples = MixSamples(reports, &description);
  std::printf("mix: %s\n%zu valid reports; engine defaults (2 shards, snapshots every 200 ms)\n",
              description.c_str(), samples.size());
  std::printf("core probe before: %.2f (CPU/wall of 2 spinning threads; 2.00 = two free cores)\n\n",
              CoreProbe());
  const int periods[] = {0, 1000, 100};
  std::vector<IngestRun> runs[3];
  for (int round = 0; round < rounds; ++round) {
    for (int m = 0; m < 3; ++m) {
      // Rotate the order each round so no mode always runs first.
      const int mode = (m + round) % 3;
      IngestRun r = Ingest(samples, periods[mode]);
      std::printf("round %d, %-13s: %8.0f reports/s (%.2f s, %llu decisions, %zu scrapes)\n",
                  round + 1,
                  periods[mode] == 0      ? "not scraped"
                  : periods[mode] == 1000 ? "scraped 1 s"
                                          : "scraped 100ms",
                  r.reports_per_s, r.seconds, static_cast<unsigned long long>(r.decisions),
                  r.scrape_ms.size());
      std::fflush(stdout);
      runs[mode].push_back(std::move(r));
    }
  }
  std::printf("core probe after: %.2f\n\n", CoreProbe());
  auto rates = [](const std::vector<IngestRun>& v) {
    std::vector<double> out;
    for (const auto& r : v) out.push_back(r.reports_per_s);
    return out;
  };
  const double off = Median(rates(runs[0]));
  std::printf(
      "| scraping | median reports/s | min | max | vs not scraped | scrapes/run | median scrape "
      "ms | of which Releases() ms | max series | max bytes |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  for (int mode = 0; mode < 3; ++mode) {
    const std::vector<double> r = rates(runs[mode]);
    std::vector<double> scrape_ms;
    std::vector<double> releases_ms;
    std::size_t series = 0;
    std::size_t bytes = 0;
    std::size_t scrapes = 0;
    for (const auto& run : runs[mode]) {
      scrape_ms.insert(scrape_ms.end(), run.scrape_ms.begin(), run.scrape_ms.end());
      releases_ms.insert(releases_ms.end(), run.releases_ms.begin(), run.releases_ms.end());
      series = std::max(series, run.max_series);
      bytes = std::max(bytes, run.max_bytes);
      scrapes += run.scrape_ms.size();
    }
    const double med = Median(r);
    std::printf("| %s | %.0f | %.0f | %.0f | %+.1f%% | %.1f | %.2f | %.2f | %zu | %zu |\n",
                mode == 0   ? "none"
                : mode == 1 ? "every 1 s"
                            : "every 100 ms",
                med, *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end()),
                100.0 * (med / off - 1.0),
                static_cast<double>(scrapes) / static_cast<double>(runs[mode].size()),
                Median(scrape_ms), Median(releases_ms), series, bytes);
  }
  const double slower_1s = 100.0 * (1.0 - Median(rates(runs[1])) / off);
  std::printf("\ntarget (scraped every 1 s at most 5%% slower): %s (%.1f%% slower)\n",
              slower_1s <= 5.0 ? "MET" : "NOT MET", slower_1s);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);  // the engine logs decisions at info
  std::size_t reports = 200000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--reports") == 0) {
      reports = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--rounds") == 0) {
      rounds = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: metrics_scrape_bench [--reports N] [--rounds N]\n");
      return 2;
    }
  }
  ScrapeSizes();
  IngestWhileScraped(reports, std::max(1, rounds));
  return 0;
}
