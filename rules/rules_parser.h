// Reads a rules file into a RuleSet, or into every error it holds (file:line:column, message and
// a hint), never both and never only the first. Pure: no logging, no global state, nothing
// thrown, so a daemon can parse a new file on SIGHUP and keep the old rules when it is bad.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/outcome.hpp>

#include "rules/rule_error.h"
#include "rules/rule_set.h"

namespace canaryd {

using RulesResult =
    BOOST_OUTCOME_V2_NAMESPACE::basic_result<RuleSet, RuleErrors,
                                             BOOST_OUTCOME_V2_NAMESPACE::policy::terminate>;

// Bigger files are refused unread: rules for thousands of datasets fit in far less.
inline constexpr std::size_t kMaxRulesFileBytes = 1 << 20;
// Collecting stops after this many errors: the rest are usually echoes of the first ones.
inline constexpr std::size_t kMaxRuleErrors = 100;

// file_name only labels errors.
RulesResult ParseRules(std::string_view yaml, std::string_view file_name);

// Reads and parses path; an unreadable file is an error like any other.
RulesResult LoadRulesFile(const std::string& path);

}  // namespace canaryd
