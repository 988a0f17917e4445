#include "detector/sample.h"

#include <gtest/gtest.h>

namespace canaryd {
namespace {

Sample Full(const std::string& tag, Arm arm) {
  Sample s;
  s.dataset = "ds." + tag;
  s.arm = arm;
  s.release = "release-" + tag + "-with-a-name-longer-than-the-inline-buffer";
  s.load_id = "load-" + tag;
  s.ts_ms = static_cast<std::int64_t>(tag.size()) * 1000;
  s.rows = tag.size() * 10;
  s.freshness_s = static_cast<double>(tag.size());
  s.nulls = {{"email", tag.size()}, {"col_" + tag, 1}};
  s.duplicates = tag.size();
  s.schema = "sha256:" + tag;
  return s;
}

void ExpectSame(const Sample& a, const Sample& b) {
  EXPECT_EQ(a.dataset, b.dataset);
  EXPECT_EQ(a.arm, b.arm);
  EXPECT_EQ(a.release, b.release);
  EXPECT_EQ(a.load_id, b.load_id);
  EXPECT_EQ(a.ts_ms, b.ts_ms);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.freshness_s, b.freshness_s);
  ASSERT_EQ(a.nulls.size(), b.nulls.size());
  for (std::size_t i = 0; i < a.nulls.size(); ++i) {
    EXPECT_EQ(a.nulls[i].column, b.nulls[i].column);
    EXPECT_EQ(a.nulls[i].nulls, b.nulls[i].nulls);
  }
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.schema, b.schema);
}

TEST(SampleTest, SwapExchangesEveryField) {
  Sample a = Full("a", Arm::kCanary);
  Sample b = Full("bbbb", Arm::kBaseline);
  b.freshness_s.reset();  // optionals swap with their emptiness
  const Sample a0 = a;
  const Sample b0 = b;
  swap(a, b);
  ExpectSame(a, b0);
  ExpectSame(b, a0);
}

}  // namespace
}  // namespace canaryd
