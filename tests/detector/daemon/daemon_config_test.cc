// examples/canaryd.yaml says it lists every key with its default: it must parse, and to exactly
// what an empty config gives.
#include "detector/daemon/daemon_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace canaryd {
namespace {

TEST(DaemonConfigExampleTest, TheExampleConfigParsesToTheDefaults) {
  DaemonConfig example;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(LoadDaemonConfig(std::string(CANARYD_SOURCE_DIR) + "/examples/canaryd.yaml", &example,
                               &errors))
      << (errors.empty() ? "" : errors.front().ToString());
  const DaemonConfig defaults;
  EXPECT_EQ(example.brokers, defaults.brokers);
  EXPECT_EQ(example.topics, defaults.topics);
  EXPECT_EQ(example.group, defaults.group);
  EXPECT_EQ(example.signal_topic, defaults.signal_topic);
  EXPECT_EQ(example.dead_letter_topic, defaults.dead_letter_topic);
  EXPECT_EQ(example.kafka_properties, defaults.kafka_properties);
  EXPECT_EQ(example.embedded_partitions, defaults.embedded_partitions);
  EXPECT_EQ(example.http_listen, defaults.http_listen);
  EXPECT_EQ(example.http_token, defaults.http_token);
  EXPECT_EQ(example.actions.size(), defaults.actions.size());
  EXPECT_EQ(example.audit_log, defaults.audit_log);
  EXPECT_EQ(example.rules_file, defaults.rules_file);
  EXPECT_EQ(example.shards, defaults.shards);
  EXPECT_EQ(example.checkpoint_interval_ms, defaults.checkpoint_interval_ms);
  EXPECT_EQ(example.retire_after_ms, defaults.retire_after_ms);
  EXPECT_EQ(example.instance_id, defaults.instance_id);
}

// The commented-out actions in the example are a working configuration once uncommented.
TEST(DaemonConfigExampleTest, TheExamplesActionsParseWhenUncommented) {
  const std::string text = R"(
actions:
  - name: rollback-webhook
    on: [rollback]
    webhook: http://127.0.0.1:9479/rollback
    timeout: 5s
    retries: 4
  - name: pause-canary-dag
    command: [deploy/executors/airflow-pause-dag.sh]
audit_log: "-"
)";
  DaemonConfig config;
  std::vector<ConfigError> errors;
  ASSERT_TRUE(ParseDaemonConfig(text, "actions.yaml", &config, &errors))
      << (errors.empty() ? "" : errors.front().ToString());
  ASSERT_EQ(config.actions.size(), 2u);
  EXPECT_EQ(config.actions[0].retry.max_attempts, 5);  // retries after the first attempt
  EXPECT_EQ(config.actions[0].webhook.timeout.count(), 5000);
  EXPECT_EQ(config.actions[1].command.argv.size(), 1u);
  EXPECT_EQ(config.audit_log, "-");
}

}  // namespace
}  // namespace canaryd
