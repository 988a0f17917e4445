// LimitWatch on its own: per-load limits with confirmation, quantile limits with their minimum
// loads, and the evidence sentences.
#include "detector/judge/limit_watch.h"

#include <gtest/gtest.h>

namespace canaryd {
namespace {

CheckPolicy WithLimit(LimitOp op, double value, std::string text, int confirm,
                      std::optional<double> quantile = std::nullopt) {
  CheckPolicy policy;
  policy.confirm_loads = confirm;
  AbsoluteLimit limit;
  limit.op = op;
  limit.value = value;
  limit.text = std::move(text);
  limit.quantile = quantile;
  policy.limits = {limit};
  return policy;
}

TEST(LimitWatch, EqualityLimitFailsOnTheFirstNonZeroWhenCritical) {
  const CheckPolicy policy = WithLimit(LimitOp::kEqual, 0, "duplicate_rate = 0", 1);
  LimitWatch watch(&policy, "rate");
  EXPECT_FALSE(watch.AllEvaluated());
  EXPECT_FALSE(watch.Observe(0.0, "l1"));
  EXPECT_TRUE(watch.AllEvaluated());
  EXPECT_FALSE(watch.Breaking());
  EXPECT_EQ(watch.Evidence(0).verdict, Verdict::kPass);
  EXPECT_EQ(watch.Evidence(0).sentence, "duplicate_rate = 0: holds (last load 0.00%)");
  const auto failed = watch.Observe(0.0001, "l2");
  ASSERT_TRUE(failed);
  EXPECT_EQ(*failed, 0u);
  EXPECT_TRUE(watch.Breaking());
  EXPECT_EQ(watch.Evidence(0).verdict, Verdict::kFail);
  EXPECT_EQ(watch.Evidence(0).sentence,
            "duplicate_rate = 0: broken by 1 canary load in a row (0.01% at load l2); rollback");
  // A failure is reported once and stays.
  EXPECT_FALSE(watch.Observe(0.0, "l3"));
  EXPECT_EQ(watch.Evidence(0).verdict, Verdict::kFail);
}

TEST(LimitWatch, StreakResetsWhenTheLimitHoldsAgain) {
  const CheckPolicy policy = WithLimit(LimitOp::kGreaterEqual, 1000, "row_count >= 1k", 2);
  LimitWatch watch(&policy, "rows");
  EXPECT_FALSE(watch.Observe(10, "a"));
  EXPECT_EQ(watch.Evidence(0).sentence,
            "row_count >= 1k: broken by 1 canary load in a row (10 rows); fails at 2");
  EXPECT_FALSE(watch.Observe(5000, "b"));
  EXPECT_FALSE(watch.Breaking());
  EXPECT_FALSE(watch.Observe(10, "c"));
  EXPECT_TRUE(watch.Observe(10, "d"));
}

TEST(LimitWatch, MedianNeedsTheWarmUpAndUsesTheNearestRank) {
  CheckPolicy policy = WithLimit(LimitOp::kLess, 600, "freshness median < 10m", 1, 0.5);
  policy.warm_up_canary = 3;
  LimitWatch watch(&policy, "s");
  EXPECT_FALSE(watch.Observe(900, "a"));
  EXPECT_FALSE(watch.Observe(100, "b"));
  EXPECT_EQ(watch.Evidence(0).verdict, Verdict::kNotEvaluated);
  EXPECT_EQ(watch.Evidence(0).sentence,
            "freshness median < 10m: waiting for 3 canary loads (2 so far)");
  EXPECT_FALSE(watch.Observe(200, "c"));  // median of {100, 200, 900} = 200
  EXPECT_EQ(watch.Evidence(0).canary_estimate, 200);
  EXPECT_EQ(watch.Evidence(0).sentence,
            "freshness median < 10m: holds (canary p50 200s over 3 loads)");
  EXPECT_TRUE(watch.Observe(1000, "d").has_value() == false);  // {100,200,900,1000}: rank 2 = 200
  EXPECT_TRUE(watch.Observe(1000, "e"));                       // rank 3 of 5 = 900
}

}  // namespace
}  // namespace canaryd
