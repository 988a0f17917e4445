// `canaryd demo`: the main job on the embedded default (design §5). Starts the embedded broker
// and the daemon in this process, produces a synthetic baseline and two canary releases through a
// real Kafka producer faster than real time (one healthy; one whose email null rate triples after
// a few minutes of simulated time), shows live progress, and ends with the decisions, their
// evidence, and the signal messages read back from the signal topic.
#pragma once

#include <cstdint>
#include <iosfwd>

namespace canaryd {

struct DemoOptions {
  int pace_ms = 150;      // wall milliseconds per simulated minute
  int max_minutes = 360;  // simulated minutes before giving up
  int timeout_s = 50;     // wall-clock bound on the whole demo
  std::uint64_t seed = 7;
  bool color = false;
};

// Returns 0 when the healthy release was promoted and the bad one rolled back, 1 otherwise.
int RunDemo(const DemoOptions& options, std::ostream& out);

}  // namespace canaryd
