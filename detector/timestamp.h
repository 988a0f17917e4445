// Report timestamps (design §2 `ts`): RFC 3339 date-times and epoch milliseconds, both as epoch
// milliseconds UTC. Pure functions; no locale, no time zone database, no timegm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canaryd {

// Parses an RFC 3339 `date-time` (section 5.6): `YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)`.
// 'T' and 'Z' may be lowercase. Fractional seconds may have any number of digits and are
// truncated to milliseconds. A leap second (:60) is accepted and lands on the following second.
// Rejects (nullopt) anything else: missing seconds ("2026-11-23T10:00Z" is a load_id style, not
// a ts), a space instead of 'T', surrounding whitespace, out-of-range fields, Feb 29 outside leap
// years.
std::optional<std::int64_t> ParseTimestampMs(std::string_view rfc3339);

// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`, always with millisecond precision so
// the output has a fixed shape. Years outside 0000..9999 cannot be written in RFC 3339; they use
// the ISO 8601 expanded form (sign, at least four digits), which ParseTimestampMs rejects.
std::string FormatTimestampMs(std::int64_t ms);

// Epoch milliseconds in [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z). Catches epoch seconds (and
// microseconds) sent where milliseconds are expected.
inline constexpr std::int64_t kPlausibleEpochMsMin = 946'684'800'000;    // 2000-01-01T00:00:00Z
inline constexpr std::int64_t kPlausibleEpochMsEnd = 4'102'444'800'000;  // 2100-01-01T00:00:00Z
bool PlausibleEpochMs(std::int64_t ms);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31), and back.
// Howard Hinnant's algorithms; exact for any year that fits the types.
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day);
struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};
CivilDate CivilFromDays(std::int64_t days);

}  // namespace canaryd
