// Real processes for integration tests: started with fork/exec, output to files, stopped with a
// signal, always reaped (a test that fails midway kills what it started).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace canaryd::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `check` every 20 ms until it is true or timeout_ms passes.
inline bool WaitFor(const std::function<bool()>& check, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return check();
}

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (running()) {
      Signal(SIGKILL);
      Wait(5000);
    }
  }

  bool Start(const std::vector<std::string>& argv, const std::string& stdout_path,
             const std::string& stderr_path) {
    stdout_path_ = stdout_path;
    stderr_path_ = stderr_path;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      if (!freopen("/dev/null", "r", stdin) || !freopen(stdout_path.c_str(), "w", stdout) ||
          !freopen(stderr_path.c_str(), "w", stderr)) {
        _exit(127);
      }
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    return true;
  }

  bool running() const { return pid_ > 0 && !exited_; }
  void Signal(int sig) {
    if (running()) kill(pid_, sig);
  }
  // Waits for exit; false on timeout. exit_code() is the status, or 128 + signal.
  bool Wait(int timeout_ms) {
    if (pid_ <= 0 || exited_) return exited_;
    return WaitFor(
        [this] {
          int status = 0;
          if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
          exited_ = true;
          exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        },
        timeout_ms);
  }
  int exit_code() const { return exit_code_; }
  std::string out() const { return ReadFile(stdout_path_); }
  std::string err() const { return ReadFile(stderr_path_); }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace canaryd::testing
