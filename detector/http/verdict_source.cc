#include "detector/http/verdict_source.h"

namespace canaryd {

Decision ReleaseDecisionOf(const std::vector<const ReleaseDatasetView*>& datasets) {
  bool all_promoted = !datasets.empty();
  for (const ReleaseDatasetView* v : datasets) {
    if (v->decision == Decision::kRollback) return Decision::kRollback;
    if (v->decision != Decision::kPromote) all_promoted = false;
  }
  return all_promoted ? Decision::kPromote : Decision::kContinue;
}

}  // namespace canaryd
