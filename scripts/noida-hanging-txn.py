#!/usr/bin/env python3
"""Reproduces a noida-db 0.2.3 bug with read_committed consumers (not a sluice test).

A transactional producer leaves a transaction open (as a process killed with -9 does); a new
producer with the same transactional.id aborts it and commits more records. A read_committed
consumer that was fetching all along never sees those committed records; a fresh one does.
Kafka delivers them to both (KIP-98). Seen with librdkafka 2.0.2 (sluice) and 2.16.

  python3 -m venv /tmp/ck && /tmp/ck/bin/pip install confluent-kafka
  .venv/bin/noida-db start --only kafka --kafka-port 19092 --data-dir /tmp/noida-txn &
  /tmp/ck/bin/python scripts/noida-hanging-txn.py 19092
prints "running consumer: 10 of 60 committed; fresh consumer: 60 of 60" on noida-db 0.2.3.
"""
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = f"127.0.0.1:{sys.argv[1] if len(sys.argv) > 1 else 19092}"
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic("hanging-txn", 1, 1)])["hanging-txn"].result()
time.sleep(0.5)


def read(values, until):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g{time.time()}", "isolation.level": "read_committed"})
    consumer.assign([TopicPartition("hanging-txn", 0, 0)])
    while not until():
        message = consumer.poll(0.1)
        if message is not None and not message.error():
            values.append(message.value().decode())
    consumer.close()


def producer():
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": "hanging"})
    p.init_transactions(10)
    return p


running, done = [], []
thread = threading.Thread(target=read, args=(running, lambda: bool(done)))
thread.start()
first = producer()
first.begin_transaction()
for i in range(10):
    first.produce("hanging-txn", f"committed-{i}")
first.commit_transaction()
first.begin_transaction()
for i in range(10):
    first.produce("hanging-txn", f"aborted-{i}")
first.flush()  # left open, as by kill -9
time.sleep(1)
second = producer()  # fences the first and aborts its open transaction
for batch in range(5):
    second.begin_transaction()
    for i in range(10):
        second.produce("hanging-txn", f"later-{batch}-{i}")
    second.commit_transaction()
time.sleep(3)
done.append(True)
thread.join()
fresh, deadline = [], time.time() + 3
read(fresh, lambda: time.time() > deadline)
committed = lambda values: sum(1 for v in values if not v.startswith("aborted"))
print(f"running consumer: {committed(running)} of 60 committed; fresh consumer: {committed(fresh)} of 60")
