#include "detector/ingest/kafka_client.h"

#include <spdlog/spdlog.h>

namespace canaryd::kafka {
namespace {

// librdkafka's own log lines, as canaryd's one-line key=value events.
void LogToSpdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const spdlog::level::level_enum lvl = level <= 3   ? spdlog::level::err
                                        : level <= 4 ? spdlog::level::warn
                                        : level <= 6 ? spdlog::level::info
                                                     : spdlog::level::debug;
  spdlog::log(lvl, "event=kafka_log client={} facility={} message=\"{}\"", rd_kafka_name(rk),
              facility, message);
}

}  // namespace

void HandleDeleter::operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }

Conf MakeConf(const Properties& properties, std::string* error) {
  Conf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogToSpdlog);
  char err[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      *error = "kafka property '" + key + "': " + err;
      return nullptr;
    }
  }
  return conf;
}

Handle MakeClient(rd_kafka_type_t type, Conf conf, std::string* error) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) {
    *error = err;
    return nullptr;
  }
  conf.release();  // owned by rk now
  return Handle(rk);
}

bool TopicRanges(rd_kafka_t* rk, const std::string& topic, int timeout_ms,
                 std::vector<PartitionRange>* out, std::string* error) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = "metadata for '" + topic + "': " + rd_kafka_err2str(err);
    return false;
  }
  out->clear();
  bool ok = true;
  for (int i = 0; i < md->topic_cnt && ok; ++i) {
    const rd_kafka_metadata_topic_t& mt = md->topics[i];
    if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = "topic '" + topic + "': " + rd_kafka_err2str(mt.err);
      ok = false;
      break;
    }
    for (int p = 0; p < mt.partition_cnt; ++p) {
      PartitionRange r;
      r.partition = mt.partitions[p].id;
      err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), r.partition, &r.low, &r.high,
                                             timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = "offsets of '" + topic + "' [" + std::to_string(r.partition) +
                 "]: " + rd_kafka_err2str(err);
        ok = false;
        break;
      }
      out->push_back(r);
    }
  }
  rd_kafka_metadata_destroy(md);
  return ok;
}

}  // namespace canaryd::kafka
