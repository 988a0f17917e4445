// The audit log of decision actions: one JSON object per line, appended and flushed per record, so
// "was the rollback webhook called, when, and what did it answer" has a durable answer. Records
// hold names, ids, statuses and timings only: never a secret, a request body or a report value.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace canaryd {

class AuditLog {
 public:
  // Opens path for appending ("-" = stderr). On failure ok() is false and error() says why.
  explicit AuditLog(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  bool ok() const { return file_ != nullptr; }
  const std::string& error() const { return error_; }

  // Adds "ts" (wall clock, RFC 3339 UTC) in front of the record's fields and writes one line.
  // Thread-safe. Write errors are counted, not thrown.
  void Write(const nlohmann::ordered_json& record);
  std::uint64_t write_errors() const;

 private:
  mutable std::mutex mu_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::string error_;
  std::uint64_t write_errors_ = 0;
};

}  // namespace canaryd
