// The embedded default (design §5): with no brokers configured, canaryd serves the Kafka protocol
// itself on 127.0.0.1 through librdkafka's mock cluster, so any Kafka client on the machine can
// send reports with no other set-up. It keeps only the most recent few MB per partition and
// nothing survives the process: it is for trying canaryd and for tests, not for production.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>

#include "detector/ingest/kafka_client.h"

namespace canaryd::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
};

struct EmbeddedBrokerOptions {
  int brokers = 1;
  std::vector<TopicSpec> topics;
};

class EmbeddedBroker {
 public:
  EmbeddedBroker() = default;
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // Starts the brokers on ephemeral loopback ports and creates the topics.
  bool Start(const EmbeddedBrokerOptions& options, std::string* error);
  void Stop();

  // "127.0.0.1:port[,...]": what clients put in bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstraps_; }
  // For fault injection in tests (rd_kafka_mock_broker_set_down, push_request_errors, ...).
  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }

 private:
  Handle owner_;  // the client instance the mock cluster hangs off
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

}  // namespace canaryd::kafka
