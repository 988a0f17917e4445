// A deterministic, realistic mix of v1 load reports for the throughput benchmarks: many datasets
// reporting at their own rhythm, each with a warm baseline and one or two canary releases (some
// regressing), split and shadow mode, plus the dirt a real topic carries: malformed reports and
// redeliveries. Built on sim::LoadSimulator and EncodeSampleJson, so the same seed gives the same
// bytes on every machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd::bench {

struct ReportMixOptions {
  std::uint64_t seed = 20261123;
  std::size_t reports = 1'000'000;  // lines written, malformed and redelivered ones included
  int datasets = 200;
  int min_releases = 1;  // canary releases per dataset, drawn uniformly in [min, max]
  int max_releases = 2;
  int min_columns = 2;  // null-count columns per dataset, drawn uniformly in [min, max]
  int max_columns = 4;
  double shadow_share = 0.3;       // datasets whose releases run in shadow (paired) mode
  double regress_share = 0.35;     // releases whose canary regresses
  double malformed_share = 0.001;  // lines replaced by a malformed report
  double duplicate_share = 0.01;   // lines delivered a second time, a little later
  double history_share = 0.2;      // share of a dataset's reports that are baseline-only warm-up
  std::int64_t span_ms = 7LL * 24 * 3600 * 1000;  // report time covered by every dataset
};

// What the mix contains, so a replay's decisions can be checked against it.
struct ReleaseInfo {
  std::string release;
  std::string dataset;
  std::string kind;  // "aa" (no regression) or the regression: "null_rate", "schema", ...
  bool shadow = false;
  double canary_share = 0.0;  // split mode
  int regression_after_canary_loads = 0;
};

struct ReportMixStats {
  std::uint64_t lines = 0;
  std::uint64_t samples = 0;  // valid first deliveries
  std::uint64_t malformed = 0;
  std::uint64_t redelivered = 0;
  std::uint64_t bytes = 0;  // newlines included
  int datasets = 0;
  int shadow_datasets = 0;
  int releases = 0;
  std::map<std::string, int> releases_by_kind;  // "aa", "null_rate", "schema", ...
  std::map<std::string, std::uint64_t> malformed_by_kind;
  std::vector<ReleaseInfo> release_list;
};

// Calls emit once per line (without the '\n'), in report-time order apart from redeliveries,
// which come up to 64 lines after the original. Exactly options.reports lines.
ReportMixStats GenerateReportMix(const ReportMixOptions& options,
                                 const std::function<void(std::string_view)>& emit);

// The whole mix as one JSON Lines string ('\n' after every line).
std::string GenerateReportMixText(const ReportMixOptions& options, ReportMixStats* stats = nullptr);

// One human-readable line describing the mix, for bench output and RESULTS.md.
std::string DescribeReportMix(const ReportMixOptions& options, const ReportMixStats& stats);

}  // namespace canaryd::bench
