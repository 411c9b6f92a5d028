import SluiceKafka
import SluiceSupport
import XCTest

/// The same wrapper against an independent broker (noida-db): admin, groups, transactions.
final class NoidaTests: XCTestCase {
    func testProduceConsumeTransactionsAndFencingOnNoida() throws {
        let broker = try NoidaBroker()
        defer { broker.stop() }
        let admin = try KafkaAdmin(config: ["bootstrap.servers": broker.bootstrapServers])
        let topics = [
            NewTopic(name: "noida-in", partitions: 3, replicationFactor: 1, configs: ["retention.ms": "-1"]),
            NewTopic(name: "noida-out", partitions: 1, replicationFactor: 1, configs: ["retention.ms": "-1"]),
            NewTopic(
                name: "noida-changelog", partitions: 3, replicationFactor: 1,
                configs: ["cleanup.policy": "compact", "retention.ms": "-1"]),
        ]
        try admin.createTopics(topics, timeoutMs: 10_000)
        try admin.createTopics(topics, timeoutMs: 10_000)  // already there: not an error
        XCTAssertEqual(try admin.partitionCount(topic: "noida-changelog", timeoutMs: 5_000), 3)

        // Records come back identical, through a consumer group.
        let producer = try KafkaProducer(config: KafkaTestSupport.producerConfig(broker.bootstrapServers))
        let sent = KafkaTestSupport.records(topic: "noida-in", count: 60, partitions: 3)
        for record in sent { try producer.produce(record, keepPartition: true) }
        try producer.flush(timeoutMs: 10_000)
        let reports = producer.takeDeliveryReports()
        XCTAssertEqual(reports.count, 60)
        XCTAssertTrue(reports.allSatisfy(\.isDelivered), "\(reports.compactMap(\.error))")

        let consumerConfig = KafkaTestSupport.consumerConfig(broker.bootstrapServers, group: "noida-group")
        let consumer = try KafkaConsumer(config: consumerConfig.merging(["isolation.level": "read_committed"]))
        try consumer.subscribe(topics: ["noida-in"])
        let (received, errors) = KafkaTestSupport.consume(consumer, count: 60)
        XCTAssertEqual(errors, [])
        let strip: (Record) -> Record = {
            var record = $0
            record.offset = 0
            return record
        }
        let order: (Record, Record) -> Bool = { ($0.partition, $0.timestamp) < ($1.partition, $1.timestamp) }
        XCTAssertEqual(received.map(strip).sorted(by: order), sent.sorted(by: order))

        // Consume-transform-produce: outputs and input offsets commit together.
        let transactional = try KafkaProducer(
            config: KafkaTestSupport.producerConfig(broker.bootstrapServers).merging(["transactional.id": "noida-txn"]),
            logHandler: { _ in })
        try transactional.initTransactions(timeoutMs: 10_000)
        try transactional.beginTransaction()
        for record in received.prefix(10) {
            try transactional.produce(topic: "noida-out", key: record.key, value: record.value)
        }
        var next: [TopicPartition: Int64] = [:]
        for record in received.prefix(10) {
            next[TopicPartition(topic: record.topic, partition: record.partition)] = record.offset + 1
        }
        let offsets = next.map { TopicPartitionOffset($0.key, offset: $0.value) }
        try transactional.sendOffsetsToTransaction(offsets, metadata: try consumer.groupMetadata(), timeoutMs: 10_000)
        try transactional.commitTransaction(timeoutMs: 10_000)
        let committed = try consumer.committed(Array(next.keys), timeoutMs: 5_000)
        XCTAssertEqual(Set(committed.map(\.description)), Set(offsets.map(\.description)))

        try transactional.beginTransaction()
        try transactional.produce(topic: "noida-out", value: Array("aborted".utf8))
        try transactional.abortTransaction(timeoutMs: 10_000)

        // A newer instance with the same transactional id fences the old one.
        try transactional.beginTransaction()
        try transactional.produce(topic: "noida-out", value: Array("zombie".utf8))
        let successor = try KafkaProducer(
            config: KafkaTestSupport.producerConfig(broker.bootstrapServers).merging(["transactional.id": "noida-txn"]),
            logHandler: { _ in })
        try successor.initTransactions(timeoutMs: 10_000)
        XCTAssertThrowsError(try transactional.commitTransaction(timeoutMs: 10_000)) { error in
            let error = error as? KafkaError
            XCTAssertEqual(error?.isFatal, true, "\(String(describing: error))")
            XCTAssertEqual(error?.isFenced, true, "\(String(describing: error))")
        }

        // A read_committed reader sees the 10 committed outputs only.
        let reader = try KafkaConsumer(
            config: KafkaTestSupport.consumerConfig(broker.bootstrapServers, group: "noida-reader")
                .merging(["isolation.level": "read_committed"]))
        try reader.assign([TopicPartitionOffset(topic: "noida-out", partition: 0, offset: KafkaOffset.beginning)])
        let (outputs, _) = KafkaTestSupport.consume(reader, count: 11, timeout: 3)
        XCTAssertEqual(outputs.count, 10)
        XCTAssertFalse(outputs.contains { $0.value == Array("aborted".utf8) || $0.value == Array("zombie".utf8) })
        try reader.close()
        try consumer.close()
    }
}
