// One logger for the whole program: stderr (stdout carries replay's JSON), one line per event,
// key=value, UTC timestamps.
#pragma once

#include <string_view>

namespace canaryd {

// Returns false for an unknown level name.
bool SetUpLogging(std::string_view level);

}  // namespace canaryd
