// Name matching for the rules language: globs over dataset and column names, and the
// "did you mean" suggestions that turn a typo into a one-character fix.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace canaryd {

// '*' matches any run of characters (also none), '?' one character; everything else itself.
bool IsGlob(std::string_view pattern);
bool GlobMatch(std::string_view pattern, std::string_view name);

// The closest candidate within a small edit distance, or "" when none is close enough to be the
// likely intent.
std::string ClosestMatch(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace canaryd
