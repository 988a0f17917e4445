#include "detector/judge/check_policy.h"

#include "detector/judge/judge_options.h"

namespace canaryd {

std::string_view LimitOpText(LimitOp op) {
  switch (op) {
    case LimitOp::kLess:
      return "<";
    case LimitOp::kLessEqual:
      return "<=";
    case LimitOp::kGreater:
      return ">";
    case LimitOp::kGreaterEqual:
      return ">=";
    case LimitOp::kEqual:
      return "=";
  }
  return "?";
}

bool AbsoluteLimit::Holds(double observed) const {
  switch (op) {
    case LimitOp::kLess:
      return observed < value;
    case LimitOp::kLessEqual:
      return observed <= value;
    case LimitOp::kGreater:
      return observed > value;
    case LimitOp::kGreaterEqual:
      return observed >= value;
    case LimitOp::kEqual:
      return observed == value;
  }
  return false;
}

bool AbsoluteLimit::BoundsAbove() const {
  return op == LimitOp::kLess || op == LimitOp::kLessEqual || op == LimitOp::kEqual;
}

bool AbsoluteLimit::BoundsBelow() const {
  return op == LimitOp::kGreater || op == LimitOp::kGreaterEqual || op == LimitOp::kEqual;
}

CheckPolicy BuiltInPolicy(std::string_view check, const JudgeOptions& options) {
  CheckPolicy policy;
  policy.warm_up_canary = options.min_canary_loads;
  policy.warm_up_baseline = options.min_baseline_loads;
  if (check == "row_count") {
    policy.bad_up = false;
    policy.bad_down = true;
    policy.margin_relative = options.row_count_margin_relative;
  } else if (check == "freshness") {
    policy.margin_relative = options.freshness_margin_relative;
    policy.margin_absolute = options.freshness_margin_absolute_s;
  } else if (check != "schema") {  // null_rate(...), duplicate_rate
    policy.margin_relative = options.rate_margin_relative;
    policy.margin_absolute = options.rate_margin_absolute;
  }
  return policy;
}

}  // namespace canaryd
