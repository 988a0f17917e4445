// The subcommands of the canaryd binary, one file each; main() only dispatches.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace canaryd::app {

int ReplayCommand(const std::vector<std::string>& args);
int RunCommand(const std::vector<std::string>& args);
int BrokerCommand(const std::vector<std::string>& args);
int DemoCommand(const std::vector<std::string>& args);

// SIGTERM / SIGINT set the returned flag (SIGHUP is left alone); installed once.
const std::atomic<bool>* InstallStopSignals();
// SIGHUP increments the returned counter (rules reload).
const std::atomic<unsigned>* InstallReloadSignal();

}  // namespace canaryd::app
