// Where per-dataset judging options come from: the rules file (rules/) or, without one, the
// built-in defaults. A release takes its options when its first canary report arrives and keeps
// them to its decision, so reloading rules never changes how a running release is judged.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "detector/judge/judge_options.h"
#include "detector/sample.h"

namespace canaryd {

class JudgeOptionsSource {
 public:
  virtual ~JudgeOptionsSource() = default;
  // The options a new release of `dataset` is judged with. Called on shard threads, once per new
  // (release, dataset); must be thread-safe (an immutable source is).
  virtual JudgeOptions For(const std::string& dataset) const = 0;
  // The same for a release whose first canary load reports `columns`: a source may check its
  // rules against the columns the dataset really has (a rule naming a missing column).
  virtual JudgeOptions ForColumns(const std::string& dataset,
                                  const std::vector<ColumnNulls>& columns) const {
    (void)columns;
    return For(dataset);
  }
};

}  // namespace canaryd
