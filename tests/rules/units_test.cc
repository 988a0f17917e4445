#include "rules/units.h"

#include <gtest/gtest.h>

namespace canaryd {
namespace {

TEST(DurationParser, ReadsUnitsAsPeopleWriteThem) {
  EXPECT_EQ(ParseDurationMs("15m").value(), 15 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("900s").value(), 900 * 1000);
  EXPECT_EQ(ParseDurationMs("1h30m").value(), 90 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("1h 30m").value(), 90 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("1.5h").value(), 90 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("250ms").value(), 250);
  EXPECT_EQ(ParseDurationMs("2d").value(), 2 * 86400 * 1000LL);
  EXPECT_EQ(ParseDurationMs("1w").value(), 7 * 86400 * 1000LL);
  EXPECT_EQ(ParseDurationMs("15 minutes").value(), 15 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("1 hour").value(), 3600 * 1000);
  EXPECT_EQ(ParseDurationMs("30 sec").value(), 30 * 1000);
  EXPECT_EQ(ParseDurationMs("10min").value(), 600 * 1000);
  EXPECT_EQ(ParseDurationMs(" 5m ").value(), 5 * 60 * 1000);
  EXPECT_EQ(ParseDurationMs("0s").value(), 0);
}

TEST(DurationParser, RejectsWhatCannotMeanADuration) {
  auto bare = ParseDurationMs("900");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().message, "a duration needs a unit");
  EXPECT_EQ(ParseDurationMs("-5m").error().message, "a duration cannot be negative");
  auto unit = ParseDurationMs("15x");
  EXPECT_EQ(unit.error().message, "unknown duration unit 'x'");
  EXPECT_EQ(unit.error().offset, 2u);
  EXPECT_EQ(ParseDurationMs("").error().message, "missing duration");
  EXPECT_EQ(ParseDurationMs("m").error().message, "expected a number in the duration");
  EXPECT_EQ(ParseDurationMs("1h30").error().message, "expected a unit after the number");
  EXPECT_EQ(ParseDurationMs("400d").error().message, "duration too long (over a year)");
}

TEST(PercentParser, ReadsPercentagesAsFractions) {
  EXPECT_DOUBLE_EQ(ParsePercent("0.5%").value(), 0.005);
  EXPECT_DOUBLE_EQ(ParsePercent("2%").value(), 0.02);
  EXPECT_DOUBLE_EQ(ParsePercent("2 %").value(), 0.02);
  EXPECT_DOUBLE_EQ(ParsePercent("100%").value(), 1.0);
  EXPECT_DOUBLE_EQ(ParsePercent("0").value(), 0.0);
}

TEST(PercentParser, RejectsBareAndNegativeNumbers) {
  auto bare = ParsePercent("0.5");
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().message, "a rate needs a percent sign");
  EXPECT_EQ(bare.error().hint, "write 0.5% or 50%: a bare number could mean either");
  EXPECT_EQ(ParsePercent("-1%").error().message, "a percentage cannot be negative");
  EXPECT_EQ(ParsePercent("2pp").error().message, "unexpected 'pp' after the percentage");
  EXPECT_EQ(ParsePercent("abc").error().message, "expected a percentage");
}

TEST(MarginParser, ReadsRelativeAbsoluteAndFactorMargins) {
  auto relative = ParseMarginTerm("+20%").value();
  EXPECT_EQ(relative.kind, MarginKind::kRelative);
  EXPECT_DOUBLE_EQ(relative.value, 0.2);
  EXPECT_DOUBLE_EQ(ParseMarginTerm("20%").value().value, 0.2);
  auto absolute = ParseMarginTerm("+0.1pp").value();
  EXPECT_EQ(absolute.kind, MarginKind::kPoints);
  EXPECT_DOUBLE_EQ(absolute.value, 0.001);
  auto factor = ParseMarginTerm("x1.2").value();
  EXPECT_EQ(factor.kind, MarginKind::kRelative);
  EXPECT_NEAR(factor.value, 0.2, 1e-12);
  EXPECT_NEAR(ParseMarginTerm("\xC3\x97"
                              "1.5")
                  .value()
                  .value,
              0.5, 1e-12);
  EXPECT_DOUBLE_EQ(ParseMarginTerm("0%").value().value, 0.0);
}

TEST(MarginParser, ReadsDurationsAsSeconds) {
  const auto thirty = ParseMarginTerm("+30s").value();
  EXPECT_EQ(thirty.kind, MarginKind::kSeconds);
  EXPECT_DOUBLE_EQ(thirty.value, 30.0);
  EXPECT_DOUBLE_EQ(ParseMarginTerm("1m30s").value().value, 90.0);
  EXPECT_DOUBLE_EQ(ParseMarginTerm("+2 min").value().value, 120.0);
  EXPECT_DOUBLE_EQ(ParseMarginTerm("+500ms").value().value, 0.5);
  EXPECT_EQ(ParseMarginTerm("+30 parsecs").error().message, "unknown margin unit 'parsecs'");
}

TEST(MarginParser, RejectsNegativeAndUnitlessMargins) {
  EXPECT_EQ(ParseMarginTerm("-20%").error().message, "a margin cannot be negative");
  EXPECT_EQ(ParseMarginTerm("20").error().message, "a margin needs a unit");
  EXPECT_EQ(ParseMarginTerm("20kg").error().message, "unknown margin unit 'kg'");
  EXPECT_EQ(ParseMarginTerm("x0.8").error().message, "a factor margin must be at least x1");
  EXPECT_EQ(ParseMarginTerm("x1.2%").error().message, "a factor takes no unit");
  EXPECT_EQ(ParseMarginTerm("+").error().message, "expected a number in the margin");
  EXPECT_EQ(ParseMarginTerm("200pp").error().message,
            "an absolute margin over 100pp can never be exceeded");
}

TEST(AlphaParser, AcceptsProbabilitiesStrictlyBetweenZeroAndOne) {
  EXPECT_DOUBLE_EQ(ParseAlpha("0.01").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseAlpha("1%").value(), 0.01);
  EXPECT_DOUBLE_EQ(ParseAlpha("5e-3").value(), 0.005);
  for (const char* bad : {"0", "1", "1.5", "-0.1", "100%", "0%"}) {
    auto alpha = ParseAlpha(bad);
    ASSERT_FALSE(alpha) << bad;
    EXPECT_EQ(alpha.error().message, "alpha must be between 0 and 1 (exclusive)") << bad;
  }
  EXPECT_EQ(ParseAlpha("low").error().message, "alpha must be a number");
}

TEST(RowCountParser, ReadsSuffixesAndSeparators) {
  EXPECT_DOUBLE_EQ(ParseRowCount("0").value(), 0);
  EXPECT_DOUBLE_EQ(ParseRowCount("120345").value(), 120345);
  EXPECT_DOUBLE_EQ(ParseRowCount("10k").value(), 10000);
  EXPECT_DOUBLE_EQ(ParseRowCount("1.5M").value(), 1.5e6);
  EXPECT_DOUBLE_EQ(ParseRowCount("2B").value(), 2e9);
  EXPECT_DOUBLE_EQ(ParseRowCount("1_000_000").value(), 1e6);
  EXPECT_DOUBLE_EQ(ParseRowCount("500 rows").value(), 500);
  EXPECT_EQ(ParseRowCount("-1").error().message, "a row count cannot be negative");
  EXPECT_EQ(ParseRowCount("10q").error().message, "unknown row count suffix 'q'");
  EXPECT_EQ(ParseRowCount("many").error().message, "expected a number of rows");
}

TEST(LoadsParser, ReadsWholePositiveCounts) {
  EXPECT_EQ(ParseLoads("3").value(), 3);
  EXPECT_EQ(ParseLoads("3 loads").value(), 3);
  EXPECT_EQ(ParseLoads("1 load").value(), 1);
  EXPECT_EQ(ParseLoads("0").error().message, "a number of loads must be between 1 and 10000");
  EXPECT_EQ(ParseLoads("2.5").error().message, "a number of loads must be whole");
  EXPECT_EQ(ParseLoads("3 days").error().message, "unexpected 'days' after the number of loads");
  EXPECT_EQ(ParseLoads("few").error().message, "expected a number of loads");
}

TEST(UnitFormat, WritesValuesBackShort) {
  EXPECT_EQ(FormatDurationMs(15 * 60 * 1000), "15m");
  EXPECT_EQ(FormatDurationMs(90 * 60 * 1000), "1h30m");
  EXPECT_EQ(FormatDurationMs(1500), "1500ms");
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatPercent(0.005), "0.5%");
  EXPECT_EQ(FormatPercent(0.2), "20%");
}

}  // namespace
}  // namespace canaryd
