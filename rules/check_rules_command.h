// `canaryd check-rules [--format text|json] [--dataset NAME[=COL,...]]... FILE`: validates a rules
// file and shows what every dataset will be checked for. Exit 0 valid, 2 errors or bad usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace canaryd {

// args: everything after "check-rules". Never throws.
int RunCheckRules(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace canaryd
