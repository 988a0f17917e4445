#!/usr/bin/python3
"""An independent Kafka client for canaryd's integration tests (kafka-python, Debian's
python3-kafka; run with /usr/bin/python3).

  kafka_client.py produce BOOTSTRAP TOPIC FILE   one message per line; key = the line's dataset,
      partition = crc32(key) mod the partition count (so tests can spread datasets knowingly)
  kafka_client.py consume BOOTSTRAP TOPIC MIN TIMEOUT_S
      prints one JSON line per message ({partition, offset, key, value, headers}) once MIN
      messages arrived and the topic stayed quiet for a moment, or at the timeout.
"""
import json
import sys
import time
import zlib

try:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
except ImportError:
    sys.exit("kafka_client.py: needs python3-kafka (apt-get install python3-kafka) and /usr/bin/python3")


def produce(bootstrap, topic, path):
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all",
                             api_version=(2, 0, 0))
    partitions = None
    deadline = time.time() + 20
    while not partitions and time.time() < deadline:
        partitions = sorted(producer.partitions_for(topic) or [])
    sent = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line:
                continue
            try:
                key = json.loads(line).get("dataset", "malformed").encode()
            except Exception:
                key = b"malformed"
            producer.send(topic, key=key, value=line,
                          partition=partitions[zlib.crc32(key) % len(partitions)])
            sent += 1
    producer.flush(30)
    producer.close(10)
    print(json.dumps({"sent": sent}))


def consume(bootstrap, topic, minimum, timeout_s):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             api_version=(2, 0, 0), consumer_timeout_ms=200)
    deadline = time.time() + timeout_s
    parts = None
    while parts is None and time.time() < deadline:
        parts = consumer.partitions_for_topic(topic)
        if parts is None:
            time.sleep(0.1)
    tps = [TopicPartition(topic, p) for p in sorted(parts or [])]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    out = []
    quiet_since = time.time()
    while time.time() < deadline:
        got = False
        for m in consumer:
            got = True
            out.append({
                "partition": m.partition,
                "offset": m.offset,
                "key": m.key.decode(errors="replace") if m.key else None,
                "value": m.value.decode(errors="replace"),
                "headers": {k: v.decode(errors="replace") for k, v in (m.headers or [])},
            })
        if got:
            quiet_since = time.time()
        elif len(out) >= minimum and time.time() - quiet_since > 0.5:
            break
    consumer.close()
    for rec in out:
        print(json.dumps(rec))


def main(argv):
    if len(argv) == 5 and argv[1] == "produce":
        produce(argv[2], argv[3], argv[4])
    elif len(argv) == 6 and argv[1] == "consume":
        consume(argv[2], argv[3], int(argv[4]), float(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
