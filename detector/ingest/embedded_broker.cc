#include "detector/ingest/embedded_broker.h"

namespace canaryd::kafka {

EmbeddedBroker::~EmbeddedBroker() { Stop(); }

bool EmbeddedBroker::Start(const EmbeddedBrokerOptions& options, std::string* error) {
  Conf conf = MakeConf({{"log_level", "3"}}, error);
  if (!conf) return false;
  owner_ = MakeClient(RD_KAFKA_PRODUCER, std::move(conf), error);
  if (!owner_) return false;
  cluster_ = rd_kafka_mock_cluster_new(owner_.get(), options.brokers < 1 ? 1 : options.brokers);
  if (cluster_ == nullptr) {
    *error = "cannot start the embedded Kafka broker (mock cluster)";
    owner_.reset();
    return false;
  }
  for (const TopicSpec& topic : options.topics) {
    const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
        cluster_, topic.name.c_str(), topic.partitions < 1 ? 1 : topic.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error =
          "embedded broker: cannot create topic '" + topic.name + "': " + rd_kafka_err2str(err);
      Stop();
      return false;
    }
  }
  bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  return true;
}

void EmbeddedBroker::Stop() {
  if (cluster_ != nullptr) {
    rd_kafka_mock_cluster_destroy(cluster_);
    cluster_ = nullptr;
  }
  owner_.reset();
  bootstraps_.clear();
}

}  // namespace canaryd::kafka
