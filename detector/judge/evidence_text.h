// The sentences a person on call reads: one line per verdict, counts and estimates only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "detector/judge/verdict.h"

namespace canaryd {

std::string FormatDuration(std::int64_t ms);                      // "31m", "2h05m", "45s"
std::string FormatEstimate(double value, std::string_view unit);  // "2.04%", "10012 rows", "252s"
std::string FormatEvidence(double log_e);  // e-value for people: "412", "3.1e+07"

// "null_rate(email) 2.04% vs 1.01% baseline over 41 canary loads; evidence 412 >= 400 needed;
// rollback" and its PASS / WARN / warm-up siblings.
std::string SentenceFor(const CheckEvidence& e);
std::string SloSentence(const CheckEvidence& e, double slo_s, double slo_share);

}  // namespace canaryd
