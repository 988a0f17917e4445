// `canaryd run --config canaryd.yaml`: every key of the daemon's configuration, its default, and
// validation with file:line:column errors (a bad config fails fast; nothing is silently ignored).
// The reference with an example is examples/canaryd.yaml.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "detector/http/actions/actions.h"

namespace canaryd {

struct DaemonConfig {
  // kafka:
  std::string brokers;  // empty: start the embedded broker on 127.0.0.1
  std::vector<std::string> topics = {"canaryd.reports"};
  std::string group = "canaryd";
  std::string signal_topic = "canaryd.signals";           // empty string disables
  std::string dead_letter_topic = "canaryd.dead-letter";  // empty string disables
  std::map<std::string, std::string> kafka_properties;    // passed to librdkafka as they are
  // embedded: (only when brokers is empty)
  int embedded_partitions = 4;
  // http:
  std::string http_listen = "127.0.0.1:8787";  // empty disables the listener
  std::string http_token;                      // optional bearer token
  // actions: what to call on a decision besides the signal topic (webhooks, commands).
  std::vector<ActionConfig> actions;
  std::string audit_log;  // JSON lines of every action attempt; "-" = stderr; empty = none
  // rules:
  std::string rules_file;  // empty: rules_yaml, else the built-in default rules
  // Rules given inline (the demo's compiled-in file), named rules_yaml_name in errors; not a
  // config key. SIGHUP reloads need a file.
  std::string rules_yaml;
  std::string rules_yaml_name;
  // engine:
  int shards = 2;
  std::int64_t checkpoint_interval_ms = 1000;
  std::int64_t retire_after_ms = 24LL * 3600 * 1000;
  std::string instance_id;  // defaults to host:pid; shows in logs and signals
};

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the error is about the whole file
  int column = 0;  // 1-based
  std::string message;
  std::string ToString() const;  // "file:line:column: message"
};

// Parses and validates; on errors returns false and fills *errors (all of them, in file order).
bool LoadDaemonConfig(const std::string& path, DaemonConfig* config,
                      std::vector<ConfigError>* errors);
// The same from text (tests; `name` stands in for the file name in errors).
bool ParseDaemonConfig(const std::string& text, const std::string& name, DaemonConfig* config,
                       std::vector<ConfigError>* errors);

}  // namespace canaryd
