#include "detector/judge/verdict.h"

namespace canaryd {

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kNotEvaluated:
      return "NOT_EVALUATED";
    case Verdict::kInconclusive:
      return "INCONCLUSIVE";
    case Verdict::kPass:
      return "PASS";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kFail:
      return "FAIL";
  }
  return "UNKNOWN";
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kContinue:
      return "continue";
    case Decision::kPromote:
      return "promote";
    case Decision::kRollback:
      return "rollback";
  }
  return "unknown";
}

}  // namespace canaryd
