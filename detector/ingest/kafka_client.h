// Small RAII layer over librdkafka's C API: handles that free themselves, configuration from a
// property map with errors as values, and the few calls every Kafka user in canaryd needs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace canaryd::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const;
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* h) const { rd_kafka_headers_destroy(h); }
};

using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using Headers = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;

using Properties = std::map<std::string, std::string>;

// Builds a configuration; on a rejected property returns null and says which and why in *error.
Conf MakeConf(const Properties& properties, std::string* error);

// Creates a client (RD_KAFKA_PRODUCER or RD_KAFKA_CONSUMER). Takes the configuration.
Handle MakeClient(rd_kafka_type_t type, Conf conf, std::string* error);

// The latest (high watermark) and earliest offsets of every partition of a topic, by asking the
// broker. Returns false with *error on failure.
struct PartitionRange {
  std::int32_t partition = 0;
  std::int64_t low = 0;
  std::int64_t high = 0;
};
bool TopicRanges(rd_kafka_t* rk, const std::string& topic, int timeout_ms,
                 std::vector<PartitionRange>* out, std::string* error);

}  // namespace canaryd::kafka
