// The monotonic clock, for timeouts, intervals and pacing. Never for judging: report time comes
// from the reports' ts, so replay and restarts see the same time.
#pragma once

#include <chrono>
#include <cstdint>

namespace canaryd {

inline std::int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t SteadyMs() { return SteadyNs() / 1'000'000; }

}  // namespace canaryd
