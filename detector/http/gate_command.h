// `canaryd gate`: blocks until a running daemon decides a release, for WAP "publish only if the
// audit passed" steps and CI jobs. Polls GET /v1/releases/{id}.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd {

inline constexpr int kGateExitPromote = 0;
inline constexpr int kGateExitInternal = 1;
inline constexpr int kGateExitUsage = 2;  // bad options, bad URL, token refused, unreachable
inline constexpr int kGateExitRollback = 3;
inline constexpr int kGateExitTimeout = 4;

// args are the words after "gate". Prints one line: the decision and its reason on out (exit 0
// or 3), or why it gave up on err (2, 4). --help prints usage on out and returns 0.
int RunGate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// "10m", "90s", "1h30m", "250ms", or a bare number of seconds. nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace canaryd
