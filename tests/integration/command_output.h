// What the integration and end-to-end tests read back from commands they run: a shell command's
// standard output (with a time limit), and the JSON objects among its lines.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace canaryd::testing {

// Runs `cmd` with `sh -c` under `timeout 60` (a hung client fails the test instead of the run)
// and returns its standard output.
inline std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* pipe = popen(("timeout 60 " + cmd).c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

// The lines of `text` that parse as JSON, in order; the others (log lines) are skipped.
inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace canaryd::testing
