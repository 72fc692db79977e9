#!/usr/bin/python3
"""Independent client for wire-format cross-checks: Confluent's Python client (Debian's
python3-confluent-kafka) with its AvroProducer / AvroConsumer, against the same broker and
Confluent-API registry our TypeScript code uses.

  produce <bootstrap> <registry> <topic> <schema.avsc> <records.json>
      registers the schema under <topic>-value (the client's default subject) and produces
      each record of the JSON list.
  consume <bootstrap> <registry> <topic> <group> <count> <timeout_s>
      reads <count> records from the beginning and prints them as a JSON list.
"""
import datetime
import json
import sys
import time

from confluent_kafka import avro
from confluent_kafka.avro import AvroConsumer, AvroProducer


def produce(bootstrap, registry, topic, schema_path, records_path):
    with open(schema_path) as f:
        schema = avro.loads(f.read())
    with open(records_path) as f:
        records = json.load(f)
    producer = AvroProducer(
        {"bootstrap.servers": bootstrap, "schema.registry.url": registry, "enable.idempotence": True},
        default_value_schema=schema,
    )
    millis_fields = [
        f["name"]
        for f in json.loads(open(schema_path).read())["fields"]
        if isinstance(f["type"], dict) and f["type"].get("logicalType") == "timestamp-millis"
    ]
    for record in records:
        # Python's avro takes timestamp-millis as datetimes; the wire carries epoch millis.
        for name in millis_fields:
            record[name] = datetime.datetime.fromtimestamp(record[name] / 1000, tz=datetime.timezone.utc)
        # Keys: values are Confluent Avro; keys stay unset here because the stock AvroProducer /
        # AvroConsumer would insist on Avro keys, while our topics use plain UTF-8 string keys.
        producer.produce(topic=topic, value=record)
    remaining = producer.flush(30)
    if remaining:
        sys.exit(f"{remaining} messages not delivered")
    print(json.dumps({"produced": len(records)}))


def consume(bootstrap, registry, topic, group, count, timeout_s):
    consumer = AvroConsumer(
        {
            "bootstrap.servers": bootstrap,
            "schema.registry.url": registry,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    out = []
    deadline = time.time() + float(timeout_s)
    while len(out) < int(count) and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            sys.exit(f"consume error: {msg.error()}")
        value = dict(msg.value())
        for name, v in list(value.items()):
            if isinstance(v, datetime.datetime):
                value[name] = int(v.timestamp() * 1000)
        out.append({"key": msg.key(), "value": value})
    consumer.close()
    print(json.dumps(out, default=str))
    if len(out) < int(count):
        sys.exit(f"only {len(out)} of {count} records before timeout")


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(*sys.argv[2:7])
    elif sys.argv[1] == "consume":
        consume(*sys.argv[2:8])
    else:
        sys.exit(__doc__)
