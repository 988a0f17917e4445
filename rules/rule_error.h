// A problem found in a rules file, located so that an editor can jump to it.
#pragma once

#include <string>
#include <vector>

namespace canaryd {

// 1-based, as editors count. line 0 means "not from the file" (a built-in default).
struct SourcePos {
  int line = 0;
  int column = 0;
  bool operator==(const SourcePos&) const = default;
};

struct RuleError {
  std::string file;
  SourcePos pos;
  std::string message;
  std::string hint;  // what to write instead; may be empty
};

using RuleErrors = std::vector<RuleError>;

// "file:line:column: message (hint)", the shape compilers use, so editors and CI annotate it.
std::string FormatRuleError(const RuleError& error);

}  // namespace canaryd
