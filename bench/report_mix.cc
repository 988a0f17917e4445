#include "bench/report_mix.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

#include "detector/sample.h"
#include "detector/sample_encoder.h"
#include "detector/sim/load_simulator.h"

namespace canaryd::bench {
namespace {

using sim::Rng;

constexpr std::int64_t kStartMs = 1795392000000;  // 2026-11-23T00:00:00Z

constexpr std::array<std::string_view, 6> kDomains = {"analytics", "finance", "marketing",
                                                      "ops",       "events",  "risk"};
constexpr std::array<std::string_view, 10> kTables = {
    "orders",  "customers", "payments", "sessions", "invoices",
    "refunds", "shipments", "clicks",   "ledger",   "accounts"};
constexpr std::array<std::string_view, 12> kColumns = {
    "email",   "customer_id", "address", "phone",    "discount_code", "country",
    "user_id", "referrer",    "coupon",  "birthday", "tax_id",        "device"};
constexpr std::array<std::string_view, 7> kRegressions = {
    "null_rate", "duplicate_rate", "row_count", "freshness", "schema", "all_null", "silent"};
constexpr std::array<std::string_view, 8> kMalformed = {
    "truncated",     "bad_arm", "negative_rows", "nulls_exceed_rows",
    "empty_load_id", "bad_ts",  "invalid_utf8",  "rows_as_string"};

double LogUniform(Rng& rng, double lo, double hi) {
  return std::exp(std::log(lo) + rng.Uniform() * (std::log(hi) - std::log(lo)));
}

int UniformInt(Rng& rng, int lo, int hi) {  // [lo, hi]
  if (hi <= lo) return lo;
  return lo + static_cast<int>(rng.NextU64() % static_cast<std::uint64_t>(hi - lo + 1));
}

std::string Padded(int value, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*d", width, value);
  return buf;
}

// One dataset's reports: its releases one after another, the first preceded by warm-up history.
class DatasetStream {
 public:
  explicit DatasetStream(std::vector<sim::Scenario> scenarios) : scenarios_(std::move(scenarios)) {
    Advance();
  }
  bool has_head() const { return has_head_; }
  const Sample& head() const { return head_; }
  void Advance() {
    has_head_ = false;
    while (next_ <= scenarios_.size()) {
      if (sim_ && sim_->Next(&head_)) {
        has_head_ = true;
        return;
      }
      if (next_ == scenarios_.size()) break;
      sim_ = std::make_unique<sim::LoadSimulator>(scenarios_[next_++]);
    }
    sim_.reset();
  }

 private:
  std::vector<sim::Scenario> scenarios_;
  std::size_t next_ = 0;
  std::unique_ptr<sim::LoadSimulator> sim_;
  Sample head_;
  bool has_head_ = false;
};

struct DatasetPlan {
  std::vector<sim::Scenario> scenarios;
  bool shadow = false;
  std::vector<ReleaseInfo> releases;
};

DatasetPlan PlanDataset(const ReportMixOptions& o, int d, double reports) {
  Rng rng(o.seed * 1000003ULL + static_cast<std::uint64_t>(d) + 1);
  DatasetPlan plan;
  const std::string table = std::string(kTables[static_cast<std::size_t>(d) % kTables.size()]);
  const std::string dataset = std::string(kDomains[static_cast<std::size_t>(d) % kDomains.size()]) +
                              "." + table + "_" + Padded(d, 3);

  std::vector<std::string> pool(kColumns.begin(), kColumns.end());
  const int columns = UniformInt(rng, o.min_columns, std::min<int>(o.max_columns, 12));
  std::vector<std::string> chosen;
  for (int c = 0; c < columns; ++c) {
    const auto i = static_cast<std::size_t>(rng.NextU64() % pool.size());
    chosen.push_back(pool[i]);
    pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(i));
  }

  sim::ArmProfile base;
  base.rows_median = std::round(LogUniform(rng, 300, 2e6));
  base.rows_sigma = 0.05 + 0.2 * rng.Uniform();
  base.null_rate = LogUniform(rng, 2e-4, 0.05);
  base.duplicate_rate = LogUniform(rng, 1e-4, 5e-3);
  base.rate_jitter = 0.3;
  base.freshness_median_s = LogUniform(rng, 60, 600);
  base.freshness_sigma = 0.3;
  base.late_share = 0.01;
  base.schema = "sha256:" + Padded(d * 7919 % 100000, 5) + "c0ffee";

  plan.shadow = rng.Uniform() < o.shadow_share;
  const int releases = UniformInt(rng, o.min_releases, o.max_releases);
  const double history = std::max(0.0, std::round(reports * o.history_share));
  const double per_release = (reports - history) / std::max(1, releases);
  const int slots_per_release =
      std::max(1, static_cast<int>(std::round(per_release / (plan.shadow ? 2.0 : 1.0))));
  const int history_slots = static_cast<int>(history);
  const std::int64_t total_slots =
      history_slots + static_cast<std::int64_t>(releases) * slots_per_release;
  const std::int64_t interval =
      std::max<std::int64_t>(1000, o.span_ms / std::max<std::int64_t>(1, total_slots));
  const auto phase = static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(interval));

  for (int r = 0; r < releases; ++r) {
    sim::Scenario s;
    s.seed = rng.NextU64();
    s.dataset = dataset;
    s.release = table + "-" + (plan.shadow ? "spark" : "dbt") + "-2026.11." + Padded(d, 3) + "." +
                std::to_string(r + 1);
    s.columns = chosen;
    s.interval_ms = interval;
    s.start_ts_ms = kStartMs + phase +
                    (history_slots + static_cast<std::int64_t>(r) * slots_per_release) * interval;
    s.loads = slots_per_release;
    s.canary_share = 0.05 + 0.25 * rng.Uniform();
    s.shadow = plan.shadow;
    s.baseline = base;
    s.canary = base;
    if (r == 0 && history_slots > 0) {
      s.emit_baseline_before_start = true;
      s.baseline_history_loads = history_slots;
    }
    std::string kind = "aa";
    if (rng.Uniform() < o.regress_share) {
      kind = std::string(kRegressions[rng.NextU64() % kRegressions.size()]);
      s.regression_after_canary_loads = rng.Uniform() < 0.5 ? 0 : UniformInt(rng, 3, 12);
      if (kind == "null_rate") {
        s.canary.null_rate = std::max(3 * base.null_rate, base.null_rate + 0.005);
      } else if (kind == "duplicate_rate") {
        s.canary.duplicate_rate = std::max(5 * base.duplicate_rate, base.duplicate_rate + 0.005);
      } else if (kind == "row_count") {
        s.canary.rows_median = std::round(base.rows_median * 0.6);
      } else if (kind == "freshness") {
        s.canary.freshness_median_s = base.freshness_median_s * 2.5;
      } else if (kind == "schema") {
        s.canary.schema = base.schema + "-v2";
      } else if (kind == "all_null") {
        s.canary.all_null_columns = {chosen.front()};
      } else {  // silent
        s.canary_silent_after_loads = UniformInt(rng, 3, 12);
      }
    }
    plan.releases.push_back(ReleaseInfo{s.release, s.dataset, kind, s.shadow,
                                        s.shadow ? 0.0 : s.canary_share,
                                        kind == "aa" ? 0 : s.regression_after_canary_loads});
    plan.scenarios.push_back(std::move(s));
  }
  return plan;
}

void ReplaceFrom(std::string* line, std::string_view marker, std::string_view replacement,
                 std::size_t erase) {
  const std::size_t at = line->find(marker);
  if (at == std::string::npos) return;
  line->replace(at + marker.size(), erase, replacement);
}

// Turns a valid report into one the decoder must reject.
std::string Malform(std::string_view kind, Sample sample) {
  if (kind == "nulls_exceed_rows" && !sample.nulls.empty()) {
    sample.nulls.front().nulls = sample.rows + 1;
    return EncodeSampleJson(sample);
  }
  if (kind == "empty_load_id") {
    sample.load_id.clear();
    return EncodeSampleJson(sample);
  }
  std::string line = EncodeSampleJson(sample);
  if (kind == "truncated") {
    line.resize(line.size() / 2);
  } else if (kind == "bad_arm") {
    const std::size_t at = line.find("\"arm\":\"");
    const std::size_t end = line.find('"', at + 7);
    line.replace(at + 7, end - (at + 7), "shadow");
  } else if (kind == "negative_rows") {
    ReplaceFrom(&line, "\"rows\":", "-", 0);
  } else if (kind == "bad_ts") {
    ReplaceFrom(&line, "\"ts\":\"", "2026-13", 7);
  } else if (kind == "invalid_utf8") {
    ReplaceFrom(&line, "\"dataset\":\"", "\xff", 0);
  } else {  // rows_as_string (and nulls_exceed_rows without columns)
    const std::size_t at = line.find("\"rows\":");
    const std::size_t end = line.find(',', at);
    line.insert(end, 1, '"');
    line.insert(at + 7, 1, '"');
  }
  return line;
}

}  // namespace

ReportMixStats GenerateReportMix(const ReportMixOptions& o,
                                 const std::function<void(std::string_view)>& emit) {
  ReportMixStats stats;
  const int n = std::max(1, o.datasets);
  stats.datasets = n;

  // Datasets differ in volume (x0.5..x1.5); a 5% surplus is cut off at the end of the span.
  std::vector<double> weight(static_cast<std::size_t>(n));
  Rng weights(o.seed);
  double weight_sum = 0;
  for (double& w : weight) weight_sum += (w = 0.5 + weights.Uniform());

  std::vector<std::unique_ptr<DatasetStream>> streams;
  for (int d = 0; d < n; ++d) {
    const double reports =
        1.05 * static_cast<double>(o.reports) * weight[static_cast<std::size_t>(d)] / weight_sum;
    DatasetPlan plan = PlanDataset(o, d, reports);
    stats.shadow_datasets += plan.shadow ? 1 : 0;
    stats.releases += static_cast<int>(plan.releases.size());
    for (ReleaseInfo& info : plan.releases) {
      ++stats.releases_by_kind[info.kind];
      stats.release_list.push_back(std::move(info));
    }
    streams.push_back(std::make_unique<DatasetStream>(std::move(plan.scenarios)));
  }

  // Merge the datasets by report time (ties by dataset index: deterministic).
  using Head = std::pair<std::int64_t, int>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (int d = 0; d < n; ++d) {
    if (streams[static_cast<std::size_t>(d)]->has_head()) {
      heads.emplace(streams[static_cast<std::size_t>(d)]->head().ts_ms, d);
    }
  }

  Rng dirt(o.seed ^ 0xD1B54A32D192ED03ULL);
  std::multimap<std::uint64_t, std::string> redeliveries;  // due line -> line
  auto put = [&](std::string_view line) {
    emit(line);
    ++stats.lines;
    stats.bytes += line.size() + 1;
  };
  while (stats.lines < o.reports) {
    if (!redeliveries.empty() && (redeliveries.begin()->first <= stats.lines || heads.empty())) {
      put(redeliveries.begin()->second);
      redeliveries.erase(redeliveries.begin());
      ++stats.redelivered;
      continue;
    }
    if (heads.empty()) break;
    const int d = heads.top().second;
    heads.pop();
    DatasetStream& stream = *streams[static_cast<std::size_t>(d)];
    const Sample& sample = stream.head();
    if (dirt.Uniform() < o.malformed_share) {
      const std::string_view kind = kMalformed[dirt.NextU64() % kMalformed.size()];
      put(Malform(kind, sample));
      ++stats.malformed;
      ++stats.malformed_by_kind[std::string(kind)];
    } else {
      std::string line = EncodeSampleJson(sample);
      if (dirt.Uniform() < o.duplicate_share) {
        redeliveries.emplace(stats.lines + 1 + dirt.NextU64() % 64, line);
      }
      put(line);
      ++stats.samples;
    }
    stream.Advance();
    if (stream.has_head()) heads.emplace(stream.head().ts_ms, d);
  }
  return stats;
}

std::string GenerateReportMixText(const ReportMixOptions& options, ReportMixStats* stats) {
  std::string text;
  text.reserve(options.reports * 300);
  const ReportMixStats s = GenerateReportMix(options, [&](std::string_view line) {
    text.append(line);
    text.push_back('\n');
  });
  if (stats != nullptr) *stats = s;
  return text;
}

std::string DescribeReportMix(const ReportMixOptions& options, const ReportMixStats& s) {
  std::string out = std::to_string(s.lines) + " lines (" + std::to_string(s.malformed) +
                    " malformed, " + std::to_string(s.redelivered) + " redelivered), " +
                    std::to_string(s.bytes / (1024 * 1024)) + " MiB, seed " +
                    std::to_string(options.seed) + ", " + std::to_string(s.datasets) +
                    " datasets (" + std::to_string(s.shadow_datasets) + " shadow), " +
                    std::to_string(s.releases) + " releases (";
  bool first = true;
  for (const auto& [kind, count] : s.releases_by_kind) {
    out += (first ? "" : ", ") + kind + " " + std::to_string(count);
    first = false;
  }
  return out + ")";
}

}  // namespace canaryd::bench
