#include "rules/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace canaryd {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

UnitError Fail(std::string message, std::string hint, std::size_t offset = 0) {
  return UnitError{std::move(message), std::move(hint), offset};
}

// An unsigned decimal number at the start of text (digits, '_' between digits, '.', exponent).
// Returns the characters used, 0 when there is no number.
std::size_t ReadNumber(std::string_view text, double& value) {
  std::string digits;
  std::size_t i = 0;
  bool seen_digit = false;
  while (i < text.size()) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      seen_digit = true;
    } else if (c == '.') {
      digits += c;
    } else if (c == '_' && seen_digit && i + 1 < text.size() && text[i + 1] >= '0' &&
               text[i + 1] <= '9') {
      // 1_000_000: a separator, not part of the value
    } else if ((c == 'e' || c == 'E') && seen_digit && i + 1 < text.size() &&
               ((text[i + 1] >= '0' && text[i + 1] <= '9') ||
                ((text[i + 1] == '-' || text[i + 1] == '+') && i + 2 < text.size() &&
                 text[i + 2] >= '0' && text[i + 2] <= '9'))) {
      digits += c;
      digits += text[++i];
    } else {
      break;
    }
    ++i;
  }
  if (!seen_digit) return 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) return 0;
  return i;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

struct NamedUnit {
  std::string_view name;
  double ms;
};
constexpr std::array<NamedUnit, 20> kDurationUnits{{
    {"ms", 1},         {"s", 1e3},     {"sec", 1e3},     {"secs", 1e3},     {"second", 1e3},
    {"seconds", 1e3},  {"m", 60e3},    {"min", 60e3},    {"mins", 60e3},    {"minute", 60e3},
    {"minutes", 60e3}, {"h", 3600e3},  {"hr", 3600e3},   {"hrs", 3600e3},   {"hour", 3600e3},
    {"hours", 3600e3}, {"d", 86400e3}, {"day", 86400e3}, {"days", 86400e3}, {"w", 7 * 86400e3},
}};

constexpr const char* kDurationHint = "write it like 15m, 900s or 1h30m";

}  // namespace

UnitResult<std::int64_t> ParseDurationMs(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  const std::size_t base = static_cast<std::size_t>(trimmed.data() - text.data());
  if (trimmed.empty()) return Fail("missing duration", kDurationHint);
  if (trimmed.front() == '-') return Fail("a duration cannot be negative", kDurationHint, base);
  double total = 0;
  std::size_t i = trimmed.front() == '+' ? 1 : 0;
  while (i < trimmed.size()) {
    double value = 0;
    const std::size_t used = ReadNumber(trimmed.substr(i), value);
    if (used == 0) return Fail("expected a number in the duration", kDurationHint, base + i);
    const std::size_t number_at = i;
    i += used;
    while (i < trimmed.size() && IsSpace(trimmed[i])) ++i;
    std::size_t unit_end = i;
    while (unit_end < trimmed.size() &&
           std::isalpha(static_cast<unsigned char>(trimmed[unit_end]))) {
      ++unit_end;
    }
    const std::string_view unit = trimmed.substr(i, unit_end - i);
    if (unit.empty()) {
      if (number_at == 0 && i == trimmed.size()) {
        return Fail("a duration needs a unit",
                    "900 could be seconds or minutes: " + std::string(kDurationHint),
                    base + number_at);
      }
      return Fail("expected a unit after the number", kDurationHint, base + i);
    }
    double unit_ms = 0;
    for (const NamedUnit& u : kDurationUnits) {
      if (u.name == unit) unit_ms = u.ms;
    }
    if (unit_ms == 0) {
      return Fail("unknown duration unit '" + std::string(unit) + "'",
                  "use ms, s, m, h or d, e.g. 15m or 1h30m", base + i);
    }
    total += value * unit_ms;
    i = unit_end;
    while (i < trimmed.size() && IsSpace(trimmed[i])) ++i;
  }
  constexpr double kMaxMs = 366.0 * 86400e3;
  if (total > kMaxMs) return Fail("duration too long (over a year)", kDurationHint, base);
  return static_cast<std::int64_t>(std::llround(total));
}

UnitResult<double> ParsePercent(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  const std::size_t base = static_cast<std::size_t>(trimmed.data() - text.data());
  if (trimmed.empty()) return Fail("missing percentage", "write it like 0.5%");
  if (trimmed.front() == '-') return Fail("a percentage cannot be negative", "", base);
  const std::size_t sign = trimmed.front() == '+' ? 1 : 0;
  double value = 0;
  const std::size_t used = ReadNumber(trimmed.substr(sign), value);
  if (used == 0) return Fail("expected a percentage", "write it like 0.5%", base);
  std::string_view rest = Trim(trimmed.substr(sign + used));
  if (rest.empty()) {
    if (value == 0) return 0.0;
    return Fail("a rate needs a percent sign",
                "write " + std::string(trimmed) + "% or " + FormatPercent(value) +
                    ": a bare number could mean either",
                base);
  }
  if (rest != "%") {
    return Fail("unexpected '" + std::string(rest) + "' after the percentage", "write it like 0.5%",
                base + sign + used);
  }
  return value / 100.0;
}

UnitResult<MarginTerm> ParseMarginTerm(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  const std::size_t base = static_cast<std::size_t>(trimmed.data() - text.data());
  constexpr const char* kHint =
      "write +20% (relative), +0.1pp (percentage points, rates) or +30s (freshness)";
  if (trimmed.empty()) return Fail("missing margin", kHint);
  if (trimmed.front() == '-') {
    return Fail("a margin cannot be negative",
                "it is how much worse the canary may be in the bad direction; use `bad: down` "
                "when fewer is worse",
                base);
  }
  std::size_t i = trimmed.front() == '+' ? 1 : 0;
  bool factor = false;
  if (trimmed.substr(i).starts_with("x")) {
    factor = true;
    i += 1;
  } else if (trimmed.substr(i).starts_with("\xC3\x97")) {  // U+00D7 multiplication sign
    factor = true;
    i += 2;
  }
  double value = 0;
  const std::size_t used = ReadNumber(trimmed.substr(i), value);
  if (used == 0) return Fail("expected a number in the margin", kHint, base + i);
  const std::string_view unit = Trim(trimmed.substr(i + used));
  const std::size_t unit_at =
      unit.empty() ? base + i + used : static_cast<std::size_t>(unit.data() - text.data());
  if (factor) {
    if (!unit.empty()) return Fail("a factor takes no unit", "write x1.2 or +20%", unit_at);
    if (value < 1) {
      return Fail("a factor margin must be at least x1", "x1.2 allows the canary to be 20% worse",
                  base);
    }
    return MarginTerm{MarginKind::kRelative, value - 1.0};
  }
  if (unit == "%") return MarginTerm{MarginKind::kRelative, value / 100.0};
  if (unit == "pp") {
    if (value > 100) return Fail("an absolute margin over 100pp can never be exceeded", "", base);
    return MarginTerm{MarginKind::kPoints, value / 100.0};
  }
  if (unit.empty()) return Fail("a margin needs a unit", kHint, base);
  // A duration, read by the duration parser so that "+1m30s" means what it does in a limit.
  if (auto ms = ParseDurationMs(trimmed.substr(i)); ms) {
    return MarginTerm{MarginKind::kSeconds, static_cast<double>(ms.value()) / 1000.0};
  }
  return Fail("unknown margin unit '" + std::string(unit) + "'", kHint, unit_at);
}

namespace {
// A fraction strictly between 0 and 1, as "0.01" or "1%"; `what` names it in the messages.
UnitResult<double> ParseOpenFraction(std::string_view text, const std::string& what,
                                     const char* hint) {
  const std::string_view trimmed = Trim(text);
  const std::string out_of_range = what + " must be between 0 and 1 (exclusive)";
  if (trimmed.empty()) return Fail("missing " + what, hint);
  double value = 0;
  if (trimmed.ends_with('%')) {
    auto percent = ParsePercent(trimmed);
    if (!percent) return Fail(percent.error().message, hint);
    value = percent.value();
  } else {
    if (trimmed.front() == '-') return Fail(out_of_range, hint);
    const std::size_t sign = trimmed.front() == '+' ? 1 : 0;
    const std::size_t used = ReadNumber(trimmed.substr(sign), value);
    if (used == 0 || sign + used != trimmed.size()) return Fail(what + " must be a number", hint);
  }
  if (!(value > 0 && value < 1)) return Fail(out_of_range, hint);
  return value;
}
}  // namespace

UnitResult<double> ParseAlpha(std::string_view text) {
  return ParseOpenFraction(text, "alpha", "alpha is a probability, e.g. 0.01 or 1%");
}

UnitResult<double> ParseCanaryShare(std::string_view text) {
  return ParseOpenFraction(text, "canary_min_share",
                           "the smallest share of runs the canary gets, e.g. 2% or 0.02");
}

UnitResult<double> ParseRowCount(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  const std::size_t base = static_cast<std::size_t>(trimmed.data() - text.data());
  constexpr const char* kHint = "write a number of rows like 0, 5000, 10k or 1.5M";
  if (trimmed.empty()) return Fail("missing row count", kHint);
  if (trimmed.front() == '-') return Fail("a row count cannot be negative", kHint, base);
  const std::size_t sign = trimmed.front() == '+' ? 1 : 0;
  double value = 0;
  const std::size_t used = ReadNumber(trimmed.substr(sign), value);
  if (used == 0) return Fail("expected a number of rows", kHint, base);
  const std::string_view suffix = Trim(trimmed.substr(sign + used));
  double scale = 1;
  if (suffix == "k" || suffix == "K") {
    scale = 1e3;
  } else if (suffix == "M") {
    scale = 1e6;
  } else if (suffix == "B" || suffix == "G") {
    scale = 1e9;
  } else if (suffix == "rows" || suffix == "row") {
    scale = 1;
  } else if (!suffix.empty()) {
    return Fail("unknown row count suffix '" + std::string(suffix) + "'", kHint,
                base + sign + used);
  }
  return value * scale;
}

UnitResult<int> ParseLoads(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  constexpr const char* kHint = "write a whole number of loads, e.g. 3 or 3 loads";
  double value = 0;
  const std::size_t used = ReadNumber(trimmed, value);
  if (used == 0) return Fail("expected a number of loads", kHint);
  const std::string_view suffix = Trim(trimmed.substr(used));
  if (!suffix.empty() && suffix != "loads" && suffix != "load") {
    return Fail("unexpected '" + std::string(suffix) + "' after the number of loads", kHint, used);
  }
  if (value != std::floor(value)) return Fail("a number of loads must be whole", kHint);
  if (value < 1 || value > 10000)
    return Fail("a number of loads must be between 1 and 10000", kHint);
  return static_cast<int>(value);
}

std::string FormatDurationMs(std::int64_t ms) {
  if (ms == 0) return "0s";
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  std::int64_t s = ms / 1000;
  std::string out;
  const std::pair<std::int64_t, const char*> parts[] = {
      {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (const auto& [size, unit] : parts) {
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  }
  return out;
}

std::string FormatPercent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g%%", fraction * 100.0);
  return buffer;
}

}  // namespace canaryd
