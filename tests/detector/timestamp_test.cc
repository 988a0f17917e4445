#include "detector/timestamp.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

constexpr std::int64_t kReference = 1'795'428'252'000;  // 2026-11-23T10:04:12Z

TEST(ParseTimestampMs, UtcWithZ) {
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12Z"), kReference);
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMs("2000-01-01T00:00:00Z"), 946'684'800'000);
  EXPECT_EQ(ParseTimestampMs("9999-12-31T23:59:59Z"), 253'402'300'799'000);
  EXPECT_EQ(ParseTimestampMs("0001-01-01T00:00:00Z"), -62'135'596'800'000);
  EXPECT_EQ(ParseTimestampMs("0000-01-01T00:00:00Z"), -62'167'219'200'000);
}

TEST(ParseTimestampMs, LowercaseSeparators) {
  EXPECT_EQ(ParseTimestampMs("2026-11-23t10:04:12z"), kReference);
  EXPECT_EQ(ParseTimestampMs("2026-11-23t10:04:12+00:00"), kReference);
}

TEST(ParseTimestampMs, FractionalSecondsTruncateToMilliseconds) {
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.5Z"), kReference + 500);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.12Z"), kReference + 120);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.123Z"), kReference + 123);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.123456789Z"), kReference + 123);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.9999Z"), kReference + 999);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.000Z"), kReference);
}

TEST(ParseTimestampMs, OffsetsConvertToUtc) {
  EXPECT_EQ(ParseTimestampMs("2026-11-23T12:04:12+02:00"), kReference);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T04:34:12-05:30"), kReference);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12-00:00"), kReference);
  EXPECT_EQ(ParseTimestampMs("2026-11-23T10:04:12.250+01:00"), kReference - 3'600'000 + 250);
  // The offset moves the instant across a date (and year) boundary.
  EXPECT_EQ(ParseTimestampMs("2027-01-01T01:00:00+02:00"),
            ParseTimestampMs("2026-12-31T23:00:00Z"));
  EXPECT_EQ(ParseTimestampMs("2026-12-31T23:30:00-23:59"),
            ParseTimestampMs("2027-01-01T23:29:00Z"));
}

TEST(ParseTimestampMs, LeapYears) {
  EXPECT_EQ(ParseTimestampMs("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_TRUE(ParseTimestampMs("2000-02-29T00:00:00Z"));   // divisible by 400
  EXPECT_FALSE(ParseTimestampMs("1900-02-29T00:00:00Z"));  // divisible by 100 only
  EXPECT_FALSE(ParseTimestampMs("2026-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseTimestampMs("2026-02-28T00:00:00Z"));
}

TEST(ParseTimestampMs, DaysPerMonth) {
  EXPECT_TRUE(ParseTimestampMs("2026-01-31T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-06-31T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-09-31T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-31T00:00:00Z"));
  EXPECT_TRUE(ParseTimestampMs("2026-12-31T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-12-32T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-12-00T00:00:00Z"));
}

TEST(ParseTimestampMs, FieldRanges) {
  EXPECT_FALSE(ParseTimestampMs("2026-00-10T00:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-13-10T00:00:00Z"));
  EXPECT_TRUE(ParseTimestampMs("2026-11-23T23:59:59Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-23T24:00:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-23T10:60:00Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-23T10:04:61Z"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-23T10:04:12+24:00"));
  EXPECT_FALSE(ParseTimestampMs("2026-11-23T10:04:12+02:60"));
}

TEST(ParseTimestampMs, LeapSecondLandsOnTheNextSecond) {
  EXPECT_EQ(ParseTimestampMs("2016-12-31T23:59:60Z"), ParseTimestampMs("2017-01-01T00:00:00Z"));
}

TEST(ParseTimestampMs, RejectsAnythingButAFullDateTime) {
  const char* const kBad[] = {
      "",
      "2026-11-23",
      "2026-11-23T10:00Z",  // load_id style, no seconds
      "2026-11-23T10:04Z",
      "2026-11-23T10:04:12",  // no offset
      "2026-11-23 10:04:12Z",
      "2026-11-23T10:04:12.Z",
      "2026-11-23T10:04:12,5Z",
      "2026-11-23T10:04:12+0200",
      "2026-11-23T10:04:12+02",
      "2026-11-23T10:04:12+2:00",
      "2026-11-23T10:04:12ZZ",
      "2026-11-23T10:04:12Z ",
      " 2026-11-23T10:04:12Z",
      "2026-11-23T10:04:12UTC",
      "26-11-23T10:04:12Z",
      "2026-1-23T10:04:12Z",
      "+2026-11-23T10:04:12Z",
      "2026/11/23T10:04:12Z",
      "2026-11-23T10-04-12Z",
      "2026-11-23X10:04:12Z",
      "2026-11-23T1a:04:12Z",
      "1795428252000",
      "2026-11-23T10:04:12.123+",
  };
  for (const char* text : kBad) {
    EXPECT_FALSE(ParseTimestampMs(text)) << text;
  }
}

TEST(FormatTimestampMs, FixedMillisecondShape) {
  EXPECT_EQ(FormatTimestampMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestampMs(kReference), "2026-11-23T10:04:12.000Z");
  EXPECT_EQ(FormatTimestampMs(kReference + 7), "2026-11-23T10:04:12.007Z");
  EXPECT_EQ(FormatTimestampMs(1'709'164'800'000 + 86'399'999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatTimestampMs(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimestampMs(-62'167'219'200'000), "0000-01-01T00:00:00.000Z");
}

TEST(FormatTimestampMs, BeforeEpochFloorsToThePreviousDay) {
  EXPECT_EQ(FormatTimestampMs(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimestampMs(-86'400'000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(FormatTimestampMs(-86'400'001), "1969-12-30T23:59:59.999Z");
}

TEST(FormatTimestampMs, YearsOutsideRfc3339UseExpandedFormAndDoNotParse) {
  const std::string before_year_zero = FormatTimestampMs(-62'167'219'200'001);
  EXPECT_EQ(before_year_zero, "-0001-12-31T23:59:59.999Z");
  EXPECT_FALSE(ParseTimestampMs(before_year_zero));
  const std::string year_10000 = FormatTimestampMs(253'402'300'800'000);
  EXPECT_EQ(year_10000, "+10000-01-01T00:00:00.000Z");
  EXPECT_FALSE(ParseTimestampMs(year_10000));
  // The extremes of int64 must format without overflow.
  const std::string min = FormatTimestampMs(std::numeric_limits<std::int64_t>::min());
  const std::string max = FormatTimestampMs(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(min.front(), '-');
  EXPECT_EQ(max.front(), '+');
  EXPECT_EQ(min.back(), 'Z');
  EXPECT_EQ(max.substr(max.size() - 5), ".807Z");  // INT64_MAX ends in ...807 ms
}

TEST(FormatTimestampMs, RoundTripsThroughParse) {
  // Stride is prime and not a multiple of any calendar unit, so the sample hits all fields.
  for (std::int64_t ms = -62'167'219'200'000; ms < 253'402'300'800'000; ms += 79'190'000'033) {
    const std::string text = FormatTimestampMs(ms);
    EXPECT_EQ(ParseTimestampMs(text), ms) << text;
  }
}

TEST(CivilDays, KnownAnchors) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  const CivilDate d = CivilFromDays(11017);
  EXPECT_EQ(d.year, 2000);
  EXPECT_EQ(d.month, 3U);
  EXPECT_EQ(d.day, 1U);
}

TEST(CivilDays, RoundTripAndConsecutive) {
  // Every day across ~1,100 years either side of the epoch (several 400-year eras, both signs):
  // each date maps back to its day number, and consecutive days are consecutive dates.
  CivilDate prev = CivilFromDays(-400'001);
  for (std::int64_t days = -400'000; days <= 400'000; ++days) {
    const CivilDate d = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(d.year, d.month, d.day), days);
    const bool next_day = d.year == prev.year && d.month == prev.month && d.day == prev.day + 1;
    const bool next_month = d.year == prev.year && d.month == prev.month + 1 && d.day == 1;
    const bool next_year =
        d.year == prev.year + 1 && d.month == 1 && d.day == 1 && prev.month == 12 && prev.day == 31;
    ASSERT_TRUE(next_day || next_month || next_year) << days;
    prev = d;
  }
}

TEST(PlausibleEpochMs, Bounds) {
  EXPECT_FALSE(PlausibleEpochMs(kPlausibleEpochMsMin - 1));
  EXPECT_TRUE(PlausibleEpochMs(kPlausibleEpochMsMin));
  EXPECT_TRUE(PlausibleEpochMs(kReference));
  EXPECT_TRUE(PlausibleEpochMs(kPlausibleEpochMsEnd - 1));
  EXPECT_FALSE(PlausibleEpochMs(kPlausibleEpochMsEnd));
  EXPECT_EQ(ParseTimestampMs("2000-01-01T00:00:00Z"), kPlausibleEpochMsMin);
  EXPECT_EQ(ParseTimestampMs("2100-01-01T00:00:00Z"), kPlausibleEpochMsEnd);
  EXPECT_FALSE(PlausibleEpochMs(1'763'892'252));          // epoch seconds
  EXPECT_FALSE(PlausibleEpochMs(1'763'892'252'000'000));  // epoch microseconds
  EXPECT_FALSE(PlausibleEpochMs(0));
  EXPECT_FALSE(PlausibleEpochMs(-1));
}

}  // namespace
}  // namespace canaryd
