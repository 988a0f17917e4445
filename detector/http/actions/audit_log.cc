#include "detector/http/actions/audit_log.h"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "detector/timestamp.h"

namespace canaryd {

AuditLog::AuditLog(const std::string& path) {
  if (path == "-") {
    file_ = stderr;
    return;
  }
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    error_ = "cannot open audit log " + path + ": " + std::strerror(errno);
    return;
  }
  owned_ = true;
}

AuditLog::~AuditLog() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

void AuditLog::Write(const nlohmann::ordered_json& record) {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  nlohmann::ordered_json line = {{"ts", FormatTimestampMs(ms)}};
  for (const auto& [k, v] : record.items()) line[k] = v;
  std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return;
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    ++write_errors_;
  }
}

std::uint64_t AuditLog::write_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return write_errors_;
}

}  // namespace canaryd
