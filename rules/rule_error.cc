#include "rules/rule_error.h"

namespace canaryd {

std::string FormatRuleError(const RuleError& error) {
  std::string out = error.file;
  // Problems with the file as a whole (unreadable, too large) have no position.
  if (error.pos.line > 0) {
    out += ':' + std::to_string(error.pos.line) + ':' + std::to_string(error.pos.column);
  }
  out += ": ";
  out += error.message;
  if (!error.hint.empty()) out += " (" + error.hint + ')';
  return out;
}

}  // namespace canaryd
