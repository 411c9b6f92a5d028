import Foundation
import SluiceKafka
import SluiceSupport
import XCTest

/// Helpers shared by the Kafka tests: a mock cluster per test, bounded waits.
enum KafkaTestSupport {
    /// Settings that keep group joins and shutdowns fast on the mock cluster.
    static func consumerConfig(_ bootstrap: String, group: String? = nil) -> KafkaConfig {
        var config: KafkaConfig = [
            "bootstrap.servers": bootstrap,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
        ]
        config["group.id"] = group
        return config
    }

    static func producerConfig(_ bootstrap: String) -> KafkaConfig {
        ["bootstrap.servers": bootstrap, "linger.ms": "5"]
    }

    /// Polls `producer` until every id in `ids` has a report, or the deadline passes.
    static func collectReports(
        _ producer: KafkaProducer, count: Int, timeout: TimeInterval = 10
    ) -> [DeliveryReport] {
        var reports: [DeliveryReport] = []
        let deadline = Date().addingTimeInterval(timeout)
        while reports.count < count, Date() < deadline {
            producer.poll(timeoutMs: 50)
            reports += producer.takeDeliveryReports()
        }
        return reports
    }

    /// Polls `consumer` until `count` records arrived or the deadline passes; keeps errors apart.
    static func consume(
        _ consumer: KafkaConsumer, count: Int, timeout: TimeInterval = 15
    ) -> (records: [Record], errors: [KafkaError]) {
        var records: [Record] = []
        var errors: [KafkaError] = []
        let deadline = Date().addingTimeInterval(timeout)
        while records.count < count, Date() < deadline {
            for message in consumer.pollBatch(maxMessages: 500, timeoutMs: 100) {
                switch message {
                case .record(let record): records.append(record)
                case .error(let error): errors.append(error)
                case .partitionEnd: break
                }
            }
        }
        return (records, errors)
    }

    /// Waits until `condition` holds, checking every 20 ms, up to `timeout`.
    static func wait(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// Test records with keys, headers (repeated, null and empty values) and timestamps.
    static func records(topic: String, count: Int, partitions: Int32) -> [Record] {
        (0..<count).map { record(topic: topic, index: $0, partitions: partitions) }
    }

    static func record(topic: String, index: Int, partitions: Int32) -> Record {
        let base: Int64 = 1_736_990_000_000
        // Null and empty keys and values are different things in Kafka: cover both.
        var key: [UInt8]? = index % 10 == 9 ? nil : Array("key-\(index % 7)".utf8)
        var value: [UInt8]? = index % 11 == 10 ? nil : Array("{\"id\":\(index),\"amount\":\(index * 3)}".utf8)
        if index % 13 == 12 {
            key = []
            value = []
        }
        var headers: [Header] = []
        if index % 3 == 0 {
            headers = [
                Header("source", "test"), Header("n", String(index)), Header(name: "empty", value: []),
                Header(name: "null", value: nil), Header("n", "again"),
            ]
        }
        let timestamp = base + Int64(index) * 1000
        return Record(
            topic: topic, partition: Int32(index) % partitions, offset: 0, timestamp: timestamp,
            key: key, headers: headers, value: value)
    }
}
