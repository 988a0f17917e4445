// The v1 sample contract (design §2) as a decoded, validated value. Everything downstream of the
// decoder may assume the contract's rules hold for a Sample.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canaryd {

enum class Arm : std::uint8_t { kBaseline = 0, kCanary = 1 };

inline std::string_view ArmName(Arm arm) { return arm == Arm::kCanary ? "canary" : "baseline"; }

struct ColumnNulls {
  std::string column;
  std::uint64_t nulls = 0;
};

// The most rows one load may report: 10^15, far above any real load. A release's totals sum
// loads in 64 bits, which a few loads near 2^63 would overflow into nonsense rates.
inline constexpr std::uint64_t kMaxLoadRows = 1'000'000'000'000'000;

struct Sample {
  std::string dataset;
  Arm arm = Arm::kBaseline;
  std::string release;  // the release under test; required on canary, may be empty on baseline
  std::string load_id;
  std::int64_t ts_ms = 0;  // when the load finished, epoch milliseconds UTC
  std::uint64_t rows = 0;
  std::optional<double> freshness_s;
  std::vector<ColumnNulls> nulls;  // in document order; column names unique
  std::optional<std::uint64_t> duplicates;
  std::string schema;  // output schema fingerprint; empty when not reported
};

}  // namespace canaryd
