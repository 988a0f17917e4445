// `canaryd replay`: offline and deterministic. Reads JSON Lines reports, drives them through the
// same engine and judge as the daemon, prints one JSON line per decision and a summary line.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>

#include "detector/engine/engine_options.h"

namespace canaryd {

struct ReplayOptions {
  EngineOptions engine;
  bool progress = false;                 // live progress on the error stream
  std::size_t max_logged_rejects = 100;  // each rejected line is logged up to this many
};

struct ReplaySummary {
  std::uint64_t reports_read = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::uint64_t duplicate_deliveries = 0;
  std::uint64_t too_old = 0;
  std::uint64_t after_decision = 0;
  std::uint64_t future_ts = 0;
  std::uint64_t releases = 0;
  std::uint64_t rolled_back = 0;
  std::uint64_t promoted = 0;
  std::uint64_t continuing = 0;
};

// Exit codes of design §5.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitRollback = 3;

// Replays `in`; decisions and the summary go to `out`, progress and rejects to the log. Returns
// kExitRollback if any release was rolled back, else kExitOk.
int RunReplay(std::istream& in, std::ostream& out, const ReplayOptions& options,
              ReplaySummary* summary = nullptr);

}  // namespace canaryd
