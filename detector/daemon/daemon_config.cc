#include "detector/daemon/daemon_config.h"

#include <cctype>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "rules/units.h"

namespace canaryd {
namespace {

class Validator {
 public:
  Validator(std::string name, std::vector<ConfigError>* errors)
      : name_(std::move(name)), errors_(errors) {}

  void Error(const YAML::Node& node, const std::string& message) {
    const YAML::Mark m = node.Mark();
    errors_->push_back(ConfigError{name_, m.line + 1, m.column + 1, message});
  }

  // Calls handlers[key] for each key; unknown keys are errors naming the known ones.
  void Map(const YAML::Node& node, const std::string& where,
           const std::map<std::string, std::function<void(const YAML::Node&)>>& handlers) {
    if (!node.IsMap()) {
      Error(node, where + " must be a mapping");
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>("");
      auto it = handlers.find(key);
      if (it == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) known += (known.empty() ? "" : ", ") + k;
        Error(kv.first, "unknown key '" + key + "' in " + where + " (known: " + known + ")");
        continue;
      }
      it->second(kv.second);
    }
  }

  bool String(const YAML::Node& node, const std::string& key, std::string* out) {
    if (!node.IsScalar()) {
      Error(node, key + " must be a string");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  void Int(const YAML::Node& node, const std::string& key, int lo, int hi, int* out) {
    int v = 0;
    if (!node.IsScalar() || !YAML::convert<int>::decode(node, v)) {
      Error(node, key + " must be an integer");
      return;
    }
    if (v < lo || v > hi) {
      Error(node, key + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                      " (got " + std::to_string(v) + ")");
      return;
    }
    *out = v;
  }

  void Duration(const YAML::Node& node, const std::string& key, std::int64_t min_ms,
                std::int64_t* out) {
    if (!node.IsScalar()) {
      Error(node, key + " must be a duration such as 500ms, 10s, 5m or 24h");
      return;
    }
    // The rules language's durations: one way to write them in both files.
    const UnitResult<std::int64_t> parsed = ParseDurationMs(node.Scalar());
    if (!parsed) {
      const UnitError& e = parsed.error();
      Error(node, key + ": " + e.message + (e.hint.empty() ? "" : " (" + e.hint + ")"));
      return;
    }
    const std::int64_t ms = parsed.value();
    if (ms < min_ms) {
      Error(node, key + " must be at least " + std::to_string(min_ms) + "ms");
      return;
    }
    *out = ms;
  }

 private:
  std::string name_;
  std::vector<ConfigError>* errors_;
};

// One entry of `actions:`.
void ParseAction(Validator& v, const YAML::Node& node, std::vector<ActionConfig>* out) {
  ActionConfig a;
  bool has_webhook = false;
  bool has_command = false;
  std::int64_t timeout_ms = -1;
  v.Map(node, "an action",
        {
            {"name", [&](const YAML::Node& x) { v.String(x, "actions[].name", &a.name); }},
            {"on",
             [&](const YAML::Node& x) {
               a.on.clear();
               const auto add = [&](const YAML::Node& d) {
                 const std::string s = d.IsScalar() ? d.Scalar() : "";
                 if (s == "rollback")
                   a.on.insert(Decision::kRollback);
                 else if (s == "promote")
                   a.on.insert(Decision::kPromote);
                 else
                   v.Error(d, "actions[].on takes rollback and/or promote");
               };
               if (x.IsSequence()) {
                 for (const auto& d : x) add(d);
               } else {
                 add(x);
               }
             }},
            {"webhook",
             [&](const YAML::Node& x) {
               if (v.String(x, "actions[].webhook", &a.webhook.url)) {
                 has_webhook = true;
                 if (a.webhook.url.rfind("http://", 0) != 0) {
                   v.Error(x,
                           "actions[].webhook must be an http:// URL (put TLS in a local proxy)");
                 }
               }
             }},
            {"secret_file",
             [&](const YAML::Node& x) {
               std::string path;
               if (!v.String(x, "actions[].secret_file", &path)) return;
               std::ifstream in(path);
               if (!in) {
                 v.Error(x, "cannot read the webhook secret file '" + path + "'");
                 return;
               }
               std::getline(in, a.webhook.secret);
               if (a.webhook.secret.empty())
                 v.Error(x, "the webhook secret file '" + path + "' is empty");
             }},
            {"command",
             [&](const YAML::Node& x) {
               has_command = true;
               if (x.IsScalar()) {
                 a.command.argv = {x.Scalar()};
               } else if (x.IsSequence() && x.size() > 0) {
                 for (const auto& arg : x) {
                   std::string s;
                   if (v.String(arg, "actions[].command[]", &s)) a.command.argv.push_back(s);
                 }
               } else {
                 v.Error(x, "actions[].command must be a program or a list [program, args...]");
               }
             }},
            {"timeout",
             [&](const YAML::Node& x) { v.Duration(x, "actions[].timeout", 1, &timeout_ms); }},
            {"retries",
             [&](const YAML::Node& x) {
               int retries = 0;
               v.Int(x, "actions[].retries", 0, 100, &retries);
               a.retry.max_attempts = retries + 1;
             }},
        });
  if (has_webhook == has_command) {
    v.Error(node, "an action needs exactly one of webhook: or command:");
    return;
  }
  if (a.on.empty()) v.Error(node, "actions[].on must name at least one decision");
  if (timeout_ms > 0) {
    a.webhook.timeout = std::chrono::milliseconds(timeout_ms);
    a.command.timeout = std::chrono::milliseconds(timeout_ms);
  }
  if (a.name.empty()) a.name = has_webhook ? a.webhook.url : a.command.argv.front();
  out->push_back(std::move(a));
}

bool ValidTopic(const std::string& t) {
  if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
  for (char c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ConfigError::ToString() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

bool ParseDaemonConfig(const std::string& text, const std::string& name, DaemonConfig* config,
                       std::vector<ConfigError>* errors) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    errors->push_back(ConfigError{name, e.mark.line + 1, e.mark.column + 1, e.msg});
    return false;
  }
  if (root.IsNull()) return true;  // an empty file: every default
  Validator v(name, errors);
  DaemonConfig& c = *config;
  v.Map(
      root, "the top level",
      {
          {"kafka",
           [&](const YAML::Node& n) {
             v.Map(
                 n, "kafka",
                 {
                     {"brokers",
                      [&](const YAML::Node& x) { v.String(x, "kafka.brokers", &c.brokers); }},
                     {"group",
                      [&](const YAML::Node& x) {
                        if (v.String(x, "kafka.group", &c.group) && c.group.empty()) {
                          v.Error(x, "kafka.group must not be empty");
                        }
                      }},
                     {"topics",
                      [&](const YAML::Node& x) {
                        c.topics.clear();
                        if (x.IsScalar()) {
                          c.topics.push_back(x.Scalar());
                        } else if (x.IsSequence()) {
                          for (const auto& t : x) {
                            std::string s;
                            if (v.String(t, "kafka.topics[]", &s)) c.topics.push_back(s);
                          }
                        } else {
                          v.Error(x, "kafka.topics must be a topic name or a list of them");
                        }
                        if (c.topics.empty())
                          v.Error(x, "kafka.topics must name at least one topic");
                        for (const auto& t : c.topics) {
                          if (!ValidTopic(t))
                            v.Error(x, "'" + t + "' is not a valid Kafka topic name");
                        }
                      }},
                     {"signal_topic",
                      [&](const YAML::Node& x) {
                        if (x.IsNull())
                          c.signal_topic.clear();
                        else if (v.String(x, "kafka.signal_topic", &c.signal_topic) &&
                                 !c.signal_topic.empty() && !ValidTopic(c.signal_topic)) {
                          v.Error(x, "'" + c.signal_topic + "' is not a valid Kafka topic name");
                        }
                      }},
                     {"dead_letter_topic",
                      [&](const YAML::Node& x) {
                        if (x.IsNull())
                          c.dead_letter_topic.clear();
                        else if (v.String(x, "kafka.dead_letter_topic", &c.dead_letter_topic) &&
                                 !c.dead_letter_topic.empty() && !ValidTopic(c.dead_letter_topic)) {
                          v.Error(x,
                                  "'" + c.dead_letter_topic + "' is not a valid Kafka topic name");
                        }
                      }},
                     {"properties",
                      [&](const YAML::Node& x) {
                        if (!x.IsMap()) {
                          v.Error(x, "kafka.properties must be a mapping of librdkafka properties");
                          return;
                        }
                        for (const auto& kv : x) {
                          std::string value;
                          if (v.String(kv.second, "kafka.properties." + kv.first.Scalar(),
                                       &value)) {
                            c.kafka_properties[kv.first.Scalar()] = value;
                          }
                        }
                      }},
                 });
           }},
          {"embedded",
           [&](const YAML::Node& n) {
             v.Map(n, "embedded", {{"partitions", [&](const YAML::Node& x) {
                                      v.Int(x, "embedded.partitions", 1, 256,
                                            &c.embedded_partitions);
                                    }}});
           }},
          {"http",
           [&](const YAML::Node& n) {
             v.Map(n, "http",
                   {
                       {"listen",
                        [&](const YAML::Node& x) {
                          if (x.IsNull())
                            c.http_listen.clear();
                          else
                            v.String(x, "http.listen", &c.http_listen);
                        }},
                       {"token",
                        [&](const YAML::Node& x) { v.String(x, "http.token", &c.http_token); }},
                   });
           }},
          {"rules", [&](const YAML::Node& n) { v.String(n, "rules", &c.rules_file); }},
          {"actions",
           [&](const YAML::Node& n) {
             if (!n.IsSequence()) {
               v.Error(n, "actions must be a list");
               return;
             }
             for (const auto& a : n) ParseAction(v, a, &c.actions);
           }},
          {"audit_log", [&](const YAML::Node& n) { v.String(n, "audit_log", &c.audit_log); }},
          {"engine",
           [&](const YAML::Node& n) {
             v.Map(n, "engine",
                   {
                       {"shards",
                        [&](const YAML::Node& x) { v.Int(x, "engine.shards", 1, 64, &c.shards); }},
                       {"checkpoint_interval",
                        [&](const YAML::Node& x) {
                          v.Duration(x, "engine.checkpoint_interval", 10,
                                     &c.checkpoint_interval_ms);
                        }},
                       {"retire_after",
                        [&](const YAML::Node& x) {
                          v.Duration(x, "engine.retire_after", 60'000, &c.retire_after_ms);
                        }},
                       {"instance_id",
                        [&](const YAML::Node& x) {
                          v.String(x, "engine.instance_id", &c.instance_id);
                        }},
                   });
           }},
      });
  return errors->empty();
}

bool LoadDaemonConfig(const std::string& path, DaemonConfig* config,
                      std::vector<ConfigError>* errors) {
  std::ifstream in(path);
  if (!in) {
    errors->push_back(ConfigError{path, 0, 0, "cannot open the file"});
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseDaemonConfig(text.str(), path, config, errors);
}

}  // namespace canaryd
