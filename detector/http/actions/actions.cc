#include "detector/http/actions/actions.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "detector/http/http_client.h"
#include "detector/judge/verdict_json.h"
#include "detector/signal/decision_message.h"
#include "detector/timestamp.h"

extern char** environ;

namespace canaryd {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

std::string Hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

struct CommandResult {
  bool ok = false;
  bool timed_out = false;
  bool spawn_failed = false;  // e.g. no such program: retrying cannot help
  int exit_code = -1;
  std::string error;
};

CommandResult RunCommand(const CommandAction& c, const std::vector<std::string>& extra_env) {
  CommandResult r;
  if (c.argv.empty()) {
    r.error = "empty command";
    return r;
  }
  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    // The decision's variables replace any inherited ones of the same name.
    if (kv.starts_with("CANARYD_")) continue;
    env_storage.emplace_back(kv);
  }
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp, argv;
  for (std::string& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage = c.argv;
  for (std::string& s : argv_storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // stdout may carry canaryd's own output; a command's chatter goes to stderr with the logs.
  posix_spawn_file_actions_adddup2(&files, STDERR_FILENO, STDOUT_FILENO);
  // Its own process group, so a timeout kills the command's children too.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &files, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    r.spawn_failed = true;
    r.error = std::string("spawn ") + c.argv[0] + ": " + std::strerror(rc);
    return r;
  }
  const auto deadline = Clock::now() + c.timeout;
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      r.error = std::string("waitpid: ") + std::strerror(errno);
      return r;
    }
    if (Clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.timed_out = true;
      r.error = "timeout";
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
    r.ok = r.exit_code == 0;
    if (!r.ok) r.error = "exit status " + std::to_string(r.exit_code);
  } else if (WIFSIGNALED(status)) {
    r.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return r;
}

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return Hex(out, len);
}

std::string IdempotencyKey(const ReleaseDatasetView& view) {
  // The same key as the signal topic's, so a receiver of both can match them.
  return DecisionIdempotencyKey(view);
}

Json ActionEventJson(const ActionEvent& e, std::string_view key) {
  const ReleaseDatasetView& v = e.view;
  return Json{
      {"v", 1},
      {"event", "decision"},
      {"idempotency_key", key},
      {"release", v.release},
      {"dataset", v.dataset},
      {"decision", DecisionName(v.decision)},
      {"release_decision", DecisionName(e.release_decision)},
      {"decided_at", FormatTimestampMs(v.decided_at_ms)},
      {"deciding_check", v.deciding_check},
      {"reason", v.reason},
      {"detail", ToJson(v)},
  };
}

ActionDispatcher::ActionDispatcher(std::vector<ActionConfig> actions, AuditLog* audit)
    : actions_(std::move(actions)), audit_(audit), thread_([this] { Run(); }) {}

ActionDispatcher::~ActionDispatcher() { Stop(); }

void ActionDispatcher::Submit(ActionEvent event) {
  const std::string key = IdempotencyKey(event.view);
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = 0; i < actions_.size(); ++i) {
    if (!actions_[i].on.count(event.view.decision)) continue;
    if (!seen_.emplace(i, key).second) continue;
    queue_.push_back(Job{i, event, key});
  }
  cv_.notify_all();
}

void ActionDispatcher::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
}

void ActionDispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t ActionDispatcher::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

std::uint64_t ActionDispatcher::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

void ActionDispatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and nothing left
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    try {
      Deliver(job);
    } catch (const std::exception& e) {
      spdlog::error("event=action_error action={} release={} dataset={} reason=\"{}\"",
                    actions_[job.action].name, job.event.view.release, job.event.view.dataset,
                    e.what());
    }
    lock.lock();
    --in_flight_;
    cv_.notify_all();
  }
}

void ActionDispatcher::Deliver(const Job& job) {
  const ActionConfig& a = actions_[job.action];
  const std::string body = ActionEventJson(job.event, job.key).dump();
  const ReleaseDatasetView& v = job.event.view;
  auto backoff = a.retry.initial_backoff;
  const int max_attempts = std::max(1, a.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    Json fields;
    const auto start = Clock::now();
    const bool ok = Attempt(a, job, body, attempt, &retryable, &fields);
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping = stopping_;
    }
    const bool last = ok || !retryable || attempt >= max_attempts || stopping;
    Json record = {
        {"action", a.name},
        {"kind", a.webhook.url.empty() ? "command" : "webhook"},
        {"release", v.release},
        {"dataset", v.dataset},
        {"decision", DecisionName(v.decision)},
        {"idempotency_key", job.key},
        {"attempt", attempt},
        {"outcome", ok     ? "delivered"
                    : last ? "failed"
                           : "retry"},
        {"duration_ms", MsSince(start)},
    };
    for (const auto& [k, val] : fields.items()) record[k] = val;
    if (!ok && !last) record["retry_in_ms"] = backoff.count();
    if (audit_ != nullptr) audit_->Write(record);
    if (ok) {
      spdlog::info("event=action_delivered action={} release={} dataset={} decision={} attempt={}",
                   a.name, v.release, v.dataset, DecisionName(v.decision), attempt);
      std::lock_guard<std::mutex> lock(mu_);
      ++delivered_;
      return;
    }
    if (last) {
      spdlog::error(
          "event=action_failed action={} release={} dataset={} decision={} attempts={} "
          "error=\"{}\"",
          a.name, v.release, v.dataset, DecisionName(v.decision), attempt,
          fields.value("error", std::string()));
      std::lock_guard<std::mutex> lock(mu_);
      ++failed_;
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, a.retry.max_backoff);
  }
}

bool ActionDispatcher::Attempt(const ActionConfig& a, const Job& job, const std::string& body,
                               int attempt, bool* retryable, Json* fields) {
  const ReleaseDatasetView& v = job.event.view;
  if (!a.webhook.url.empty()) {
    std::string error;
    const auto url = ParseHttpUrl(a.webhook.url, &error);
    if (!url) {
      *retryable = false;
      (*fields)["error"] = "bad url: " + error;
      return false;
    }
    HttpRequestSpec spec;
    spec.method = "POST";
    spec.target = url->path;
    spec.timeout = a.webhook.timeout;
    spec.body = body;
    spec.max_response_bytes = 64 * 1024;
    spec.headers = {{"Content-Type", "application/json"},
                    {"Idempotency-Key", job.key},
                    {"X-Canaryd-Event", "decision"},
                    {"X-Canaryd-Attempt", std::to_string(attempt)}};
    if (!a.webhook.secret.empty()) {
      spec.headers.emplace_back("X-Canaryd-Signature-256",
                                "sha256=" + HmacSha256Hex(a.webhook.secret, body));
    }
    const HttpResult r = HttpFetch(*url, spec);
    if (!r.ok) {
      *retryable = true;
      (*fields)["error"] = r.error;
      return false;
    }
    (*fields)["status"] = r.status;
    if (r.status >= 200 && r.status < 300) return true;
    *retryable = r.status == 408 || r.status == 429 || r.status >= 500;
    (*fields)["error"] = "HTTP " + std::to_string(r.status);
    return false;
  }
  const std::vector<std::string> env = {
      "CANARYD_RELEASE=" + v.release,
      "CANARYD_DATASET=" + v.dataset,
      "CANARYD_DECISION=" + std::string(DecisionName(v.decision)),
      "CANARYD_RELEASE_DECISION=" + std::string(DecisionName(job.event.release_decision)),
      "CANARYD_REASON=" + v.reason,
      "CANARYD_DECIDING_CHECK=" + v.deciding_check,
      "CANARYD_DECIDED_AT=" + FormatTimestampMs(v.decided_at_ms),
      "CANARYD_IDEMPOTENCY_KEY=" + job.key,
      "CANARYD_ATTEMPT=" + std::to_string(attempt),
      "CANARYD_EVENT_JSON=" + body,
  };
  const CommandResult r = RunCommand(a.command, env);
  if (r.exit_code >= 0) (*fields)["exit_code"] = r.exit_code;
  if (!r.ok) {
    *retryable = !r.spawn_failed;
    (*fields)["error"] = r.error;
  }
  return r.ok;
}

}  // namespace canaryd
