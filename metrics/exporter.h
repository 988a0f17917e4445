// Prometheus text exposition of verdicts and of canaryd's own health, rendered at scrape time
// from a VerdictSource snapshot. Every series and its meaning: metrics/README.md.
//
// A fresh prometheus-cpp registry is built per scrape from the engine's snapshot, so a release the
// engine has retired simply stops appearing (bounded cardinality without bookkeeping), and a
// scrape only reads published snapshots, never the shards' live state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detector/http/verdict_source.h"

namespace canaryd {

// Content-Type of the text exposition format 0.0.4.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Pure: renders the given state. Exposed for tests and benches.
std::string RenderMetrics(const std::vector<ReleaseDatasetView>& releases,
                          const HealthStats& health, bool ready);

class MetricsExporter {
 public:
  // source must outlive the exporter.
  explicit MetricsExporter(const VerdictSource& source) : source_(source) {}
  // Reads the source once and renders; may throw on allocation failure only.
  std::string Render() const;

 private:
  const VerdictSource& source_;
};

}  // namespace canaryd
