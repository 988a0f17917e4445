// Where per-dataset judging options come from: the rules file (rules/) or, without one, the
// built-in defaults. A release takes its options when its first canary report arrives and keeps
// them to its decision, so reloading rules never changes how a running release is judged.
#pragma once

#include <memory>
#include <string>

#include "detector/judge/judge_options.h"

namespace canaryd {

class JudgeOptionsSource {
 public:
  virtual ~JudgeOptionsSource() = default;
  // The options a new release of `dataset` is judged with. Called on shard threads, once per new
  // (release, dataset); must be thread-safe (an immutable source is).
  virtual JudgeOptions For(const std::string& dataset) const = 0;
};

}  // namespace canaryd
