#include "rules/text_match.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

TEST(GlobMatch, MatchesStarsAndQuestionMarks) {
  EXPECT_TRUE(GlobMatch("analytics.*", "analytics.orders"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*.orders", "marts.orders"));
  EXPECT_TRUE(GlobMatch("a?c", "abc"));
  EXPECT_TRUE(GlobMatch("warehouse_*", "warehouse_"));
  EXPECT_TRUE(GlobMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(GlobMatch("analytics.*", "staging.orders"));
  EXPECT_FALSE(GlobMatch("a?c", "ac"));
  EXPECT_FALSE(GlobMatch("analytics.orders", "analytics.orders2"));
  EXPECT_TRUE(GlobMatch("analytics.orders", "analytics.orders"));
}

TEST(GlobMatch, StaysFastOnPathologicalPatterns) {
  const std::string name(10000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", name));
}

TEST(ClosestMatch, SuggestsOnlyNearMisses) {
  constexpr std::array<std::string_view, 3> keys{"severity", "critical", "warm_up"};
  EXPECT_EQ(ClosestMatch("sevrity", keys), "severity");
  EXPECT_EQ(ClosestMatch("warmup", keys), "warm_up");
  EXPECT_EQ(ClosestMatch("Critical", keys), "critical");
  EXPECT_EQ(ClosestMatch("owner", keys), "");
  EXPECT_EQ(ClosestMatch("", keys), "");
}

TEST(IsGlob, KnowsGlobCharacters) {
  EXPECT_TRUE(IsGlob("a*"));
  EXPECT_TRUE(IsGlob("a?"));
  EXPECT_FALSE(IsGlob("analytics.orders"));
}

}  // namespace
}  // namespace canaryd
