#include "detector/timestamp.h"

#include <array>
#include <charconv>

namespace canaryd {
namespace {

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr std::int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr std::int64_t kMsPerDay = 24 * kMsPerHour;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` decimal digits at `pos`; no sign, no spaces.
bool FixedDigits(std::string_view s, std::size_t pos, std::size_t width, unsigned* out) {
  if (pos + width > s.size()) return false;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(s[i])) return false;
    value = value * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = value;
  return true;
}

bool IsLeapYear(std::int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

unsigned DaysInMonth(std::int64_t year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

void AppendPadded(std::string* out, std::int64_t value, int width) {
  std::array<char, 24> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;  // 24 chars always fit an int64
  const auto len = static_cast<int>(end - buf.data());
  for (int i = len; i < width; ++i) out->push_back('0');
  out->append(buf.data(), end);
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<std::int64_t>(year - era * 400);                      // [0, 399]
  const std::int64_t mp = month > 2 ? month - 3 : month + 9;                         // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + static_cast<std::int64_t>(day) - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                    // [0, 146096]
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;                                    // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::optional<std::int64_t> ParseTimestampMs(std::string_view s) {
  // Fixed-width prefix: YYYY-MM-DDTHH:MM:SS
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!FixedDigits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' ||
      !FixedDigits(s, 5, 2, &month) || s[7] != '-' || !FixedDigits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't') || !FixedDigits(s, 11, 2, &hour) || s[13] != ':' ||
      !FixedDigits(s, 14, 2, &minute) || s[16] != ':' || !FixedDigits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }

  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t frac_start = pos;
    std::int64_t scale = 100;
    while (pos < s.size() && IsDigit(s[pos])) {
      // Truncate rather than round: rounding .9995 up would move the instant into the next
      // second, which may be a different minute, day or year than the text says.
      if (scale > 0) {
        millis += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
    }
    if (pos == frac_start) return std::nullopt;
  }

  std::int64_t offset_ms = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const bool negative = s[pos] == '-';
    unsigned off_hour = 0, off_minute = 0;
    if (!FixedDigits(s, pos + 1, 2, &off_hour) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !FixedDigits(s, pos + 4, 2, &off_minute) || off_hour > 23 || off_minute > 59) {
      return std::nullopt;
    }
    offset_ms = off_hour * kMsPerHour + off_minute * kMsPerMinute;
    if (negative) offset_ms = -offset_ms;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  // Local time minus its offset is UTC.
  return DaysFromCivil(year, month, day) * kMsPerDay + hour * kMsPerHour + minute * kMsPerMinute +
         second * kMsPerSecond + millis - offset_ms;
}

std::string FormatTimestampMs(std::int64_t ms) {
  // Floor, not C++'s truncation toward zero, so instants before 1970 land on the right day; and
  // no days * kMsPerDay, which overflows near INT64_MIN.
  std::int64_t days = ms / kMsPerDay;
  std::int64_t rest = ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);

  std::string out;
  out.reserve(32);
  if (date.year >= 0 && date.year <= 9999) {
    AppendPadded(&out, date.year, 4);
  } else {
    out.push_back(date.year < 0 ? '-' : '+');
    // -year cannot overflow: |year| < 2^63 / kMsPerDay.
    AppendPadded(&out, date.year < 0 ? -date.year : date.year, 4);
  }
  out.push_back('-');
  AppendPadded(&out, date.month, 2);
  out.push_back('-');
  AppendPadded(&out, date.day, 2);
  out.push_back('T');
  AppendPadded(&out, rest / kMsPerHour, 2);
  rest %= kMsPerHour;
  out.push_back(':');
  AppendPadded(&out, rest / kMsPerMinute, 2);
  rest %= kMsPerMinute;
  out.push_back(':');
  AppendPadded(&out, rest / kMsPerSecond, 2);
  out.push_back('.');
  AppendPadded(&out, rest % kMsPerSecond, 3);
  out.push_back('Z');
  return out;
}

bool PlausibleEpochMs(std::int64_t ms) {
  return ms >= kPlausibleEpochMsMin && ms < kPlausibleEpochMsEnd;
}

}  // namespace canaryd
