// A fixed-bucket latency histogram that hot paths can record into without locks (one relaxed
// atomic add per observation) and /metrics can read at any time. The daemon records the time to
// apply a report batch here and returns Snapshot() as HealthStats::evaluation_seconds.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "detector/http/verdict_source.h"

namespace canaryd {

class DurationHistogram {
 public:
  // Upper bounds in seconds, ascending. The default spans 10 µs .. 1 s: applying a batch of
  // reports takes tens of microseconds normally and anything near a second is an incident.
  explicit DurationHistogram(std::vector<double> upper_bounds_s = DefaultBounds());

  void Observe(double seconds);
  // Counts and sum may be a few observations apart when read during writes; Prometheus
  // tolerates that (each series is still monotonic).
  HistogramSnapshot Snapshot() const;

  static std::vector<double> DefaultBounds();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace canaryd
