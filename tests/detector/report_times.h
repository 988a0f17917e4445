// Report times shared by the unit tests: a fixed start and a minute, in milliseconds.
#pragma once

#include <cstdint>

namespace canaryd::testing {

inline constexpr std::int64_t kT0 = 1795428000000;  // 2026-11-23T10:00:00Z
inline constexpr std::int64_t kMinute = 60000;

}  // namespace canaryd::testing
