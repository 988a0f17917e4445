#include <csignal>

#include <atomic>

#include "detector/app/commands.h"

namespace canaryd::app {
namespace {
std::atomic<bool> g_stop{false};
std::atomic<unsigned> g_reloads{0};
extern "C" void OnStopSignal(int) { g_stop.store(true); }
extern "C" void OnReloadSignal(int) { g_reloads.fetch_add(1); }
}  // namespace

const std::atomic<bool>* InstallStopSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return &g_stop;
}

const std::atomic<unsigned>* InstallReloadSignal() {
  struct sigaction sa = {};
  sa.sa_handler = OnReloadSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, nullptr);
  return &g_reloads;
}

}  // namespace canaryd::app
